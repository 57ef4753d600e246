// Package workload generates the calls of W1, W2 and W4 of shared/bench/workload_spec.md, call for
// call as benches/workloads.rs and the reference harnesses (bench_python.py, bench_node.js) generate
// them: the same LCG, user and profile draws, campaign rotation and revenue draws over
// benches/data/settings_bench.json. It knows nothing of any SDK: the binding's benchmarks (package
// bench) and the same-run comparison with vwo-go-sdk (module bench/compare) feed the same calls to
// their SDKs, and digest the results with Digest.
package workload

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
)

// Reference results of vwo-python-sdk 1.68.2 and vwo-node-sdk 1.73.0 (shared/bench/README.md).
const (
	W1Digest      = "b9c83e941c4c8c634609f9efe65381140f7b5f69d3ede05525fe228378104199"
	W1Decided     = 126243
	W2aDecided    = 58212
	W2tTracked    = 75905
	W2EventsPerOp = 134117 // events of one pass of W2's activations and tracks
	W4NonNull     = 48265
	W4EventsPerOp = 36726
)

// The workloads' sizes and seeds (warm-up, timed).
const (
	W1Ops, W1Warm, W1WarmSeed, W1Seed     = 200000, 20000, 1001, 1
	W2aOps, W2aWarm, W2aWarmSeed, W2aSeed = 100000, 10000, 1002, 2
	W2tOps, W2tWarm, W2tWarmSeed, W2tSeed = 100000, 10000, 1003, 3
	W4Ops, W4Warm, W4WarmSeed, W4Seed     = 100000, 10000, 1004, 4
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

// Profiles are the workload's user profiles: ints as Go ints, floats as float64 (as Python's ints and
// floats in the reference harness).
var Profiles = []map[string]interface{}{
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

// ProfileOptions are the option maps of the profiles, built once (user code would build its own per
// request; the reference harnesses also reuse their profile dicts).
var ProfileOptions = func() []map[string]interface{} {
	out := make([]map[string]interface{}, len(Profiles))
	for i, p := range Profiles {
		out[i] = map[string]interface{}{"customVariables": p}
	}
	return out
}()

// TrackSpec is one of W2t's track calls: a campaign key (string) or nil for the global goal.
type TrackSpec struct {
	Key     interface{}
	Goal    string
	Revenue bool
}

// TrackSpecs are W2t's 16 track calls, rotated.
var TrackSpecs = []TrackSpec{
	{"ab_homepage_hero", "hero_click", false}, {"ab_checkout_button", "checkout_revenue", true},
	{"ab_pricing_page", "pricing_view", false}, {"ab_signup_flow", "signup", false},
	{"ab_search_results", "search_click", false}, {"ab_product_detail", "add_to_cart", false},
	{"ab_nav_menu", "nav_revenue", true}, {"ab_footer_cta", "footer_click", false},
	{"meg_banner_a", "banner_click", false}, {"meg_banner_b", "banner_b_click", false},
	{"ft_recommendation_engine", "rec_click", false}, {"ft_search_ranking", "search_revenue", true},
	{"ft_checkout_v2", "checkout_complete", false}, {"ft_onboarding", "onboarding_done", false},
	{"ft_pricing_algo", "pricing_revenue", true}, {nil, "purchase", false},
}

// Settings is the workloads' settings file: its text and its campaigns as generic JSON.
type Settings struct {
	Text      []byte
	campaigns []map[string]interface{}
}

// Load reads a settings file (benches/data/settings_bench.json).
func Load(path string) (*Settings, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw struct {
		Campaigns []map[string]interface{} `json:"campaigns"`
	}
	if err := json.Unmarshal(text, &raw); err != nil {
		return nil, err
	}
	return &Settings{Text: text, campaigns: raw.Campaigns}, nil
}

// KeysOf returns the keys of the campaigns of the given types, in settings order.
func (s *Settings) KeysOf(types ...string) []string {
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

// W1Keys, W2aKeys and W4Keys are the campaigns each workload rotates over.
func (s *Settings) W1Keys() []string  { return s.KeysOf("VISUAL_AB", "FEATURE_TEST") }
func (s *Settings) W2aKeys() []string { return s.KeysOf("VISUAL_AB") }
func (s *Settings) W4Keys() []string  { return s.KeysOf("FEATURE_TEST", "FEATURE_ROLLOUT") }

// segmented is Python's truthiness of the campaign's segments.
func (s *Settings) segmented(key string) bool {
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

func (s *Settings) withGoal(goal string) []string {
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

// FirstVariable is the key of the campaign's first variable ("" when it has none): W4's
// GetFeatureVariableValue asks for it.
func (s *Settings) FirstVariable(key string) string {
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

// DecideOp is one decision call: campaign, user, and nil or a profile's options map.
type DecideOp struct {
	Key    string
	User   string
	Option interface{}
}

// Decide generates n decision calls over keys from seed (W1, W2a, W4).
func (s *Settings) Decide(keys []string, n int, seed uint32) []DecideOp {
	seg := make([]bool, len(keys))
	for i, k := range keys {
		seg[i] = s.segmented(k)
	}
	r := lcg(seed)
	ops := make([]DecideOp, n)
	for i := range ops {
		k := i % len(keys)
		user := pickUser(&r)
		prof := r.rand(uint32(len(Profiles)))
		ops[i] = DecideOp{Key: keys[k], User: user}
		if seg[k] {
			ops[i].Option = ProfileOptions[prof]
		}
	}
	return ops
}

// TrackOp is one track call: the index of its TrackSpec, the user, and nil or its options map.
type TrackOp struct {
	Spec   int
	User   string
	Option interface{}
}

// Track generates n track calls from seed (W2t).
func (s *Settings) Track(n int, seed uint32) []TrackOp {
	needsCV := make([]bool, len(TrackSpecs))
	for i, t := range TrackSpecs {
		if k, ok := t.Key.(string); ok {
			needsCV[i] = s.segmented(k)
		} else {
			for _, k := range s.withGoal(t.Goal) {
				needsCV[i] = needsCV[i] || s.segmented(k)
			}
		}
	}
	r := lcg(seed)
	ops := make([]TrackOp, n)
	for i := range ops {
		spec := i % len(TrackSpecs)
		user := pickUser(&r)
		prof := r.rand(uint32(len(Profiles)))
		rev := float64(r.rand(100000)) / 100.0
		ops[i] = TrackOp{Spec: spec, User: user}
		if TrackSpecs[spec].Revenue || needsCV[spec] {
			o := map[string]interface{}{}
			if needsCV[spec] {
				o["customVariables"] = Profiles[prof]
			}
			if TrackSpecs[spec].Revenue {
				o["revenueValue"] = rev
			}
			ops[i].Option = o
		}
	}
	return ops
}

// Digest is the workloads' SHA-256 over one line per call, "<campaignKey>|<userId>|<result>\n", where
// an empty result is written "None"; it also returns how many results were not empty.
func Digest(n int, line func(i int) (key, user, result string)) (digest string, decided int) {
	h := sha256.New()
	buf := make([]byte, 0, 128)
	for i := 0; i < n; i++ {
		key, user, result := line(i)
		if result == "" {
			result = "None"
		} else {
			decided++
		}
		buf = append(buf[:0], key...)
		buf = append(buf, '|')
		buf = append(buf, user...)
		buf = append(buf, '|')
		buf = append(buf, result...)
		buf = append(buf, '\n')
		h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil)), decided
}

// FW1 (docs/PERFORMANCE.md, "FME"): FME get_flag over benches/data/fme_settings_50.json, feature i % n,
// user and profile drawn as W1 draws them, the profile as the context's custom variables.
const (
	FW1Ops, FW1Warm, FW1WarmSeed, FW1Seed = 200000, 20000, 1001, 1
	// FW1Digest50 is the digest of the 200,000 timed calls over fme_settings_50.json, libvwo's and
	// vwo-fme-python-sdk 1.65.0's alike.
	FW1Digest50 = "a2784da89c6e32d4"
)

// FW1Op is one call of FW1: the feature's index, the user and the profile's index.
type FW1Op struct {
	Key     int
	User    string
	Profile int
}

// FW1 draws n calls over nKeys features with the LCG seeded by seed (benches/fw1/mod.rs, gen_ops).
func FW1(nKeys, n int, seed uint32) []FW1Op {
	r := lcg(seed)
	ops := make([]FW1Op, n)
	for i := range ops {
		u := pickUser(&r)
		ops[i] = FW1Op{Key: i % nKeys, User: u, Profile: int(r.rand(uint32(len(Profiles))))}
	}
	return ops
}

// FW1Digest is FNV-1a 64 over "<featureKey>|<userId>|<true|false>|<variationId>\n" per call, in hex.
func FW1Digest(n int, line func(i int) (key, user string, enabled bool, variationID string)) string {
	h := uint64(14695981039346656037)
	write := func(s string) {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
	}
	for i := 0; i < n; i++ {
		k, u, e, v := line(i)
		write(k + "|" + u + "|" + strconv.FormatBool(e) + "|" + v + "\n")
	}
	return fmt.Sprintf("%016x", h)
}

// FeatureKeys are the keys of a FME settings file's features, in order.
func FeatureKeys(text []byte) ([]string, error) {
	var s struct {
		Features []struct {
			Key string `json:"key"`
		} `json:"features"`
	}
	if err := json.Unmarshal(text, &s); err != nil {
		return nil, err
	}
	keys := make([]string, len(s.Features))
	for i, f := range s.Features {
		keys[i] = f.Key
	}
	return keys, nil
}
