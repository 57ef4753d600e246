package api_test

// Shared test helpers: vector paths, an in-memory user storage, the oracle's request format run through
// the Go API, Python-style value comparison, and an HTTP collector on 127.0.0.1.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/libvwo/libvwo/bindings/go/pkg/api"
	"github.com/libvwo/libvwo/bindings/go/pkg/schema"
)

var (
	repoRoot = filepath.Join("..", "..", "..", "..")
	vectors  = filepath.Join(repoRoot, "tests", "vectors")
	dataDir  = filepath.Join(vectors, "data")
)

// readJSON decodes a file keeping numbers as json.Number (ints stay ints, floats stay floats).
func readJSON(t testing.TB, path string) interface{} {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decodeJSON(t, b)
}

func decodeJSON(t testing.TB, b []byte) interface{} {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v interface{}
	if err := d.Decode(&v); err != nil {
		t.Fatalf("bad JSON: %v", err)
	}
	return v
}

func settingsFile(t testing.TB, settings interface{}) schema.SettingsFile {
	t.Helper()
	b, err := json.Marshal(settings)
	if err != nil {
		t.Fatal(err)
	}
	var s schema.SettingsFile
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("settings: %v", err)
	}
	return s
}

// ---------------------------------------------------------------------------------------- storage

type storageKey struct{ user, campaign string }

// memoryStorage is vwo-go-sdk's README storage: records keyed by (userID, campaignKey).
type memoryStorage struct {
	mu      sync.Mutex
	records map[storageKey]schema.UserData
	gets    int
	sets    int
}

func newMemoryStorage() *memoryStorage {
	return &memoryStorage{records: map[storageKey]schema.UserData{}}
}

func (s *memoryStorage) Get(userID, campaignKey string) schema.UserData {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets++
	return s.records[storageKey{userID, campaignKey}]
}

func (s *memoryStorage) Set(userID, campaignKey, variationName, goalIdentifier string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sets++
	s.records[storageKey{userID, campaignKey}] = schema.UserData{UserID: userID, CampaignKey: campaignKey,
		VariationName: variationName, GoalIdentifier: goalIdentifier}
}

// pythonRecords lists the records as vwo-python-sdk's dicts, sorted by (userId, campaignKey).
func (s *memoryStorage) pythonRecords() []interface{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]storageKey, 0, len(s.records))
	for k := range s.records {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].user != keys[j].user {
			return keys[i].user < keys[j].user
		}
		return keys[i].campaign < keys[j].campaign
	})
	out := []interface{}{}
	for _, k := range keys {
		r := s.records[k]
		m := map[string]interface{}{"userId": r.UserID, "campaignKey": r.CampaignKey, "variationName": r.VariationName}
		if r.GoalIdentifier != "" {
			m["goalIdentifiers"] = r.GoalIdentifier
		}
		out = append(out, m)
	}
	return out
}

type quietLogger struct {
	mu       sync.Mutex
	messages []string
}

func (l *quietLogger) CustomLog(level, message string) {
	l.mu.Lock()
	l.messages = append(l.messages, level+" "+message)
	l.mu.Unlock()
}

func (l *quietLogger) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.messages...)
}

// ---------------------------------------------------------------------------------------- harness

// harness is a VWOInstance launched as a vector file says; it runs requests of the oracle's format.
type harness struct {
	t        testing.TB
	settings interface{}
	opts     []api.VWOOption
	storage  *memoryStorage
	inst     *api.VWOInstance
}

func newHarness(t testing.TB, settings interface{}, launch map[string]interface{}, extra ...api.VWOOption) *harness {
	h := &harness{t: t, settings: settings}
	if launch["isDevelopmentMode"] == true {
		h.opts = append(h.opts, api.WithDevelopmentMode())
	}
	if launch["userStorage"] == true {
		h.storage = newMemoryStorage()
		h.opts = append(h.opts, api.WithStorage(h.storage))
	}
	if g, ok := launch["goalTypeToTrack"].(string); ok && g != "" {
		h.opts = append(h.opts, api.WithGoalAttributes(g, nil))
	}
	h.opts = append(h.opts, extra...)
	h.inst = h.launch()
	return h
}

func (h *harness) launch() *api.VWOInstance {
	inst, err := api.VWOInstance{SettingsFile: settingsFile(h.t, h.settings)}.Init(h.opts...)
	if err != nil {
		h.t.Fatalf("launch: %v", err)
	}
	return inst
}

func (h *harness) relaunch(settings interface{}) {
	h.inst.Close()
	h.settings = settings
	h.inst = h.launch()
}

func (h *harness) close() { h.inst.Close() }

// options turns the vector's options object into the Go API's option map (nil when absent).
func options(req map[string]interface{}) interface{} {
	o, ok := req["options"].(map[string]interface{})
	if !ok || len(o) == 0 {
		return nil
	}
	return o
}

func str(v interface{}) string {
	s, _ := v.(string)
	return s
}

// run performs one request and returns the result in vwo-python-sdk's shape (None as nil, track as an
// ordered list of [key, bool] pairs or nil); skip is true for requests the Go API cannot express.
func (h *harness) run(req map[string]interface{}) (got interface{}, skip bool) {
	inst := h.inst
	key, user := str(req["campaignKey"]), str(req["userId"])
	switch req["api"] {
	case "activate":
		return noneIfEmpty(inst.Activate(key, user, options(req))), false
	case "getVariationName", "getVariation":
		return noneIfEmpty(inst.GetVariationName(key, user, options(req))), false
	case "isFeatureEnabled":
		return inst.IsFeatureEnabled(key, user, options(req)), false
	case "getFeatureVariableValue":
		return inst.GetFeatureVariableValue(key, str(req["variableKey"]), user, options(req)), false
	case "track":
		var keys interface{} = req["campaignKey"]
		res := inst.Track(keys, user, str(req["goalIdentifier"]), options(req))
		if len(res) == 0 {
			return nil, false
		}
		pairs := make([]interface{}, len(res))
		for i, r := range res {
			pairs[i] = []interface{}{r.CampaignKey, r.TrackValue}
		}
		return pairs, false
	case "push":
		if _, isMap := req["customDimensionMap"].(map[string]interface{}); isMap {
			return nil, true // vwo-go-sdk's Push has no map form
		}
		return inst.Push(str(req["tagKey"]), str(req["tagValue"]), user), false
	case "setOptOut":
		return inst.SetOptOut(), false
	case "flushEvents":
		inst.FlushEvents()
		return nil, true // vwo-go-sdk's FlushEvents returns nothing
	case "getUserStorage":
		if h.storage == nil {
			return nil, false
		}
		return h.storage.pythonRecords(), false
	case "setSettings":
		h.relaunch(req["settings"])
		return true, false
	case "patchSettings":
		s := decodeJSON(h.t, mustJSON(h.t, h.settings))
		applyOps(h.t, s, req["ops"])
		h.relaunch(s)
		return true, false
	}
	h.t.Fatalf("unknown api %v", req["api"])
	return nil, true
}

func noneIfEmpty(s string) interface{} {
	if s == "" {
		return nil
	}
	return s
}

func mustJSON(t testing.TB, v interface{}) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// applyOps applies the oracle's patchSettings ops: set, append, remove (by value), delete.
func applyOps(t testing.TB, settings interface{}, ops interface{}) {
	list, _ := ops.([]interface{})
	for _, o := range list {
		op := o.([]interface{})
		kind, path := op[0].(string), op[1].([]interface{})
		var value interface{}
		if len(op) > 2 {
			value = op[2]
		}
		target := settings
		for _, p := range path[:len(path)-1] {
			target = index(t, target, p)
		}
		last := path[len(path)-1]
		switch tg := target.(type) {
		case map[string]interface{}:
			k := last.(string)
			switch kind {
			case "set":
				tg[k] = value
			case "append":
				tg[k] = append(tg[k].([]interface{}), value)
			case "remove":
				arr := tg[k].([]interface{})
				for i, e := range arr {
					if pyEq(e, value) {
						tg[k] = append(arr[:i:i], arr[i+1:]...)
						break
					}
				}
			case "delete":
				delete(tg, k)
			default:
				t.Fatalf("bad op %q", kind)
			}
		case []interface{}:
			i := toInt(last)
			switch kind {
			case "set":
				tg[i] = value
			default:
				t.Fatalf("op %q on a list index is not supported", kind)
			}
		}
	}
}

func index(t testing.TB, v interface{}, p interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		return x[p.(string)]
	case []interface{}:
		return x[toInt(p)]
	}
	t.Fatalf("cannot index %T", v)
	return nil
}

func toInt(v interface{}) int {
	switch x := v.(type) {
	case json.Number:
		n, _ := x.Int64()
		return int(n)
	case float64:
		return int(x)
	case int:
		return x
	}
	return -1
}

// ---------------------------------------------------------------------------------------- equality

func number(v interface{}) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case int:
		return float64(x), true
	}
	return 0, false
}

// pyEq is Python's == on JSON values, with bool never equal to a number. A track result (a list of
// [key, bool] pairs) equals a dict with the same keys in the same order.
func pyEq(a, b interface{}) bool {
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && (fa == fb || (math.IsNaN(fa) && math.IsNaN(fb)))
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case map[string]interface{}:
		y, ok := b.(map[string]interface{})
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !pyEq(v, w) {
				return false
			}
		}
		return true
	case []interface{}:
		y, ok := b.([]interface{})
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !pyEq(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// trackEq compares a track result (pairs, or nil) with vwo-python-sdk's (an ordered dict, or None). An
// empty dict and None are both "nothing" in the Go API.
func trackEq(got interface{}, want interface{}, wantKeys []string) bool {
	if got == nil {
		m, isMap := want.(map[string]interface{})
		return want == nil || (isMap && len(m) == 0)
	}
	pairs := got.([]interface{})
	m, ok := want.(map[string]interface{})
	if !ok || len(m) != len(pairs) {
		return false
	}
	for i, p := range pairs {
		kv := p.([]interface{})
		if wantKeys != nil && wantKeys[i] != kv[0] {
			return false
		}
		if !pyEq(m[kv[0].(string)], kv[1]) {
			return false
		}
	}
	return true
}

// objectKeys returns the keys of a JSON object text in order (for ordered track comparisons).
func objectKeys(raw json.RawMessage) []string {
	d := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var keys []string
	for d.More() {
		k, err := d.Token()
		if err != nil {
			return nil
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			return nil
		}
	}
	return keys
}

// ---------------------------------------------------------------------------------------- collector

type request struct {
	method, target, body string
}

// collector is an HTTP server on 127.0.0.1 recording every request in arrival order.
type collector struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []request
}

func newCollector(t testing.TB) *collector {
	c := &collector{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.reqs = append(c.reqs, request{r.Method, r.URL.RequestURI(), string(b)})
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("{}"))
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *collector) take() []request {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.reqs
	c.reqs = nil
	return out
}

// ---------------------------------------------------------------------------------------- events

var ignoredParams = map[string]bool{"random": true, "sId": true, "sdk": true, "sdk-v": true, "eTime": true}

// query parses a URL's query as Python's parse_qsl(keep_blank_values=True), in order, without the
// parameters POLICY §2 lets differ.
func query(rawURL string) [][2]string {
	q := rawURL
	if i := strings.IndexByte(q, '?'); i >= 0 {
		q = q[i+1:]
	} else {
		return nil
	}
	var out [][2]string
	for _, part := range strings.FieldsFunc(q, func(r rune) bool { return r == '&' || r == ';' }) {
		k, v, _ := strings.Cut(part, "=")
		k, _ = url.QueryUnescape(k)
		v, _ = url.QueryUnescape(v)
		if !ignoredParams[k] {
			out = append(out, [2]string{k, v})
		}
	}
	return out
}

func urlPath(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	return u.Path
}

// normalizeBody drops the fields that must differ (POLICY §2).
func normalizeBody(body interface{}) interface{} {
	m, ok := body.(map[string]interface{})
	if !ok {
		return body
	}
	if d, ok := m["d"].(map[string]interface{}); ok {
		delete(d, "sessionId")
		delete(d, "eTime")
		if id, ok := d["msgId"].(string); ok && strings.Contains(id, "-") {
			d["msgId"] = id[:strings.LastIndex(id, "-")]
		}
		if ev, ok := d["event"].(map[string]interface{}); ok {
			delete(ev, "time")
			delete(ev, "eTime")
			if props, ok := ev["props"].(map[string]interface{}); ok {
				delete(props, "vwo_sdkName")
				delete(props, "vwo_sdkVersion")
			}
		}
	}
	if evs, ok := m["ev"].([]interface{}); ok {
		for _, e := range evs {
			if em, ok := e.(map[string]interface{}); ok {
				delete(em, "sId")
			}
		}
	}
	return m
}

// compareEvent returns "" when the request matches the expected event.
func compareEvent(t testing.TB, want map[string]interface{}, got request) string {
	if want["method"] != got.method {
		return fmt.Sprintf("method %v, got %s", want["method"], got.method)
	}
	if p := urlPath(str(want["url"])); urlPath(got.target) != p {
		return fmt.Sprintf("url %s, got %s", p, got.target)
	}
	wantURL := str(want["wireUrl"])
	if wantURL == "" {
		wantURL = str(want["url"])
	}
	wq, gq := query(wantURL), query(got.target)
	if fmt.Sprint(wq) != fmt.Sprint(gq) {
		return fmt.Sprintf("query: expected %v got %v", wq, gq)
	}
	if want["body"] != nil {
		var gb interface{}
		d := json.NewDecoder(strings.NewReader(got.body))
		d.UseNumber()
		if err := d.Decode(&gb); err != nil {
			return fmt.Sprintf("body is not JSON: %.200s", got.body)
		}
		wb := normalizeBody(decodeJSON(t, mustJSON(t, want["body"])))
		gb = normalizeBody(gb)
		if !pyEq(wb, gb) {
			return fmt.Sprintf("body: expected %.400s got %.400s", mustJSON(t, wb), mustJSON(t, gb))
		}
	}
	return ""
}
