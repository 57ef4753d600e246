package wingify_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vwo "github.com/libvwo/libvwo/bindings/go/fme"
	"github.com/libvwo/libvwo/bindings/go/fme/wingify"
	"github.com/libvwo/libvwo/bindings/go/fme/wingify/pkg/enums"
	"github.com/libvwo/libvwo/bindings/go/fme/wingify/pkg/models"
	"github.com/libvwo/libvwo/bindings/go/fme/wingify/pkg/packages/storage"
)

// rolloutAndTesting is a feature "feature1" with a 100% rollout and a 50/50 testing rule.
func rolloutAndTesting(t testing.TB) string {
	b, err := os.ReadFile(filepath.Join(vectorsDir, "data", "settings", "RolloutAndTestingSettings.json"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newClient is a client over settings whose events go to col (nil: a closed port).
func newClient(t testing.TB, settings string, col *collector, extra map[string]interface{}) *wingify.WingifyClient {
	base := "http://127.0.0.1:9"
	if col != nil {
		base = col.srv.URL
	}
	o := map[string]interface{}{
		"sdkKey": "000000000000_MASKED_000000000000", "accountId": 12345, "settings": settings,
		"logger": map[string]interface{}{"level": "ERROR", "transport": map[string]interface{}{
			"log": func(level, message string) {}}},
		wingify.OptionLibvwo: map[string]interface{}{"base_url": base, "poll_interval": 0,
			"delivery": map[string]interface{}{"max_attempts": 1, "close_timeout_ms": 2000}},
	}
	for k, v := range extra {
		o[k] = v
	}
	c, err := vwo.Init(o)
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestReadmeUsage(t *testing.T) {
	col := startCollector()
	defer col.srv.Close()
	c := newClient(t, rolloutAndTesting(t), col, nil)
	context := map[string]interface{}{"id": "unique_user_id", "customVariables": map[string]interface{}{"age": 25}}
	getFlag, err := c.GetFlag("feature1", context)
	if err != nil || !getFlag.IsEnabled() {
		t.Fatalf("GetFlag: %v %v", getFlag, err)
	}
	if v := getFlag.GetVariable("string", "default_value"); v != "test" && v != "test_variation" {
		t.Errorf("GetVariable string = %v", v)
	}
	if v := getFlag.GetVariable("nope", "default_value"); v != "default_value" {
		t.Errorf("GetVariable default = %v", v)
	}
	if n, ok := getFlag.GetVariable("int", 0).(float64); !ok || (n != 10 && n != 11) {
		t.Errorf("GetVariable int = %#v", getFlag.GetVariable("int", 0))
	}
	vars := getFlag.GetVariables()
	if len(vars) != 5 || vars[0]["key"] != "int" || vars[0]["type"] != "integer" || vars[0]["id"] != 1 {
		t.Errorf("GetVariables = %v", vars)
	}
	want, _ := vwo.GetUUID("unique_user_id", "12345")
	if getFlag.GetUUID() != want || len(want) != 32 {
		t.Errorf("uuid %q, GetUUID %q", getFlag.GetUUID(), want)
	}
	if getFlag.GetSessionId() < 1600000000 {
		t.Errorf("session id %d", getFlag.GetSessionId())
	}
	f2, _ := c.GetFlag("feature1", map[string]interface{}{"id": "u", "sessionId": int64(1234567890)})
	if f2.GetSessionId() != 1234567890 {
		t.Errorf("session id given: %d", f2.GetSessionId())
	}
	res, err := c.TrackEvent("custom1", context, map[string]interface{}{"revenue": 5})
	if err != nil || !res["custom1"] {
		t.Errorf("TrackEvent = %v, %v", res, err)
	}
	res, err = c.TrackEvent("unknown", context, nil)
	if err != nil || res["unknown"] {
		t.Errorf("TrackEvent unknown = %v, %v", res, err)
	}
	if err := c.SetAttribute(map[string]interface{}{"attribute-name": "attribute-value", "n": 3}, context); err != nil {
		t.Errorf("SetAttribute: %v", err)
	}
	if err := c.FlushEvents(); err == nil || err.Error() != "batching is not enabled" {
		t.Errorf("FlushEvents without batching: %v", err)
	}
	if s := c.GetOriginalSettings(); !strings.Contains(s, "feature1_testingRule1") {
		t.Errorf("GetOriginalSettings: %.100s", s)
	}
	_ = c.Close()
	var events []string
	for _, r := range col.take() {
		events = append(events, r.target+" "+string(r.body))
	}
	all := strings.Join(events, "\n")
	for _, w := range []string{"vwo_variationShown", "custom1", "vwo_syncVisitorProp", "attribute-value"} {
		if !strings.Contains(all, w) {
			t.Errorf("no event with %q among %d requests", w, len(events))
		}
	}
	if !strings.Contains(all, "libvwo-fme-go") {
		t.Errorf("events do not name the binding (sn libvwo-fme-go)")
	}
}

func TestInitErrors(t *testing.T) {
	s := rolloutAndTesting(t)
	cases := []struct {
		options map[string]interface{}
		want    string
	}{
		{map[string]interface{}{"accountId": 1, "settings": s}, "Please provide the sdkKey in the options"},
		{map[string]interface{}{"sdkKey": 5, "accountId": 1, "settings": s}, "Please provide the sdkKey"},
		{map[string]interface{}{"sdkKey": "k", "settings": s}, "Please provide VWO account ID"},
		{map[string]interface{}{"sdkKey": "k", "accountId": "abc", "settings": s}, "account ID"},
		{map[string]interface{}{"sdkKey": "k", "accountId": 1, "settings": "{not json"}, "failed to parse provided settings"},
		{map[string]interface{}{"sdkKey": "k", "accountId": 1, "settings": `{"features": 5}`}, "failed to parse provided settings"},
		{map[string]interface{}{"sdkKey": "k", "accountId": 1, "settings": s, "isAliasingEnabled": true}, "aliasing"},
		{map[string]interface{}{"sdkKey": "k", "accountId": 1, "settings": s,
			wingify.OptionLibvwo: map[string]interface{}{"colour": 1}}, "colour"},
	}
	for i, tc := range cases {
		c, err := vwo.Init(tc.options)
		if c != nil || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("case %d: %v, %v; want an error with %q", i, c, err, tc.want)
		}
	}
	if _, err := vwo.Init(nil); err == nil {
		t.Error("Init(nil): no error")
	}
	if _, err := wingify.Init(map[string]interface{}{"sdkKey": "k"}); err == nil ||
		!strings.Contains(err.Error(), "Wingify account ID") {
		t.Errorf("wingify.Init brand: %v", err)
	}
	if _, err := vwo.GetUUID("", "1"); err == nil || err.Error() != "userID and accountID are required" {
		t.Errorf("GetUUID empty: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	c := newClient(t, rolloutAndTesting(t), nil, nil)
	for i, ctx := range []map[string]interface{}{nil, {}, {"id": ""}, {"id": nil}, {"name": "x"}, {"id": 2.5},
		{"id": []string{"a"}}} {
		f, err := c.GetFlag("feature1", ctx)
		if f == nil || f.IsEnabled() || len(f.GetVariables()) != 0 || f.GetVariable("int", 7) != 7 ||
			err == nil || err.Error() != "invalid context" {
			t.Errorf("context %d %v: %v, %v", i, ctx, f, err)
		}
		r, err := c.TrackEvent("custom1", ctx)
		if r["custom1"] || err == nil {
			t.Errorf("TrackEvent context %d: %v, %v", i, r, err)
		}
		if err := c.SetAttribute(map[string]interface{}{"a": 1}, ctx); err == nil || err.Error() != "invalid context" {
			t.Errorf("SetAttribute context %d: %v", i, err)
		}
	}
	ok := map[string]interface{}{"id": "u"}
	if f, err := c.GetFlag("", ok); f.IsEnabled() || err == nil || err.Error() != "featureKey should be a non-empty string" {
		t.Errorf("empty feature key: %v, %v", f, err)
	}
	if f, err := c.GetFlag("missing", ok); f.IsEnabled() || err != nil {
		t.Errorf("unknown feature: %v, %v", f, err)
	}
	if r, err := c.TrackEvent("", ok); r[""] || err == nil || err.Error() != "eventName should be a non-empty string" {
		t.Errorf("empty event name: %v, %v", r, err)
	}
	if err := c.SetAttribute(nil, ok); err == nil || err.Error() != "attributes map should contain at least 1 key-value pair" {
		t.Errorf("no attributes: %v", err)
	}
	if err := c.SetAttribute(map[string]interface{}{"k": []int{1}}, ok); err == nil ||
		err.Error() != "invalid attribute type for key k" {
		t.Errorf("list attribute: %v", err)
	}
	if err := c.SetAttribute(map[string]interface{}{"k": make(chan int)}, ok); err == nil {
		t.Error("channel attribute: no error")
	}
	if _, err := c.GetFlag("feature1", map[string]interface{}{"id": "u", "customVariables": make(chan int)}); err == nil {
		t.Error("unencodable context: no error")
	}
	// Wrong types inside the context: libvwo reads what it can, as the reference.
	f, err := c.GetFlag("feature1", map[string]interface{}{"id": 42, "customVariables": "not a map", "sessionId": "x",
		"bucketingSeed": 5, "userAgent": 3})
	if err != nil || f == nil {
		t.Errorf("odd context types: %v, %v", f, err)
	}
	if err := c.UpdateSettings(`{"features": 5}`); err == nil || !strings.Contains(err.Error(), "settings are invalid") {
		t.Errorf("invalid UpdateSettings: %v", err)
	}
	if err := c.UpdateSettings("{not json"); err == nil {
		t.Error("UpdateSettings with bad JSON: no error")
	}
	if f, _ := c.GetFlag("feature1", ok); !f.IsEnabled() {
		t.Error("the settings in force were lost")
	}
	if err := c.UpdateSettings(rolloutAndTesting(t)); err != nil {
		t.Errorf("valid UpdateSettings: %v", err)
	}
}

// panicky panics in every callback.
type panicky struct{ calls atomic.Int64 }

func (p *panicky) Set(map[string]interface{}) error {
	p.calls.Add(1)
	panic("storage Set panics")
}

func (p *panicky) Get(string, string) (interface{}, error) {
	p.calls.Add(1)
	panic("storage Get panics")
}

var _ storage.Connector = (*panicky)(nil)

func TestPanickingCallbacks(t *testing.T) {
	p := &panicky{}
	var hooks, logs atomic.Int64
	col := startCollector()
	defer col.srv.Close()
	c := newClient(t, rolloutAndTesting(t), col, map[string]interface{}{
		"storage": p,
		"integrations": map[string]interface{}{"Callback": func(map[string]interface{}) {
			hooks.Add(1)
			panic("integrations panics")
		}},
		"logger": map[string]interface{}{"level": "ERROR", "transport": map[string]interface{}{
			"log": func(level, message string) {
				logs.Add(1)
				panic("logger panics")
			}}},
		"batchEventData": map[string]interface{}{"eventsPerRequest": 2, "flushCallback": func(error, string) {
			panic("flush panics")
		}},
	})
	for i := 0; i < 20; i++ {
		f, err := c.GetFlag("feature1", map[string]interface{}{"id": fmt.Sprintf("u%d", i)})
		if err != nil || !f.IsEnabled() {
			t.Fatalf("GetFlag with panicking callbacks: %v, %v", f, err)
		}
	}
	if err := c.FlushEvents(); err != nil {
		t.Errorf("FlushEvents: %v", err)
	}
	if p.calls.Load() == 0 || hooks.Load() == 0 || logs.Load() == 0 {
		t.Errorf("callbacks called: storage %d, integrations %d, logger %d", p.calls.Load(), hooks.Load(), logs.Load())
	}
}

// mapStorage is the README's storage connector.
type mapStorage struct {
	mu   sync.Mutex
	data map[string]map[string]interface{}
}

func (c *mapStorage) Set(data map[string]interface{}) error {
	featureKey, _ := data["featureKey"].(string)
	userID, _ := data["userId"].(string)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.data[featureKey+":"+userID] = data
	return nil
}

func (c *mapStorage) Get(featureKey string, userID string) (interface{}, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if data, ok := c.data[featureKey+":"+userID]; ok {
		return data, nil
	}
	return nil, nil
}

func TestStorageAndIntegrations(t *testing.T) {
	st := &mapStorage{data: map[string]map[string]interface{}{}}
	var mu sync.Mutex
	var props []map[string]interface{}
	c := newClient(t, rolloutAndTesting(t), nil, map[string]interface{}{
		enums.OptionStorage.GetValue(): st,
		"integrations": map[string]interface{}{"Callback": func(p map[string]interface{}) {
			mu.Lock()
			props = append(props, p)
			mu.Unlock()
		}},
	})
	f1, _ := c.GetFlag("feature1", map[string]interface{}{"id": "stored-user"})
	if len(st.data) == 0 {
		t.Fatal("nothing stored")
	}
	rec := st.data["feature1:stored-user"]
	if rec == nil || rec[enums.StorageRolloutKey.GetValue()] == nil || rec[enums.StorageUserID.GetValue()] != "stored-user" {
		t.Fatalf("record %v", st.data)
	}
	// Whatever the settings become, the stored decision stays.
	f2, _ := c.GetFlag("feature1", map[string]interface{}{"id": "stored-user"})
	if f1.GetVariable("string", "") != f2.GetVariable("string", "") {
		t.Errorf("stored decision not reused")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(props) == 0 || props[0][enums.DecisionFeatureKey.GetValue()] != "feature1" ||
		props[0][enums.DecisionUserID.GetValue()] != "stored-user" || props[0][enums.DecisionRolloutVariationID.GetValue()] == nil {
		t.Errorf("integrations: %v", props)
	}
}

func TestCloseSemantics(t *testing.T) {
	c := newClient(t, rolloutAndTesting(t), nil, nil)
	ctx := map[string]interface{}{"id": "u"}
	if f, _ := c.GetFlag("feature1", ctx); !f.IsEnabled() {
		t.Fatal("not enabled before Close")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	f, err := c.GetFlag("feature1", ctx)
	if f == nil || f.IsEnabled() || f.GetVariable("int", 1) != 1 || !errors.Is(err, wingify.ErrClosed) {
		t.Errorf("GetFlag after Close: %v, %v", f, err)
	}
	if r, err := c.TrackEvent("custom1", ctx); r["custom1"] || !errors.Is(err, wingify.ErrClosed) {
		t.Errorf("TrackEvent after Close: %v, %v", r, err)
	}
	if err := c.SetAttribute(map[string]interface{}{"a": 1}, ctx); !errors.Is(err, wingify.ErrClosed) {
		t.Errorf("SetAttribute after Close: %v", err)
	}
	if err := c.UpdateSettings(rolloutAndTesting(t)); !errors.Is(err, wingify.ErrClosed) {
		t.Errorf("UpdateSettings after Close: %v", err)
	}
	if err := c.FlushEvents(); !errors.Is(err, wingify.ErrClosed) {
		t.Errorf("FlushEvents after Close: %v", err)
	}
	if s := c.GetOriginalSettings(); s != "" {
		t.Errorf("GetOriginalSettings after Close: %.40s", s)
	}
}

// Close while 16 goroutines decide: every call either decides or answers ErrClosed; nothing crashes.
func TestCloseWhileDeciding(t *testing.T) {
	c := newClient(t, rolloutAndTesting(t), nil, nil)
	var wg sync.WaitGroup
	var decided, closed atomic.Int64
	start := make(chan struct{})
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			<-start
			for i := 0; i < 300; i++ {
				f, err := c.GetFlag("feature1", map[string]interface{}{"id": fmt.Sprintf("u%d-%d", g, i)})
				switch {
				case err == nil && f.IsEnabled():
					decided.Add(1)
				case errors.Is(err, wingify.ErrClosed):
					closed.Add(1)
				default:
					t.Errorf("GetFlag: %v, %v", f, err)
					return
				}
			}
		}(g)
	}
	close(start)
	for deadline := time.Now().Add(5 * time.Second); decided.Load() < 50 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	_ = c.Close()
	wg.Wait()
	if decided.Load() == 0 || decided.Load()+closed.Load() != 16*300 {
		t.Errorf("decided %d, closed %d", decided.Load(), closed.Load())
	}
}

func digest(c *wingify.WingifyClient, from, to int) uint64 {
	h := fnv.New64a()
	for i := from; i < to; i++ {
		f, err := c.GetFlag("feature1", map[string]interface{}{"id": fmt.Sprintf("user-%d", i),
			"customVariables": map[string]interface{}{"i": i}})
		if err != nil {
			fmt.Fprintf(h, "err %v;", err)
			continue
		}
		vars, _ := json.Marshal(f.GetVariables())
		fmt.Fprintf(h, "%v %s %s;", f.IsEnabled(), f.GetUUID(), vars)
	}
	return h.Sum64()
}

// 64 goroutines on one client agree with a sequential run.
func TestGoroutinesAgreeWithSequential(t *testing.T) {
	c := newClient(t, rolloutAndTesting(t), nil, nil)
	per := 300
	if raceEnabled {
		per = 40
	}
	seq := make([]uint64, 64)
	for g := range seq {
		seq[g] = digest(c, g*per, (g+1)*per)
	}
	par := make([]uint64, 64)
	var wg sync.WaitGroup
	for g := range par {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			par[g] = digest(c, g*per, (g+1)*per)
		}(g)
	}
	wg.Wait()
	for g := range seq {
		if seq[g] != par[g] {
			t.Errorf("goroutine %d differs from the sequential run", g)
		}
	}
}

// The result types are the official ones.
func TestModels(t *testing.T) {
	var _ models.GetFlagResponse = models.NewGetFlag(false, nil, "", 0)
	f := models.NewGetFlag(true, []*models.Variable{models.NewVariable("k", "v", "string", 1)}, "U", 7)
	if !f.IsEnabled() || f.GetVariable("k", nil) != "v" || f.GetSessionId() != 7 || f.GetUUID() != "U" {
		t.Errorf("GetFlag model: %+v", f)
	}
	b, _ := json.Marshal(f)
	if !strings.Contains(string(b), `"isEnabled":true`) {
		t.Errorf("JSON tags: %s", b)
	}
	bd := models.NewBatchEventData(map[string]interface{}{"eventsPerRequest": 3, "requestTimeInterval": 9})
	if bd.GetEventsPerRequest() != 3 || bd.GetRequestTimeInterval() != 9 {
		t.Errorf("batch data %+v", bd)
	}
}

// Each flag owns its variables: changing one flag's JSON value leaves the next flag's alone.
func TestVariablesAreCopies(t *testing.T) {
	c := newClient(t, rolloutAndTesting(t), nil, nil)
	for i := 0; i < 60; i++ {
		ctx := map[string]interface{}{"id": fmt.Sprintf("copy-%d", i)}
		f1, _ := c.GetFlag("feature1", ctx)
		if m, ok := f1.GetVariable("json", nil).(map[string]interface{}); ok {
			m["name"] = "changed"
			f2, _ := c.GetFlag("feature1", ctx)
			if m2 := f2.GetVariable("json", nil).(map[string]interface{}); m2["name"] != "VWO" {
				t.Fatalf("variables shared between flags: %v", m2)
			}
			return
		}
	}
	t.Fatal("no user got the variation with a JSON object variable")
}

// The official network options: proxyUrl and gatewayService send the events to that host.
func TestProxyAndGatewayOptions(t *testing.T) {
	for _, opt := range []string{"proxyUrl", "gatewayService"} {
		col := startCollector()
		var v interface{} = col.srv.URL
		if opt == "gatewayService" {
			v = map[string]interface{}{"url": col.srv.URL}
		}
		c, err := vwo.Init(map[string]interface{}{"sdkKey": "000000000000_MASKED_000000000000", "accountId": "12345",
			"settings": rolloutAndTesting(t), opt: v, "pollInterval": 60000,
			"logger": map[string]interface{}{"level": "error", "prefix": "ignored",
				"transports": []map[string]interface{}{{"error": func(string) {}}}},
			wingify.OptionLibvwo: map[string]interface{}{"poll_interval": 0}})
		if err != nil {
			t.Fatalf("%s: %v", opt, err)
		}
		if f, err := c.GetFlag("feature1", map[string]interface{}{"id": "u1"}); err != nil || !f.IsEnabled() {
			t.Errorf("%s: %v %v", opt, f, err)
		}
		_ = c.Close()
		reqs := col.take()
		col.srv.Close()
		found := false
		for _, r := range reqs {
			found = found || strings.Contains(r.target, "vwo_variationShown") || strings.Contains(string(r.body), "vwo_variationShown")
		}
		if !found {
			t.Errorf("%s: no impression reached it (%d requests)", opt, len(reqs))
		}
	}
}
