// Package bench runs the workloads of shared/bench/workload_spec.md (W1, W2, W4) through the Go
// binding, generated call for call as benches/workloads.rs and the reference harnesses generate them,
// with the network stubbed by a local HTTP server that answers 200 at once (events are really built,
// batched and delivered by libvwo's event thread, off the calling goroutine). Each benchmark checks its
// digest or counts against the reference SDKs' and fails when they differ.
//
//	cd bindings/go && go test -run '^$' -bench 'W[124]' -benchtime 3x -count 1 ./bench
//
// make bench-go runs these when vwo-go-sdk's source (../shared/peers/vwo-go-sdk) is absent; otherwise
// the same-run comparison of module bench/compare, which feeds the same calls (bench/internal/workload)
// to this binding and to vwo-go-sdk.
package bench

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libvwo/libvwo/bindings/go/bench/internal/workload"
	"github.com/libvwo/libvwo/bindings/go/pkg/api"
	"github.com/libvwo/libvwo/bindings/go/pkg/schema"
)

var settingsPath = filepath.Join("..", "..", "..", "benches", "data", "settings_bench.json")

type benchSettings struct {
	*workload.Settings
	file schema.SettingsFile
}

func loadSettings(b *testing.B) *benchSettings {
	w, err := workload.Load(settingsPath)
	if err != nil {
		b.Fatal(err)
	}
	s := &benchSettings{Settings: w}
	if err := json.Unmarshal(w.Text, &s.file); err != nil {
		b.Fatal(err)
	}
	return s
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
	keys := s.W1Keys()
	warm := s.Decide(keys, workload.W1Warm, workload.W1WarmSeed)
	ops := s.Decide(keys, workload.W1Ops, workload.W1Seed)
	inst := launch(b, s, nil)
	for _, op := range warm {
		inst.GetVariationName(op.Key, op.User, op.Option)
	}
	results := make([]string, len(ops))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, op := range ops {
			results[j] = inst.GetVariationName(op.Key, op.User, op.Option)
		}
	}
	b.StopTimer()
	perCall(b, len(ops))
	d, decided := workload.Digest(len(ops), func(j int) (string, string, string) {
		return ops[j].Key, ops[j].User, results[j]
	})
	if d != workload.W1Digest || decided != workload.W1Decided {
		b.Fatalf("W1 digest %s (%d decided), expected %s (%d)", d, decided, workload.W1Digest, workload.W1Decided)
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
	keys := s.W2aKeys()
	warm := s.Decide(keys, workload.W2aWarm, workload.W2aWarmSeed)
	ops := s.Decide(keys, workload.W2aOps, workload.W2aSeed)
	c := &counter{}
	inst := launch(b, s, c)
	for _, op := range warm {
		inst.Activate(op.Key, op.User, op.Option)
	}
	inst.FlushEvents()
	decided := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		decided = 0
		for _, op := range ops {
			if inst.Activate(op.Key, op.User, op.Option) != "" {
				decided++
			}
		}
	}
	b.StopTimer()
	perCall(b, len(ops))
	if decided != workload.W2aDecided {
		b.Fatalf("W2 activate: %d decided, expected %d", decided, workload.W2aDecided)
	}
}

// BenchmarkW2Track is W2's 100,000 Track (15 single campaigns and one global goal), batching on.
func BenchmarkW2Track(b *testing.B) {
	s := loadSettings(b)
	warm := s.Track(workload.W2tWarm, workload.W2tWarmSeed)
	ops := s.Track(workload.W2tOps, workload.W2tSeed)
	c := &counter{}
	inst := launch(b, s, c)
	track := func(op workload.TrackOp) int {
		n := 0
		for _, r := range inst.Track(workload.TrackSpecs[op.Spec].Key, op.User, workload.TrackSpecs[op.Spec].Goal, op.Option) {
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
	if tracked != workload.W2tTracked {
		b.Fatalf("W2 track: %d goals tracked, expected %d", tracked, workload.W2tTracked)
	}
}

// BenchmarkW2Events checks W2's event count: one pass of the activations and the tracks produces
// 134,117 events, all delivered to the stub in batches of 100.
func BenchmarkW2Events(b *testing.B) {
	s := loadSettings(b)
	keys := s.W2aKeys()
	opsA := s.Decide(keys, workload.W2aOps, workload.W2aSeed)
	opsT := s.Track(workload.W2tOps, workload.W2tSeed)
	for i := 0; i < b.N; i++ {
		c := &counter{}
		inst := launch(b, s, c)
		for _, op := range opsA {
			inst.Activate(op.Key, op.User, op.Option)
		}
		for _, op := range opsT {
			inst.Track(workload.TrackSpecs[op.Spec].Key, op.User, workload.TrackSpecs[op.Spec].Goal, op.Option)
		}
		inst.FlushEvents()
		if got := waitEvents(c, workload.W2EventsPerOp); got != workload.W2EventsPerOp {
			b.Fatalf("W2: %d events delivered, expected %d", got, workload.W2EventsPerOp)
		}
		inst.Close()
	}
	perCall(b, len(opsA)+len(opsT))
}

// BenchmarkW4 is W4: 100,000 IsFeatureEnabled / GetFeatureVariableValue (alternating) over the 10
// feature campaigns, batching on.
func BenchmarkW4(b *testing.B) {
	s := loadSettings(b)
	keys := s.W4Keys()
	firstVar := map[string]string{}
	for _, k := range keys {
		firstVar[k] = s.FirstVariable(k)
	}
	warm := s.Decide(keys, workload.W4Warm, workload.W4WarmSeed)
	ops := s.Decide(keys, workload.W4Ops, workload.W4Seed)
	c := &counter{}
	inst := launch(b, s, c)
	pass := func(ops []workload.DecideOp) int {
		on := 0
		for i, op := range ops {
			if i&1 == 0 {
				if inst.IsFeatureEnabled(op.Key, op.User, op.Option) {
					on++
				}
			} else if inst.GetFeatureVariableValue(op.Key, firstVar[op.Key], op.User, op.Option) != nil {
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
	if on != workload.W4NonNull {
		b.Fatalf("W4: %d true/non-null, expected %d", on, workload.W4NonNull)
	}
	if got := waitEvents(c, workload.W4EventsPerOp); got != workload.W4EventsPerOp {
		b.Fatalf("W4: %d events per pass, expected %d", got, workload.W4EventsPerOp)
	}
}
