// Package bench runs the workloads of shared/bench/workload_spec.md (W1, W2, W4) through the Go
// binding, generated call for call as benches/workloads.rs and the reference harnesses generate them,
// with the network stubbed by a local HTTP server that answers 200 at once (events are really built,
// batched and delivered by libvwo's event thread, off the calling goroutine). Each benchmark checks its
// digest or counts against the reference SDKs' and fails when they differ.
//
//	make bench-go   # = cd bindings/go && go test -run '^$' -bench 'W[124]' -benchtime 3x -count 1 ./bench
package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libvwo/libvwo/bindings/go/pkg/api"
	"github.com/libvwo/libvwo/bindings/go/pkg/schema"
)

// Reference results (identical in vwo-python-sdk 1.68.2 and vwo-node-sdk 1.73.0).
const (
	w1Digest      = "b9c83e941c4c8c634609f9efe65381140f7b5f69d3ede05525fe228378104199"
	w1Decided     = 126243
	w2aDecided    = 58212
	w2tTracked    = 75905
	w2EventsPerOp = 134117
	w4NonNull     = 48265
	w4EventsPerOp = 36726
)

type lcg uint32

func (r *lcg) next() uint32 {
	*r = lcg(uint32(*r)*1664525 + 1013904223)
	return uint32(*r)
}

func (r *lcg) rand(n uint32) uint32 { return (r.next() >> 8) % n }

func pickUser(r *lcg) string {
	if r.rand(100) == 0 {
		return "qa_user_" + strconv.Itoa(int(r.rand(12))+1)
	}
	return "user_" + strconv.Itoa(int(r.rand(100000)))
}

// profiles are the workload's user profiles: ints as Go ints, floats as float64 (as Python's ints and
// floats in the reference harness).
var profiles = []map[string]interface{}{
	{"browser": "Chrome", "country": "US", "plan": "premium", "email": "alice@gmail.com",
		"url": "https://shop.example.com/products/42", "age": 34, "tier": 3, "isLoggedIn": true, "price": 19.99},
	{"browser": "Firefox", "country": "UK", "plan": "free", "email": "bob@yahoo.com",
		"url": "https://www.example.com/blog/1", "age": 22, "tier": 1, "isLoggedIn": false, "price": 5.5},
	{"browser": "Safari", "country": "DE", "plan": "enterprise", "email": "carol@example.com",
		"url": "https://shop.example.com/cart", "age": 45, "tier": 3, "isLoggedIn": true, "price": 99.99},
	{"browser": "Edge", "country": "CA", "plan": "PREMIUM", "email": "dave@outlook.com",
		"url": "https://m.example.com/products/7", "age": 29, "tier": 2, "isLoggedIn": true, "price": 49},
	{"browser": "chrome", "country": "IN", "plan": "basic", "email": "test.user@example.com",
		"url": "https://example.com/", "age": 19, "tier": 1, "isLoggedIn": true, "price": 9.99},
	{"browser": "Googlebot", "country": "US", "plan": "enterprise", "email": "crawler@google.com",
		"url": "https://shop.example.com/products/1", "age": 1, "tier": 3, "isLoggedIn": false, "price": 0.99},
	{"browser": "IE", "country": "UK", "plan": "free", "email": "eve@example.org",
		"url": "https://www.example.com/pricing", "age": 61, "tier": 1, "isLoggedIn": false, "price": 199.99},
	{"browser": "Firefox", "country": "CN", "plan": "premium", "email": "frank@gmail.com",
		"url": "https://shop.example.com/products/99", "age": 38, "tier": 2, "isLoggedIn": true, "price": 29.99},
}

// The options map of each profile, built once (user code would build its own per request; the
// reference harnesses also reuse their profile dicts).
var profileOptions = func() []map[string]interface{} {
	out := make([]map[string]interface{}, len(profiles))
	for i, p := range profiles {
		out[i] = map[string]interface{}{"customVariables": p}
	}
	return out
}()

type trackSpec struct {
	key     interface{} // string or nil
	goal    string
	revenue bool
}

var trackSpecs = []trackSpec{
	{"ab_homepage_hero", "hero_click", false}, {"ab_checkout_button", "checkout_revenue", true},
	{"ab_pricing_page", "pricing_view", false}, {"ab_signup_flow", "signup", false},
	{"ab_search_results", "search_click", false}, {"ab_product_detail", "add_to_cart", false},
	{"ab_nav_menu", "nav_revenue", true}, {"ab_footer_cta", "footer_click", false},
	{"meg_banner_a", "banner_click", false}, {"meg_banner_b", "banner_b_click", false},
	{"ft_recommendation_engine", "rec_click", false}, {"ft_search_ranking", "search_revenue", true},
	{"ft_checkout_v2", "checkout_complete", false}, {"ft_onboarding", "onboarding_done", false},
	{"ft_pricing_algo", "pricing_revenue", true}, {nil, "purchase", false},
}

var settingsPath = filepath.Join("..", "..", "..", "benches", "data", "settings_bench.json")

type benchSettings struct {
	text      []byte
	file      schema.SettingsFile
	campaigns []map[string]interface{}
}

func loadSettings(b *testing.B) *benchSettings {
	text, err := os.ReadFile(settingsPath)
	if err != nil {
		b.Fatal(err)
	}
	s := &benchSettings{text: text}
	if err := json.Unmarshal(text, &s.file); err != nil {
		b.Fatal(err)
	}
	var raw struct {
		Campaigns []map[string]interface{} `json:"campaigns"`
	}
	if err := json.Unmarshal(text, &raw); err != nil {
		b.Fatal(err)
	}
	s.campaigns = raw.Campaigns
	return s
}

func (s *benchSettings) keysOf(types ...string) []string {
	var out []string
	for _, c := range s.campaigns {
		for _, t := range types {
			if c["type"] == t {
				out = append(out, c["key"].(string))
			}
		}
	}
	return out
}

// segmented is Python's truthiness of the campaign's segments.
func (s *benchSettings) segmented(key string) bool {
	for _, c := range s.campaigns {
		if c["key"] != key {
			continue
		}
		switch v := c["segments"].(type) {
		case nil:
			return false
		case map[string]interface{}:
			return len(v) > 0
		case []interface{}:
			return len(v) > 0
		case string:
			return v != ""
		default:
			return true
		}
	}
	return false
}

func (s *benchSettings) withGoal(goal string) []string {
	var out []string
	for _, c := range s.campaigns {
		goals, _ := c["goals"].([]interface{})
		for _, g := range goals {
			if gm, ok := g.(map[string]interface{}); ok && gm["identifier"] == goal {
				out = append(out, c["key"].(string))
				break
			}
		}
	}
	return out
}

func (s *benchSettings) firstVariable(key string) string {
	for _, c := range s.campaigns {
		if c["key"] == key {
			vars, _ := c["variables"].([]interface{})
			if len(vars) > 0 {
				return vars[0].(map[string]interface{})["key"].(string)
			}
		}
	}
	return ""
}

type decideOp struct {
	key    string
	user   string
	option interface{} // nil or a profile's options map
}

func genDecide(s *benchSettings, keys []string, n int, seed uint32) []decideOp {
	seg := make([]bool, len(keys))
	for i, k := range keys {
		seg[i] = s.segmented(k)
	}
	r := lcg(seed)
	ops := make([]decideOp, n)
	for i := range ops {
		k := i % len(keys)
		user := pickUser(&r)
		prof := r.rand(uint32(len(profiles)))
		ops[i] = decideOp{key: keys[k], user: user}
		if seg[k] {
			ops[i].option = profileOptions[prof]
		}
	}
	return ops
}

type trackOp struct {
	spec   int
	user   string
	option interface{}
}

func genTrack(s *benchSettings, n int, seed uint32) []trackOp {
	needsCV := make([]bool, len(trackSpecs))
	for i, t := range trackSpecs {
		if k, ok := t.key.(string); ok {
			needsCV[i] = s.segmented(k)
		} else {
			for _, k := range s.withGoal(t.goal) {
				needsCV[i] = needsCV[i] || s.segmented(k)
			}
		}
	}
	r := lcg(seed)
	ops := make([]trackOp, n)
	for i := range ops {
		spec := i % len(trackSpecs)
		user := pickUser(&r)
		prof := r.rand(uint32(len(profiles)))
		rev := float64(r.rand(100000)) / 100.0
		ops[i] = trackOp{spec: spec, user: user}
		if trackSpecs[spec].revenue || needsCV[spec] {
			o := map[string]interface{}{}
			if needsCV[spec] {
				o["customVariables"] = profiles[prof]
			}
			if trackSpecs[spec].revenue {
				o["revenueValue"] = rev
			}
			ops[i].option = o
		}
	}
	return ops
}

// stubServer answers every request 200 at once (the reference harnesses' stubbed network).
func stubServer(b *testing.B) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

type counter struct{ batches, events atomic.Int64 }

func launch(b *testing.B, s *benchSettings, batch *counter) *api.VWOInstance {
	opts := []api.VWOOption{api.WithLibvwoOptions(map[string]interface{}{"base_url": stubServer(b)})}
	if batch == nil {
		opts = append(opts, api.WithDevelopmentMode()) // W1: decisions only, as the vwo-go-sdk reference
	} else {
		opts = append(opts, api.WithBatchEventQueue(api.BatchConfig{EventsPerRequest: 100, RequestTimeInterval: 600},
			func(err error, events []map[string]interface{}) {
				batch.batches.Add(1)
				batch.events.Add(int64(len(events)))
			}))
	}
	inst, err := api.VWOInstance{SettingsFile: s.file}.Init(opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(inst.Close)
	return inst
}

func perCall(b *testing.B, calls int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*calls), "ns/call")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkW1 is W1: 200,000 GetVariationName over the 16 VISUAL_AB and FEATURE_TEST campaigns.
func BenchmarkW1(b *testing.B) {
	s := loadSettings(b)
	keys := s.keysOf("VISUAL_AB", "FEATURE_TEST")
	warm := genDecide(s, keys, 20000, 1001)
	ops := genDecide(s, keys, 200000, 1)
	inst := launch(b, s, nil)
	for _, op := range warm {
		inst.GetVariationName(op.key, op.user, op.option)
	}
	results := make([]string, len(ops))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, op := range ops {
			results[j] = inst.GetVariationName(op.key, op.user, op.option)
		}
	}
	b.StopTimer()
	perCall(b, len(ops))
	h := sha256.New()
	decided := 0
	for j, op := range ops {
		r := results[j]
		if r == "" {
			r = "None"
		} else {
			decided++
		}
		fmt.Fprintf(h, "%s|%s|%s\n", op.key, op.user, r)
	}
	if d := hex.EncodeToString(h.Sum(nil)); d != w1Digest || decided != w1Decided {
		b.Fatalf("W1 digest %s (%d decided), expected %s (%d)", d, decided, w1Digest, w1Decided)
	}
}

func waitEvents(c *counter, want int64) int64 {
	deadline := time.Now().Add(10 * time.Second)
	for c.events.Load() < want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	return c.events.Load()
}

// settle waits until no flush callback arrived for 50 ms.
func settle(c *counter) {
	last := c.events.Load()
	for {
		time.Sleep(50 * time.Millisecond)
		now := c.events.Load()
		if now == last {
			return
		}
		last = now
	}
}

// BenchmarkW2Activate is W2's 100,000 Activate over the 10 VISUAL_AB campaigns, batching on.
func BenchmarkW2Activate(b *testing.B) {
	s := loadSettings(b)
	keys := s.keysOf("VISUAL_AB")
	warm := genDecide(s, keys, 10000, 1002)
	ops := genDecide(s, keys, 100000, 2)
	c := &counter{}
	inst := launch(b, s, c)
	for _, op := range warm {
		inst.Activate(op.key, op.user, op.option)
	}
	inst.FlushEvents()
	decided := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		decided = 0
		for _, op := range ops {
			if inst.Activate(op.key, op.user, op.option) != "" {
				decided++
			}
		}
	}
	b.StopTimer()
	perCall(b, len(ops))
	if decided != w2aDecided {
		b.Fatalf("W2 activate: %d decided, expected %d", decided, w2aDecided)
	}
}

// BenchmarkW2Track is W2's 100,000 Track (15 single campaigns and one global goal), batching on.
func BenchmarkW2Track(b *testing.B) {
	s := loadSettings(b)
	warm := genTrack(s, 10000, 1003)
	ops := genTrack(s, 100000, 3)
	c := &counter{}
	inst := launch(b, s, c)
	track := func(op trackOp) int {
		n := 0
		for _, r := range inst.Track(trackSpecs[op.spec].key, op.user, trackSpecs[op.spec].goal, op.option) {
			if r.TrackValue {
				n++
			}
		}
		return n
	}
	for _, op := range warm {
		track(op)
	}
	inst.FlushEvents()
	tracked := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tracked = 0
		for _, op := range ops {
			tracked += track(op)
		}
	}
	b.StopTimer()
	perCall(b, len(ops))
	if tracked != w2tTracked {
		b.Fatalf("W2 track: %d goals tracked, expected %d", tracked, w2tTracked)
	}
}

// BenchmarkW2Events checks W2's event count: one pass of the activations and the tracks produces
// 134,117 events, all delivered to the stub in batches of 100.
func BenchmarkW2Events(b *testing.B) {
	s := loadSettings(b)
	keys := s.keysOf("VISUAL_AB")
	opsA := genDecide(s, keys, 100000, 2)
	opsT := genTrack(s, 100000, 3)
	for i := 0; i < b.N; i++ {
		c := &counter{}
		inst := launch(b, s, c)
		for _, op := range opsA {
			inst.Activate(op.key, op.user, op.option)
		}
		for _, op := range opsT {
			inst.Track(trackSpecs[op.spec].key, op.user, trackSpecs[op.spec].goal, op.option)
		}
		inst.FlushEvents()
		if got := waitEvents(c, w2EventsPerOp); got != w2EventsPerOp {
			b.Fatalf("W2: %d events delivered, expected %d", got, w2EventsPerOp)
		}
		inst.Close()
	}
	perCall(b, len(opsA)+len(opsT))
}

// BenchmarkW4 is W4: 100,000 IsFeatureEnabled / GetFeatureVariableValue (alternating) over the 10
// feature campaigns, batching on.
func BenchmarkW4(b *testing.B) {
	s := loadSettings(b)
	keys := s.keysOf("FEATURE_TEST", "FEATURE_ROLLOUT")
	firstVar := map[string]string{}
	for _, k := range keys {
		firstVar[k] = s.firstVariable(k)
	}
	warm := genDecide(s, keys, 10000, 1004)
	ops := genDecide(s, keys, 100000, 4)
	c := &counter{}
	inst := launch(b, s, c)
	pass := func(ops []decideOp) int {
		on := 0
		for i, op := range ops {
			if i&1 == 0 {
				if inst.IsFeatureEnabled(op.key, op.user, op.option) {
					on++
				}
			} else if inst.GetFeatureVariableValue(op.key, firstVar[op.key], op.user, op.option) != nil {
				on++
			}
		}
		inst.FlushEvents()
		return on
	}
	pass(warm)
	settle(c) // the warm-up's batches
	on := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.events.Store(0)
		on = pass(ops)
	}
	b.StopTimer()
	perCall(b, len(ops))
	if on != w4NonNull {
		b.Fatalf("W4: %d true/non-null, expected %d", on, w4NonNull)
	}
	if got := waitEvents(c, w4EventsPerOp); got != w4EventsPerOp {
		b.Fatalf("W4: %d events per pass, expected %d", got, w4EventsPerOp)
	}
}
