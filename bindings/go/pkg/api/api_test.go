package api_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libvwo/libvwo/bindings/go/pkg/api"
	"github.com/libvwo/libvwo/bindings/go/pkg/constants"
	"github.com/libvwo/libvwo/bindings/go/pkg/schema"
)

func benchSettings(t testing.TB) schema.SettingsFile {
	b, err := os.ReadFile(filepath.Join(repoRoot, "benches", "data", "settings_bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s schema.SettingsFile
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func launchT(t testing.TB, s schema.SettingsFile, opts ...api.VWOOption) *api.VWOInstance {
	t.Helper()
	inst, err := api.VWOInstance{SettingsFile: s}.Init(opts...)
	if err != nil {
		t.Fatalf("launch: %v", err)
	}
	t.Cleanup(inst.Close)
	return inst
}

var profile = map[string]interface{}{"browser": "Chrome", "country": "US", "plan": "premium",
	"email": "alice@gmail.com", "url": "https://shop.example.com/products/42", "age": 34, "tier": 3,
	"isLoggedIn": true, "price": 19.99}

type call struct {
	key, user string
	opt       interface{}
}

func calls(s schema.SettingsFile, n int) []call {
	var keys []string
	for _, c := range s.Campaigns {
		if c.Type != constants.CampaignTypeFeatureRollout {
			keys = append(keys, c.Key)
		}
	}
	out := make([]call, n)
	for i := range out {
		out[i] = call{key: keys[i%len(keys)], user: fmt.Sprintf("user_%d", (i*7919)%5000)}
		if i%2 == 0 {
			out[i].opt = map[string]interface{}{"customVariables": profile}
		}
	}
	return out
}

// 64 goroutines × 10,000 calls on one instance give the results of a sequential run.
func TestConcurrentCallsEqualSequential(t *testing.T) {
	s := benchSettings(t)
	inst := launchT(t, s, api.WithDevelopmentMode(), api.WithLogger(&quietLogger{}))
	const goroutines, perG = 64, 10000
	work := calls(s, perG)
	want := make([]string, len(work))
	for i, c := range work {
		want[i] = inst.GetVariationName(c.key, c.user, c.opt)
	}
	var wg sync.WaitGroup
	var mismatches atomic.Int64
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for j := range work {
				i := (j + g*157) % len(work) // each goroutine in its own order
				if got := inst.GetVariationName(work[i].key, work[i].user, work[i].opt); got != want[i] {
					mismatches.Add(1)
				}
			}
		}(g)
	}
	wg.Wait()
	if n := mismatches.Load(); n != 0 {
		t.Fatalf("%d of %d concurrent results differ from the sequential run", n, goroutines*perG)
	}
}

type countingHooks struct {
	storage      *memoryStorage
	integrations atomic.Int64
	mu           sync.Mutex
	payloads     []map[string]interface{}
}

// Storage, integrations and logger callbacks, called from many goroutines at once.
func TestCallbacksUnderConcurrency(t *testing.T) {
	s := benchSettings(t)
	h := &countingHooks{storage: newMemoryStorage()}
	log := &quietLogger{}
	inst := launchT(t, s, api.WithDevelopmentMode(), api.WithStorage(h.storage), api.WithLogger(log),
		api.WithIntegrationsCallBack(func(m map[string]interface{}) {
			h.integrations.Add(1)
			h.mu.Lock()
			if len(h.payloads) < 5 {
				h.payloads = append(h.payloads, m)
			}
			h.mu.Unlock()
		}))
	var decided atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				user := fmt.Sprintf("u%d_%d", g, i)
				if inst.Activate("ab_homepage_hero", user, nil) != "" {
					decided.Add(1)
				}
				// a returning user: from storage, no new record
				inst.GetVariationName("ab_homepage_hero", user, nil)
			}
		}(g)
	}
	wg.Wait()
	if decided.Load() == 0 {
		t.Fatal("nobody got a variation")
	}
	h.storage.mu.Lock()
	sets, records := h.storage.sets, len(h.storage.records)
	h.storage.mu.Unlock()
	if int64(sets) != decided.Load() || int64(records) != decided.Load() {
		t.Fatalf("storage: %d sets, %d records for %d decisions", sets, records, decided.Load())
	}
	if h.integrations.Load() != 2*decided.Load() {
		t.Fatalf("integrations called %d times for %d decisions", h.integrations.Load(), 2*decided.Load())
	}
	p := h.payloads[0]
	for _, k := range []string{"campaignKey", "campaignId", "campaignType", "userId", "vwoUserId", "variationName",
		"variationId", "source", "event", "fromUserStorageService", "isUserWhitelisted", "sdkVersion", "goalIdentifier"} {
		if _, ok := p[k]; !ok {
			t.Errorf("integrations payload lacks %q: %v", k, p)
		}
	}
	if p["source"] != "Activate" && p["source"] != "GetVariationName" {
		t.Errorf("source %v", p["source"])
	}
	if _, ok := p["campaignId"].(int); !ok {
		t.Errorf("campaignId %T", p["campaignId"])
	}
}

// The storage's 4-argument Set receives the goals tracked, joined with _vwo_.
func TestStorageRecordsGoals(t *testing.T) {
	s := benchSettings(t)
	st := newMemoryStorage()
	inst := launchT(t, s, api.WithDevelopmentMode(), api.WithStorage(st), api.WithLogger(&quietLogger{}))
	var user string
	for i := 0; i < 100 && user == ""; i++ {
		u := fmt.Sprintf("goal_user_%d", i)
		if inst.Activate("ab_homepage_hero", u, nil) != "" {
			user = u
		}
	}
	if user == "" {
		t.Fatal("no user got a variation")
	}
	r := inst.Track("ab_homepage_hero", user, "hero_click", nil)
	if len(r) != 1 || !r[0].TrackValue || r[0].CampaignKey != "ab_homepage_hero" {
		t.Fatalf("track: %+v", r)
	}
	rec := st.Get(user, "ab_homepage_hero")
	if rec.GoalIdentifier != "hero_click" || rec.VariationName == "" || rec.UserID != user {
		t.Fatalf("record %+v", rec)
	}
	// tracked again: vwo-python-sdk's rule (no event, the goal is remembered)
	if r := inst.Track("ab_homepage_hero", user, "hero_click", nil); len(r) != 0 && r[0].TrackValue {
		t.Fatalf("second track: %+v", r)
	}
}

type panickyStorage struct{}

func (panickyStorage) Get(userID, campaignKey string) schema.UserData { panic("storage down") }
func (panickyStorage) Set(userID, campaignKey, variationName, goalIdentifier string) {
	panic("storage down")
}

// A callback that panics is recovered and logged; the call goes on.
func TestPanickingCallbacksAreRecovered(t *testing.T) {
	s := benchSettings(t)
	log := &quietLogger{}
	inst := launchT(t, s, api.WithDevelopmentMode(), api.WithStorage(panickyStorage{}), api.WithLogger(log),
		api.WithIntegrationsCallBack(func(map[string]interface{}) { panic("hook down") }))
	for i := 0; i < 20; i++ {
		inst.Activate("ab_homepage_hero", fmt.Sprintf("p%d", i), nil)
	}
	joined := strings.Join(log.all(), "\n")
	if !strings.Contains(joined, "panicked") {
		t.Fatalf("no panic logged: %s", joined)
	}
}

func TestCloseTwiceAndCallsAfterClose(t *testing.T) {
	s := benchSettings(t)
	log := &quietLogger{}
	inst, err := api.VWOInstance{SettingsFile: s}.Init(api.WithDevelopmentMode(), api.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if inst.GetVariationName("ab_homepage_hero", "Ashley", nil) == "" && inst.GetVariationName("ab_signup_flow", "Ashley", nil) == "" {
		t.Log("Ashley gets no variation in either campaign")
	}
	inst.Close()
	inst.Close()
	if v := inst.Activate("ab_homepage_hero", "Ashley", nil); v != "" {
		t.Fatalf("Activate after Close: %q", v)
	}
	if v := inst.GetVariationName("ab_homepage_hero", "Ashley", nil); v != "" {
		t.Fatal(v)
	}
	if inst.IsFeatureEnabled("ft_dark_mode", "Ashley", nil) {
		t.Fatal("IsFeatureEnabled after Close")
	}
	if v := inst.GetFeatureVariableValue("ft_dark_mode", "x", "Ashley", nil); v != nil {
		t.Fatal(v)
	}
	if r := inst.Track(nil, "Ashley", "purchase", nil); r == nil || len(r) != 0 {
		t.Fatal(r)
	}
	if inst.Push("k", "v", "Ashley") || inst.SetOptOut() {
		t.Fatal("Push/SetOptOut after Close")
	}
	inst.FlushEvents()
	inst.GetAndUpdateSettingsFile()
	if !strings.Contains(strings.Join(log.all(), "\n"), "closed") {
		t.Fatal("calls after Close not logged")
	}
	// a copy of the instance value shares its state
	cp := *inst
	if cp.Activate("ab_homepage_hero", "Ashley", nil) != "" {
		t.Fatal("copy of a closed instance works")
	}
}

// Close while other goroutines call: calls either finish normally or return failure values.
func TestCloseDuringCalls(t *testing.T) {
	s := benchSettings(t)
	inst, err := api.VWOInstance{SettingsFile: s}.Init(api.WithDevelopmentMode(), api.WithLogger(&quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				inst.GetVariationName("ab_homepage_hero", fmt.Sprintf("c%d_%d", g, i), nil)
			}
		}(g)
	}
	time.Sleep(20 * time.Millisecond)
	inst.Close()
	close(stop)
	wg.Wait()
}

func TestNilAndUnlaunchedInstances(t *testing.T) {
	var nilInst *api.VWOInstance
	if nilInst.Activate("a", "b", nil) != "" || nilInst.IsFeatureEnabled("a", "b", nil) || nilInst.Push("a", "b", "c") {
		t.Fatal("nil instance")
	}
	if r := nilInst.Track("a", "b", "c", nil); len(r) != 0 {
		t.Fatal(r)
	}
	nilInst.Close()
	nilInst.FlushEvents()
	var zero api.VWOInstance
	if zero.GetVariationName("a", "b", nil) != "" {
		t.Fatal("zero instance")
	}
	zero.Close()
	// an invalid settings file: Launch reports it and the instance answers failure values
	inst, err := api.VWOInstance{}.Init(api.WithLogger(&quietLogger{}))
	if err == nil || inst == nil {
		t.Fatalf("launch of empty settings: %v %v", inst, err)
	}
	if inst.Activate("a", "b", nil) != "" {
		t.Fatal("instance of invalid settings")
	}
	inst.Close()
}

// Options of the wrong type return the failure value and log why (vwo-go-sdk panics on some).
func TestBadInput(t *testing.T) {
	s := benchSettings(t)
	log := &quietLogger{}
	inst := launchT(t, s, api.WithDevelopmentMode(), api.WithLogger(log))
	user := ""
	for i := 0; i < 100 && user == ""; i++ {
		if inst.GetVariationName("ab_homepage_hero", fmt.Sprintf("b%d", i), nil) != "" {
			user = fmt.Sprintf("b%d", i)
		}
	}
	bad := []interface{}{
		"customVariables",
		42,
		schema.Options{},
		map[string]string{"customVariables": "x"},
		map[string]interface{}{"customVariables": "not a map"},
		map[string]interface{}{"customVariables": []int{1}},
		map[string]interface{}{"variationTargetingVariables": 3.5},
		map[string]interface{}{"customVariables": map[string]interface{}{"f": func() {}}},
		map[string]interface{}{"userAgent": 7},
	}
	for i, o := range bad {
		before := len(log.all())
		if v := inst.GetVariationName("ab_homepage_hero", user, o); v != "" {
			t.Errorf("bad option %d (%T): got %q", i, o, v)
		}
		if len(log.all()) == before {
			t.Errorf("bad option %d (%T) not logged", i, o)
		}
	}
	trackBad := []interface{}{
		map[string]interface{}{"goalTypeToTrack": 5},
		map[string]interface{}{"goalTypeToTrack": "SOME"},
		map[string]interface{}{"shouldTrackReturningUser": "yes"},
		map[string]interface{}{"revenueValue": map[string]interface{}{}},
	}
	for i, o := range trackBad {
		if r := inst.Track("ab_checkout_button", user, "checkout_revenue", o); len(r) != 0 {
			t.Errorf("bad track option %d: %+v", i, r)
		}
	}
	for _, keys := range []interface{}{42, []int{1}, []interface{}{"a", 1}, map[string]int{}} {
		if r := inst.Track(keys, user, "purchase", nil); len(r) != 0 {
			t.Errorf("campaign keys %T: %+v", keys, r)
		}
	}
	for _, args := range [][2]string{{"", user}, {"ab_homepage_hero", ""}, {"ab_home\x00page_hero", user},
		{"ab_homepage_hero", "a\x00b"}, {"no_such_campaign", user}, {"\xff\xfe", user}} {
		if v := inst.Activate(args[0], args[1], nil); v != "" {
			t.Errorf("Activate(%q, %q) = %q", args[0], args[1], v)
		}
	}
	if inst.Push(strings.Repeat("k", 256), "v", user) || inst.Push("k", "v", "") {
		t.Error("invalid push succeeded")
	}
	if !inst.Push("k", "v", user) {
		t.Error("push failed")
	}
	// an option that is right after all
	if v := inst.GetVariationName("ab_homepage_hero", user, map[string]interface{}{"customVariables": map[string]interface{}{}, "unknownKey": func() {}}); v == "" {
		t.Error("unknown option keys must be ignored")
	}
	// a launch option of the wrong type: logged, Track fails, the rest works
	inst2, err := api.VWOInstance{SettingsFile: s}.Init(api.WithDevelopmentMode(), api.WithLogger(log), api.WithGoalAttributes(7, "x"))
	if err == nil {
		t.Error("bad goal attributes not reported")
	}
	defer inst2.Close()
	if r := inst2.Track("ab_homepage_hero", user, "hero_click", nil); len(r) != 0 {
		t.Errorf("track with bad goal attributes: %+v", r)
	}
	if inst2.GetVariationName("ab_homepage_hero", user, nil) == "" {
		t.Error("decisions must work with bad goal attributes")
	}
	// a storage or logger of the wrong shape: reported, the instance works
	inst3, err := api.VWOInstance{SettingsFile: s}.Init(api.WithDevelopmentMode(), api.WithStorage(struct{}{}), api.WithLogger(log))
	if err == nil || inst3.GetVariationName("ab_homepage_hero", user, nil) == "" {
		t.Errorf("bad storage: %v", err)
	}
	inst3.Close()
}

// Options: ints stay ints and floats stay floats, nested values are encoded, nil values and unknown
// keys are left out.
func TestOptionsEncoding(t *testing.T) {
	b, err := api.AppendOptions(nil, map[string]interface{}{"customVariables": map[string]interface{}{
		"i": 1, "f": 1.0, "g": 2.5, "big": 1e21, "s": "a\"b\n", "u": "ü", "b": true, "n": nil,
		"l": []interface{}{1, "x"}, "m": map[string]string{"k": "v"}, "i64": int64(-3), "f32": float32(0.5)},
		"revenueValue": nil, "unknown": 1})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]map[string]json.RawMessage
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	cv := got["customVariables"]
	want := map[string]string{"i": "1", "f": "1.0", "g": "2.5", "big": "1e+21", "s": `"a\"b\n"`, "u": `"ü"`,
		"b": "true", "n": "null", "l": `[1,"x"]`, "m": `{"k":"v"}`, "i64": "-3", "f32": "0.5"}
	for k, v := range want {
		if string(cv[k]) != v {
			t.Errorf("%s: got %s want %s", k, cv[k], v)
		}
	}
	if len(got) != 1 {
		t.Errorf("keys: %s", b)
	}
	if b, _ := api.AppendOptions(nil, map[string]interface{}{}); len(b) != 0 {
		t.Errorf("empty options: %q", b)
	}
	if b, _ := api.AppendOptions(nil, nil); len(b) != 0 {
		t.Errorf("nil options: %q", b)
	}
}

// Batching: the flush callback gets each batch; events reach the collector; FlushEvents sends a
// partial batch.
func TestBatchQueueAndFlushCallback(t *testing.T) {
	s := benchSettings(t)
	col := newCollector(t)
	var mu sync.Mutex
	var batches [][]map[string]interface{}
	var errs []error
	inst := launchT(t, s, api.WithLogger(&quietLogger{}),
		api.WithLibvwoOptions(map[string]interface{}{"base_url": col.srv.URL}),
		api.WithBatchEventQueue(api.BatchConfig{EventsPerRequest: 10, RequestTimeInterval: 600},
			func(err error, batch []map[string]interface{}) {
				mu.Lock()
				batches = append(batches, batch)
				errs = append(errs, err)
				mu.Unlock()
			}))
	activated := 0
	for i := 0; i < 25; i++ {
		if inst.Activate("ab_homepage_hero", fmt.Sprintf("batch_%d", i), nil) != "" {
			activated++
		}
	}
	inst.FlushEvents()
	total := 0
	mu.Lock()
	for i, b := range batches {
		total += len(b)
		if errs[i] != nil {
			t.Errorf("batch %d: %v", i, errs[i])
		}
	}
	mu.Unlock()
	if total != activated {
		t.Fatalf("%d events in flush callbacks for %d activations", total, activated)
	}
	reqs := col.take()
	n := 0
	for _, r := range reqs {
		if !strings.HasPrefix(r.target, "/server-side/batch-events") || r.method != "POST" {
			t.Fatalf("unexpected request %s %s", r.method, r.target)
		}
		if !strings.Contains(r.target, "sdk=libvwo-go") {
			t.Errorf("sdk name: %s", r.target)
		}
		var body struct{ Ev []json.RawMessage }
		if err := json.Unmarshal([]byte(r.body), &body); err != nil {
			t.Fatal(err)
		}
		n += len(body.Ev)
	}
	if n != activated {
		t.Fatalf("collector got %d events for %d activations", n, activated)
	}
}

// A forgotten instance is closed by the finalizer (no leak of the C client, no crash).
func TestFinalizerBackstop(t *testing.T) {
	s := benchSettings(t)
	for i := 0; i < 5; i++ {
		inst, err := api.VWOInstance{SettingsFile: s}.Init(api.WithDevelopmentMode())
		if err != nil {
			t.Fatal(err)
		}
		inst.GetVariationName("ab_homepage_hero", "x", nil)
	}
	runtime.GC()
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
}

func TestTrackResultParsing(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []schema.TrackResult
	}{
		{`{}`, []schema.TrackResult{}},
		{`{"a":true}`, []schema.TrackResult{{CampaignKey: "a", TrackValue: true}}},
		{`{"a":true,"b\"c":false,"ü":true}`, []schema.TrackResult{{CampaignKey: "a", TrackValue: true}, {CampaignKey: "b\"c", TrackValue: false}, {CampaignKey: "ü", TrackValue: true}}},
	} {
		got, err := api.TrackResults([]byte(c.in))
		if err != nil || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v %v", c.in, got, err)
		}
	}
	for _, in := range []string{``, `[]`, `{"a":1}`, `{"a"`, `{"a":tru`} {
		if _, err := api.TrackResults([]byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	for in, want := range map[string]interface{}{`"x"`: "x", `"a\"b"`: `a"b`, `true`: true, `12`: 12.0, `-1.5`: -1.5,
		`{"k":1}`: map[string]interface{}{"k": 1.0}} {
		got, err := api.VariableValue([]byte(in))
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
}

// Equal option maps encode to equal texts (sorted keys), whatever Go's map order.
func TestOptionsEncodingIsDeterministic(t *testing.T) {
	first, _ := api.AppendOptions(nil, map[string]interface{}{"customVariables": profile})
	for i := 0; i < 50; i++ {
		b, _ := api.AppendOptions(nil, map[string]interface{}{"customVariables": profile})
		if string(b) != string(first) {
			t.Fatalf("%s != %s", b, first)
		}
	}
	if !strings.HasPrefix(string(first), `{"customVariables":{"age":34,"browser":"Chrome",`) {
		t.Fatalf("%s", first)
	}
}

// Maps of the same size with other keys, nested maps and empty maps: the remembered key order of a
// size is used only for exactly its keys.
func TestOptionsEncodingOfMapsOfOneSize(t *testing.T) {
	cases := []struct {
		m    map[string]interface{}
		want string
	}{
		{map[string]interface{}{"b": 1, "a": "x", "c": true}, `{"a":"x","b":1,"c":true}`},
		{map[string]interface{}{"b": 2, "a": "y", "d": false}, `{"a":"y","b":2,"d":false}`},
		{map[string]interface{}{"c": 1.5, "a": nil, "b": map[string]interface{}{"z": 1, "y": 2, "x": 3}},
			`{"a":null,"b":{"x":3,"y":2,"z":1},"c":1.5}`},
		{map[string]interface{}{"x": 1, "y": 2, "z": 3}, `{"x":1,"y":2,"z":3}`},
		{map[string]interface{}{}, `{}`},
		{map[string]interface{}{"b": 1, "a": "x", "c": true}, `{"a":"x","b":1,"c":true}`},
	}
	for round := 0; round < 3; round++ {
		for _, c := range cases {
			b, err := api.AppendOptions(nil, map[string]interface{}{"customVariables": c.m})
			if err != nil || string(b) != `{"customVariables":`+c.want+`}` {
				t.Fatalf("round %d: %s (%v), want %s", round, b, err, c.want)
			}
		}
	}
}

// A map changed between calls is read afresh on every call: values changed in place, a key replaced
// by another (same size, other keys) and a key removed all change the decision as a new map would.
// Nothing is remembered per map; libvwo only recognises an options text it parsed before.
func TestChangedOptionMapIsReadAgain(t *testing.T) {
	inst := launchT(t, benchSettings(t), api.WithDevelopmentMode())
	const key, user = "ab_footer_cta", "user_1" // segments: not country lower(cn); 100% traffic
	attrs := map[string]interface{}{"country": "CN", "plan": "free"}
	opt := map[string]interface{}{"customVariables": attrs}
	for i := 0; i < 3; i++ {
		attrs["country"] = "CN"
		if v := inst.GetVariationName(key, user, opt); v != "" {
			t.Fatalf("round %d, country CN: %q, want no variation", i, v)
		}
		attrs["country"] = "US"
		if v := inst.GetVariationName(key, user, opt); v == "" {
			t.Fatalf("round %d, country US: no variation", i)
		}
	}
	delete(attrs, "plan")
	attrs["country"] = "cn"
	attrs["tier"] = 1 // same size as before, other keys
	if v := inst.GetVariationName(key, user, opt); v != "" {
		t.Fatalf("country cn with tier: %q, want no variation", v)
	}
	delete(attrs, "country")
	if v := inst.GetVariationName(key, user, opt); v == "" {
		t.Fatal("country removed: no variation")
	}
	opt["customVariables"] = map[string]interface{}{"country": "CN", "tier": 1}
	if v := inst.GetVariationName(key, user, opt); v != "" {
		t.Fatalf("customVariables replaced by a CN map: %q, want no variation", v)
	}
}

// Floats are written so that they read back as the same float64 (and as floats), whichever way the
// encoder takes; strings as encoding/json writes them, whatever position a byte to escape has.
func TestOptionsEncodingOfFloatsAndStrings(t *testing.T) {
	r := rand.New(rand.NewSource(14))
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 19.99, 0.1, 1e-4, 9.9999e-5, 123456789012345, 1e15, 1e21,
		5e-324, math.MaxFloat64, 0.30000000000000004, 2.5e-7, -49.5}
	for i := 0; i < 20000; i++ {
		floats = append(floats, float64(r.Int63n(1e9))/math.Pow10(r.Intn(8)), math.Float64frombits(r.Uint64()),
			r.NormFloat64()*1e4)
	}
	for _, f := range floats {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		b, err := api.AppendOptions(nil, map[string]interface{}{"revenueValue": f})
		if err != nil {
			t.Fatalf("%v: %v", f, err)
		}
		text := strings.TrimSuffix(strings.TrimPrefix(string(b), `{"revenue_value":`), "}")
		back, err := strconv.ParseFloat(text, 64)
		if err != nil || back != f || math.Signbit(back) != math.Signbit(f) || !strings.ContainsAny(text, ".e") {
			t.Fatalf("%v (%b) written %q", f, math.Float64bits(f), text)
		}
	}
	// A numeric revenue is written first, under libvwo's name, so that libvwo separates it from the
	// rest (the profile it has parsed before); other revenues stay in key order.
	b, _ := api.AppendOptions(nil, map[string]interface{}{"revenueValue": 12.5, "userAgent": "UA",
		"customVariables": map[string]interface{}{"a": 1}})
	if want := `{"revenue_value":12.5,"customVariables":{"a":1},"userAgent":"UA"}`; string(b) != want {
		t.Fatalf("revenue and options written %s, want %s", b, want)
	}
	b, _ = api.AppendOptions(nil, map[string]interface{}{"revenueValue": "12.5", "userAgent": "UA"})
	if want := `{"revenueValue":"12.5","userAgent":"UA"}`; string(b) != want {
		t.Fatalf("text revenue written %s, want %s", b, want)
	}
	special := []string{`"`, `\`, "\n", "\x00", "\x1f", "é", "\xff", " ", "~", "\x7f"}
	for n := 0; n < 40; n++ {
		for pos := 0; pos <= n; pos++ {
			for _, c := range special {
				s := strings.Repeat("a", pos) + c + strings.Repeat("b", n-pos)
				b, err := api.AppendOptions(nil, map[string]interface{}{"userAgent": s})
				want, _ := json.Marshal(map[string]string{"userAgent": s})
				if err != nil || string(b) != string(want) {
					t.Fatalf("%q written %s, want %s", s, b, want)
				}
			}
		}
	}
}
