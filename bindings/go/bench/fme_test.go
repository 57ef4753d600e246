package bench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/libvwo/libvwo/bindings/go/bench/internal/workload"
	vwo "github.com/libvwo/libvwo/bindings/go/fme"
	"github.com/libvwo/libvwo/bindings/go/fme/wingify"
)

// BenchmarkFW1GetFlag is FW1 (docs/PERFORMANCE.md, "FME") on the FME Go API alone: one op is one
// GetFlag of the stream over fme_settings_50.json, with batching on and the events posted to a
// collector on 127.0.0.1 (make bench-go-fme compares it with the official FME Go SDK in one run).
func BenchmarkFW1GetFlag(b *testing.B) {
	text, err := os.ReadFile(filepath.Join("..", "..", "..", "benches", "data", "fme_settings_50.json"))
	if err != nil {
		b.Fatal(err)
	}
	keys, err := workload.FeatureKeys(text)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "{}")
	}))
	defer srv.Close()
	c, err := vwo.Init(map[string]interface{}{"sdkKey": "000000000000_MASKED_000000000000", "accountId": 606060,
		"settings":           string(text),
		"batchEventData":     map[string]interface{}{"eventsPerRequest": 100},
		wingify.OptionLibvwo: map[string]interface{}{"base_url": srv.URL, "poll_interval": 0},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ops := workload.FW1(len(keys), workload.FW1Ops, workload.FW1Seed)
	b.ResetTimer()
	enabled := 0
	for i := 0; i < b.N; i++ {
		op := ops[i%len(ops)]
		f, _ := c.GetFlag(keys[op.Key], map[string]interface{}{"id": op.User,
			"customVariables": workload.Profiles[op.Profile]})
		if f.IsEnabled() {
			enabled++
		}
	}
	if b.N >= 1000 && enabled == 0 {
		b.Fatal("nothing enabled")
	}
}
