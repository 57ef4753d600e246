package schema_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/libvwo/libvwo/bindings/go/pkg/schema"
)

func generic(t *testing.T, b []byte) interface{} {
	var v interface{}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// Every settings file of the vectors survives Unmarshal + Marshal: the keys SettingsFile does not
// model (groups, isNB, isEventArchEnabled, goal flags, string ids, …) come back as they were.
func TestSettingsRoundTripKeepsEverything(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "..", "..", "..", "tests", "vectors", "data", "settings", "*.json"))
	if len(paths) < 100 {
		t.Fatalf("%d settings files", len(paths))
	}
	for _, p := range paths {
		if filepath.Base(p) == "INDEX.json" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var s schema.SettingsFile
		if err := json.Unmarshal(b, &s); err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
			continue
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(p), err)
		}
		if want, got := generic(t, b), generic(t, out); !reflect.DeepEqual(want, got) {
			t.Errorf("%s: round trip differs:\n%s\n%s", filepath.Base(p), b, out)
		}
	}
}

// Changes to the exported fields are what Marshal writes.
func TestSettingsChangesAreHonoured(t *testing.T) {
	in := `{"accountId": 1, "sdkKey": "k", "isNB": true, "groups": {"1": {"name": "g", "campaigns": [1]}},
	  "campaigns": [{"id": 1, "key": "c", "status": "RUNNING", "type": "VISUAL_AB", "percentTraffic": 100,
	   "isBucketingSeedEnabled": true, "goals": [{"identifier": "g", "id": 1, "type": "CUSTOM_GOAL", "mca": -1}],
	   "variations": [{"id": "1", "name": "Control", "weight": 50, "changes": {}}], "variables": {}}]}`
	var s schema.SettingsFile
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	if s.Campaigns[0].Variations[0].ID != 0 || s.Campaigns[0].Variations[0].Name != "Control" {
		t.Fatalf("variation %+v", s.Campaigns[0].Variations[0])
	}
	s.Campaigns[0].Status = "PAUSED"
	s.Campaigns[0].Goals[0].Type = "REVENUE_TRACKING"
	out, _ := json.Marshal(s)
	got := generic(t, out).(map[string]interface{})
	c := got["campaigns"].([]interface{})[0].(map[string]interface{})
	if c["status"] != "PAUSED" || c["isBucketingSeedEnabled"] != true || got["isNB"] != true || got["groups"] == nil {
		t.Fatalf("%s", out)
	}
	g := c["goals"].([]interface{})[0].(map[string]interface{})
	if g["type"] != "REVENUE_TRACKING" || g["mca"] != float64(-1) {
		t.Fatalf("goal %v", g)
	}
	v := c["variations"].([]interface{})[0].(map[string]interface{})
	if v["id"] != "1" {
		t.Fatalf("string id lost: %v", v)
	}
	if _, ok := c["variables"].(map[string]interface{}); !ok {
		t.Fatalf("variables {} lost: %v", c["variables"])
	}
	if _, ok := v["StartVariationAllocation"]; ok {
		t.Fatal("allocation fields must not be written")
	}
	// a settings value built in Go, with no JSON it came from
	built := schema.SettingsFile{AccountID: 5, SDKKey: "x", Campaigns: []schema.Campaign{{ID: 1, Key: "k", Status: "RUNNING"}}}
	out, _ = json.Marshal(built)
	m := generic(t, out).(map[string]interface{})
	if m["accountId"] != float64(5) || len(m["campaigns"].([]interface{})) != 1 {
		t.Fatalf("%s", out)
	}
}
