package vwo

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/libvwo/libvwo/bindings/go/pkg/api"
)

// GetSettingsFile fetches from the settings endpoint and Launch works on the result.
func TestGetSettingsFileAndLaunch(t *testing.T) {
	settings, err := os.ReadFile(filepath.Join("..", "..", "tests", "vectors", "data", "settings", "AB_T_50_W_50_50.json"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(settings)
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		_, _ = w.Write([]byte(text))
	}))
	defer srv.Close()
	settingsBaseURL = srv.URL
	defer func() { settingsBaseURL = "" }()
	s := GetSettingsFile("123", "key")
	mu.Lock()
	defer mu.Unlock()
	if len(paths) != 1 || paths[0] != "/server-side/settings" {
		t.Fatalf("requests: %v", paths)
	}
	if len(s.Campaigns) != 1 || s.Campaigns[0].Key != "AB_T_50_W_50_50" {
		t.Fatalf("settings: %+v", s)
	}
	inst, err := Launch(s, api.WithDevelopmentMode())
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	if v := inst.GetVariationName("AB_T_50_W_50_50", "Ashley", nil); v == "" {
		t.Fatal("no variation for Ashley")
	}
	// an unreachable server: logged, zero settings
	settingsBaseURL = "http://127.0.0.1:1"
	if s := GetSettingsFile("123", "key"); len(s.Campaigns) != 0 {
		t.Fatal(s)
	}
	SetLogLevel(0)
}
