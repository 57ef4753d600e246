package openfeature_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/libvwo/libvwo/bindings/go/fme/wingify"
	provider "github.com/libvwo/libvwo/bindings/go/openfeature"
	of "github.com/open-feature/go-sdk/openfeature"
)

// settings: "feature1" (a 100% rollout, then a 50/50 testing rule, variables int, float, string,
// boolean, json) and "dark" (no rules: always disabled).
func settings(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "tests", "vectors", "fme", "data", "settings",
		"RolloutAndTestingSettings.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]interface{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["features"] = append(m["features"].([]interface{}), map[string]interface{}{"key": "dark", "name": "Dark",
		"id": 9, "type": "FEATURE_FLAG", "status": "ON", "rules": []interface{}{},
		"metrics": []interface{}{map[string]interface{}{"id": 9, "type": "CUSTOM_GOAL", "identifier": "dark_event"}}})
	out, _ := json.Marshal(m)
	return string(out)
}

type collector struct {
	mu     sync.Mutex
	bodies []string
}

func newClient(t *testing.T) (*of.Client, *provider.Provider, *collector) {
	col := &collector{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		col.mu.Lock()
		col.bodies = append(col.bodies, r.URL.RequestURI()+" "+string(b))
		col.mu.Unlock()
		_, _ = io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)
	p, err := provider.NewProviderWithOptions(map[string]interface{}{
		"sdkKey": "000000000000_MASKED_000000000000", "accountId": 12345, "settings": settings(t),
		"logger":             map[string]interface{}{"transport": map[string]interface{}{"log": func(string, string) {}}},
		wingify.OptionLibvwo: map[string]interface{}{"base_url": srv.URL, "poll_interval": 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	domain := t.Name()
	if err := of.SetNamedProviderAndWait(domain, p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Shutdown() })
	return of.NewClient(domain), p, col
}

func user(id string, attrs map[string]any) of.EvaluationContext {
	return of.NewEvaluationContext(id, attrs)
}

func TestBooleanIsEnabled(t *testing.T) {
	c, _, _ := newClient(t)
	ctx := context.Background()
	d, err := c.BooleanValueDetails(ctx, "feature1", false, user("u1", nil))
	if err != nil || !d.Value || d.ErrorCode != "" {
		t.Fatalf("feature1: %+v, %v", d, err)
	}
	if d.Reason != of.TargetingMatchReason && d.Reason != of.SplitReason {
		t.Errorf("reason %s", d.Reason)
	}
	if d.Variant == "" || d.FlagMetadata["ruleKey"] == nil || d.FlagMetadata["campaignId"] == nil {
		t.Errorf("variant %q metadata %v", d.Variant, d.FlagMetadata)
	}
	d, err = c.BooleanValueDetails(ctx, "dark", true, user("u1", nil))
	if err != nil || d.Value || d.Reason != of.DisabledReason {
		t.Errorf("dark: %+v, %v", d, err)
	}
	d, err = c.BooleanValueDetails(ctx, "missing", true, user("u1", nil))
	if err == nil || !d.Value || d.ErrorCode != of.FlagNotFoundCode || d.Reason != of.ErrorReason {
		t.Errorf("missing: %+v, %v", d, err)
	}
	d, err = c.BooleanValueDetails(ctx, "feature1", true, of.NewTargetlessEvaluationContext(map[string]any{"a": 1}))
	if err == nil || !d.Value || d.ErrorCode != of.TargetingKeyMissingCode {
		t.Errorf("no targeting key: %+v, %v", d, err)
	}
	d, err = c.BooleanValueDetails(ctx, "feature1.boolean", false, user("u1", nil))
	if err != nil || d.ErrorCode != "" {
		t.Errorf("boolean variable: %+v, %v", d, err)
	}
}

// A testing rule splits 50/50: over 200 users both variations appear, each with its own variables.
func TestTypedVariablesAndSplit(t *testing.T) {
	c, p, _ := newClient(t)
	ctx := context.Background()
	variants := map[string]int{}
	for i := 0; i < 200; i++ {
		id := "user-" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		s, err := c.StringValueDetails(ctx, "feature1.string", "def", user(id, nil))
		if err != nil {
			t.Fatalf("string: %v", err)
		}
		f, _ := p.Client().GetFlag("feature1", map[string]interface{}{"id": id})
		if want := f.GetVariable("string", "def"); s.Value != want {
			t.Errorf("%s: provider %q, client %v", id, s.Value, want)
		}
		variants[s.Variant]++
		if s.Reason != of.SplitReason {
			t.Errorf("%s: reason %s", id, s.Reason)
		}
	}
	if len(variants) != 2 {
		t.Errorf("variants %v", variants)
	}
	u := user("u1", map[string]any{"country": "IN"})
	if v, err := c.IntValue(ctx, "feature1.int", -1, u); err != nil || (v != 10 && v != 11) {
		t.Errorf("int: %v, %v", v, err)
	}
	if v, err := c.FloatValue(ctx, "feature1.float", -1, u); err != nil || (v != 20.01 && v != 20.02) {
		t.Errorf("float: %v, %v", v, err)
	}
	if v, err := c.FloatValue(ctx, "feature1.int", -1, u); err != nil || (v != 10 && v != 11) {
		t.Errorf("int as float: %v, %v", v, err)
	}
	d, err := c.IntValueDetails(ctx, "feature1.float", -1, u)
	if err == nil || d.Value != -1 || d.ErrorCode != of.TypeMismatchCode {
		t.Errorf("float as int: %+v", d)
	}
	sd, err := c.StringValueDetails(ctx, "feature1.int", "def", u)
	if err == nil || sd.Value != "def" || sd.ErrorCode != of.TypeMismatchCode {
		t.Errorf("int as string: %+v", sd)
	}
	sd, err = c.StringValueDetails(ctx, "feature1", "def", u)
	if err == nil || sd.ErrorCode != of.ParseErrorCode {
		t.Errorf("typed flag without a variable key: %+v", sd)
	}
	sd, err = c.StringValueDetails(ctx, "feature1.nope", "def", u)
	if err != nil || sd.Value != "def" || sd.Reason != of.DefaultReason {
		t.Errorf("absent variable: %+v, %v", sd, err)
	}
	sd, err = c.StringValueDetails(ctx, "dark.x", "def", u)
	if err != nil || sd.Value != "def" || sd.Reason != of.DisabledReason {
		t.Errorf("disabled feature: %+v, %v", sd, err)
	}
	sd, err = c.StringValueDetails(ctx, "missing.x", "def", u)
	if err == nil || sd.ErrorCode != of.FlagNotFoundCode {
		t.Errorf("unknown feature: %+v", sd)
	}
	// json: an object in one variation, a string (a JSON text) in the other.
	for i := 0; i < 40; i++ {
		id := "obj-" + string(rune('a'+i))
		od, _ := c.ObjectValueDetails(ctx, "feature1.json", nil, user(id, nil))
		f, _ := p.Client().GetFlag("feature1", map[string]interface{}{"id": id})
		switch f.GetVariable("json", nil).(type) {
		case map[string]interface{}:
			if m, ok := od.Value.(map[string]interface{}); !ok || m["name"] != "VWO" || od.ErrorCode != "" {
				t.Errorf("object: %+v", od)
			}
		case string:
			if od.ErrorCode != of.TypeMismatchCode || od.Value != nil {
				t.Errorf("a string as object: %+v", od)
			}
		}
	}
}

func TestTrackAndShutdown(t *testing.T) {
	c, p, col := newClient(t)
	ctx := context.Background()
	c.Track(ctx, "custom1", user("buyer", map[string]any{"plan": "gold"}),
		of.NewTrackingEventDetails(42.5).Add("currency", "EUR"))
	c.Track(ctx, "custom1", of.NewTargetlessEvaluationContext(nil), of.NewTrackingEventDetails(1))
	p.Shutdown()
	col.mu.Lock()
	all := strings.ReplaceAll(strings.Join(col.bodies, "\n"), `": `, `":`)
	col.mu.Unlock()
	if !strings.Contains(all, "en=custom1") || !strings.Contains(all, `"currency":"EUR"`) ||
		!strings.Contains(all, `"value":42.5`) {
		t.Errorf("tracked event not sent: %s", all)
	}
	if strings.Count(all, "en=custom1") != 1 {
		t.Errorf("an event without a targeting key was sent: %s", all)
	}
	d, err := c.BooleanValueDetails(ctx, "feature1", false, user("u1", nil))
	if err == nil || d.Value || d.Reason != of.ErrorReason {
		t.Errorf("after shutdown: %+v, %v", d, err)
	}
}

func TestAttributesAreCustomVariables(t *testing.T) {
	_, p, _ := newClient(t)
	ctx := of.NewEvaluationContext("u9", map[string]any{"userAgent": "curl/8", "ipAddress": "1.2.3.4",
		"country": "IN", "bucketingSeed": "seed"})
	flat := of.FlattenedContext(ctx.Attributes())
	flat[of.TargetingKey] = ctx.TargetingKey()
	d := p.BooleanEvaluation(context.Background(), "feature1", false, flat)
	if !d.Value || d.Error() != nil {
		t.Errorf("%+v", d)
	}
	// The bucketing seed decides as the user id would (the provider passes it through).
	a, _ := p.Client().GetFlag("feature1", map[string]interface{}{"id": "other", "bucketingSeed": "seed"})
	b := p.StringEvaluation(context.Background(), "feature1.string", "", flat)
	if a.GetVariable("string", "") != b.Value {
		t.Errorf("bucketing seed not passed: %v vs %v", a.GetVariable("string", ""), b.Value)
	}
}
