// Package compare runs W1, W2 and W4 of shared/bench/workload_spec.md on libvwo's Go binding and on
// vwo-go-sdk (source in ../shared/peers/vwo-go-sdk beside the repository) in one process: the same
// generated calls (package bench/internal/workload) for both, alternately, several rounds, and prints
// each SDK's per-call times, their medians and ratio beside the targets of issue 14, and each SDK's
// digests and counts. libvwo must reproduce the reference results (the benchmark fails otherwise);
// vwo-go-sdk's results are reported with the number of calls on which it decides differently.
//
//	make bench-go   # runs this module when ../shared/peers/vwo-go-sdk exists
//	cd bindings/go/bench/compare && VWO_BENCH_ROUNDS=5 go test -run '^$' -bench . -benchtime 1x
//
// Network: libvwo's events go to a stub HTTP server on 127.0.0.1 through its base_url, delivered by
// libvwo's event thread; vwo-go-sdk's batch POSTs (and its single-event GETs, unused here) go to
// another such server through an http.RoundTripper that rewrites https://dev.visualwebsiteoptimizer.com
// to http://127.0.0.1:<port>. Both therefore skip TLS and the real network equally. W1 runs both in
// development mode (no events). Times are of the calling goroutine's calls only; vwo-go-sdk's batch
// flushes run on its batch goroutine while the calls wait on its unbuffered channel, so they are in
// its times; libvwo's delivery runs on its own thread beside the calls. Neither SDK has a flush
// callback (as in the reference harnesses): the stub servers count the events (an SDK's callback
// costs what it costs: libvwo's binding decodes each batch's JSON into maps for it, on the delivery
// thread).
package compare

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/libvwo/libvwo/bindings/go/bench/internal/workload"
)

var settingsPath = filepath.Join("..", "..", "..", "..", "benches", "data", "settings_bench.json")

// Targets of issue 14.
const (
	w1TargetNs    = 600
	w1TargetRatio = 50
	w2w4Ratio     = 20
)

func rounds(b *testing.B) int {
	n := 5
	if v := os.Getenv("VWO_BENCH_ROUNDS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("VWO_BENCH_ROUNDS=%q: want a positive integer", v)
		}
	}
	return n
}

func load(b *testing.B) *workload.Settings {
	s, err := workload.Load(settingsPath)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// timed runs one pass of calls after a garbage collection (so neither SDK pays for the other's
// garbage) and returns its ns per call.
func timed(calls int, pass func()) float64 {
	runtime.GC()
	t := time.Now()
	pass()
	return float64(time.Since(t).Nanoseconds()) / float64(calls)
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// report prints one workload's rounds, medians and ratio, and reports them as the benchmark's metrics.
func report(b *testing.B, workload, metric string, ns [2][]float64, target string, ok func(libvwo, ratio float64) bool) {
	lib, peer := median(ns[0]), median(ns[1])
	ratio := peer / lib
	lo, hi := 0.0, 0.0
	for r := range ns[0] {
		x := ns[1][r] / ns[0][r]
		if r == 0 || x < lo {
			lo = x
		}
		if r == 0 || x > hi {
			hi = x
		}
	}
	fmt.Printf("%s: rounds (ns/call) libvwo %s | vwo-go-sdk %s\n", workload, list(ns[0]), list(ns[1]))
	verdict := "met"
	if !ok(lib, ratio) {
		verdict = "NOT met"
	}
	fmt.Printf("%s: median of %d rounds: libvwo %.0f ns/call, vwo-go-sdk %.0f ns/call, ratio %.1fx (rounds %.1f-%.1fx); target %s: %s\n",
		workload, len(ns[0]), lib, peer, ratio, lo, hi, target, verdict)
	b.ReportMetric(lib, metric+"libvwo-ns/call")
	b.ReportMetric(peer, metric+"vwo-go-sdk-ns/call")
	b.ReportMetric(ratio, metric+"ratio")
	b.ReportMetric(0, "ns/op")
}

func list(v []float64) string {
	s := ""
	for i, x := range v {
		if i > 0 {
			s += " "
		}
		s += strconv.FormatFloat(x, 'f', 0, 64)
	}
	return s
}

// results checks libvwo's digest and count against the reference (a mismatch fails the benchmark:
// libvwo must decide as vwo-python-sdk) and reports vwo-go-sdk's, with the number of calls on which it
// answers differently from libvwo.
func results(b *testing.B, what string, n int, line func(sdk, i int) (key, user, result string),
	wantDigest string, wantCount int) {
	var digest [2]string
	var count [2]int
	for i := 0; i < 2; i++ {
		digest[i], count[i] = workload.Digest(n, func(j int) (string, string, string) { return line(i, j) })
	}
	differ := 0
	for j := 0; j < n; j++ {
		_, _, a := line(0, j)
		_, _, c := line(1, j)
		if a != c {
			differ++
		}
	}
	// With the reference digest, libvwo's results are the reference's call for call; with counts only,
	// vwo-go-sdk is compared with libvwo's results, whose counts are the reference's.
	ref, other := "reference count", "libvwo's results"
	if wantDigest != "" {
		ref, other = "reference digest "+wantDigest[:8]+"…, count", "the reference"
	}
	fmt.Printf("%s: %s %d\n", what, ref, wantCount)
	fmt.Printf("%s: libvwo     digest %s, %d\n", what, digest[0], count[0])
	fmt.Printf("%s: vwo-go-sdk digest %s, %d; differs from %s in %d of %d calls\n",
		what, digest[1], count[1], other, differ, n)
	if (wantDigest != "" && digest[0] != wantDigest) || count[0] != wantCount {
		b.Fatalf("%s: libvwo's results differ from the reference", what)
	}
}

// BenchmarkW1 is W1: 200,000 GetVariationName over the 16 VISUAL_AB and FEATURE_TEST campaigns,
// development mode, on both SDKs alternately.
func BenchmarkW1(b *testing.B) {
	s := load(b)
	keys := s.W1Keys()
	warm := s.Decide(keys, workload.W1Warm, workload.W1WarmSeed)
	ops := s.Decide(keys, workload.W1Ops, workload.W1Seed)
	sdks := [2]*sdk{launchLibvwo(b, s, false), launchVWOGo(b, s, false)}
	var out [2][]string
	for i, x := range sdks {
		for _, op := range warm {
			x.getVariationName(op.Key, op.User, op.Option)
		}
		out[i] = make([]string, len(ops))
	}
	var ns [2][]float64
	for i := 0; i < b.N; i++ {
		for r := 0; r < rounds(b); r++ {
			for _, w := range order(r) {
				x, res := sdks[w], out[w]
				ns[w] = append(ns[w], timed(len(ops), func() {
					for j, op := range ops {
						res[j] = x.getVariationName(op.Key, op.User, op.Option)
					}
				}))
			}
		}
	}
	report(b, "W1 GetVariationName", "", ns, fmt.Sprintf("libvwo <= %d ns and >= %dx", w1TargetNs, w1TargetRatio),
		func(lib, ratio float64) bool { return lib <= w1TargetNs && ratio >= w1TargetRatio })
	results(b, "W1", len(ops), func(w, j int) (string, string, string) { return ops[j].Key, ops[j].User, out[w][j] },
		workload.W1Digest, workload.W1Decided)
}

// order alternates which SDK runs first in a round.
func order(round int) [2]int {
	if round%2 == 0 {
		return [2]int{0, 1}
	}
	return [2]int{1, 0}
}

// settle waits until the stub server received no event for 100 ms (at most 10 s).
func settle(x *sdk) int64 {
	deadline := time.Now().Add(10 * time.Second)
	last := x.events.Load()
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		now := x.events.Load()
		if now == last {
			return now
		}
		last = now
	}
	return last
}

// flushAndCount sends what is queued and returns the events the SDK delivered since the last count.
func flushAndCount(x *sdk) int64 {
	time.Sleep(20 * time.Millisecond) // vwo-go-sdk: its batch goroutine is done with the last event
	x.flush()
	n := settle(x)
	x.events.Add(-n)
	return n
}

// BenchmarkW2 is W2: 100,000 Activate over the 10 VISUAL_AB campaigns, then 100,000 Track (15 single
// campaigns and one global goal), batching on, on both SDKs alternately; the events of each round are
// counted after its timed calls.
func BenchmarkW2(b *testing.B) {
	s := load(b)
	keys := s.W2aKeys()
	warmA := s.Decide(keys, workload.W2aWarm, workload.W2aWarmSeed)
	opsA := s.Decide(keys, workload.W2aOps, workload.W2aSeed)
	warmT := s.Track(workload.W2tWarm, workload.W2tWarmSeed)
	opsT := s.Track(workload.W2tOps, workload.W2tSeed)
	sdks := [2]*sdk{launchLibvwo(b, s, true), launchVWOGo(b, s, true)}
	var outA [2][]string
	var outT [2][]int
	for i, x := range sdks {
		for _, op := range warmA {
			x.activate(op.Key, op.User, op.Option)
		}
		for _, op := range warmT {
			x.track(workload.TrackSpecs[op.Spec].Key, op.User, workload.TrackSpecs[op.Spec].Goal, op.Option)
		}
		flushAndCount(x)
		outA[i], outT[i] = make([]string, len(opsA)), make([]int, len(opsT))
	}
	var nsA, nsT [2][]float64
	var events [2][]int64
	for i := 0; i < b.N; i++ {
		for r := 0; r < rounds(b); r++ {
			for _, w := range order(r) {
				x, resA, resT := sdks[w], outA[w], outT[w]
				nsA[w] = append(nsA[w], timed(len(opsA), func() {
					for j, op := range opsA {
						resA[j] = x.activate(op.Key, op.User, op.Option)
					}
				}))
				nsT[w] = append(nsT[w], timed(len(opsT), func() {
					for j, op := range opsT {
						t := &workload.TrackSpecs[op.Spec]
						resT[j] = x.track(t.Key, op.User, t.Goal, op.Option)
					}
				}))
				events[w] = append(events[w], flushAndCount(x))
			}
		}
	}
	report(b, "W2 Activate", "activate-", nsA, fmt.Sprintf(">= %dx", w2w4Ratio), func(_, ratio float64) bool { return ratio >= w2w4Ratio })
	report(b, "W2 Track", "track-", nsT, fmt.Sprintf(">= %dx", w2w4Ratio), func(_, ratio float64) bool { return ratio >= w2w4Ratio })
	results(b, "W2 Activate", len(opsA), func(w, j int) (string, string, string) {
		return opsA[j].Key, opsA[j].User, outA[w][j]
	}, "", workload.W2aDecided)
	// A track call's result is the number of campaigns it tracked ("" for none); the count is their sum.
	trackLine := func(w, j int) (string, string, string) {
		key, _ := workload.TrackSpecs[opsT[j].Spec].Key.(string)
		if key == "" {
			key = "*" + workload.TrackSpecs[opsT[j].Spec].Goal
		}
		if outT[w][j] == 0 {
			return key, opsT[j].User, ""
		}
		return key, opsT[j].User, strconv.Itoa(outT[w][j])
	}
	tracked := [2]int{}
	for w := range outT {
		for _, n := range outT[w] {
			tracked[w] += n
		}
	}
	fmt.Printf("W2 Track: goals tracked: libvwo %d, vwo-go-sdk %d (reference %d)\n", tracked[0], tracked[1], workload.W2tTracked)
	// No reference count of calls that tracked: libvwo's (whose goals tracked are the reference's).
	results(b, "W2 Track (calls that tracked; libvwo's count)", len(opsT), trackLine, "",
		countNonEmpty(len(opsT), func(j int) bool { return outT[0][j] != 0 }))
	fmt.Printf("W2 events delivered per round: libvwo %v, vwo-go-sdk %v (reference %d)\n", events[0], events[1], workload.W2EventsPerOp)
	if tracked[0] != workload.W2tTracked {
		b.Fatalf("W2 Track: libvwo tracked %d goals, expected %d", tracked[0], workload.W2tTracked)
	}
	for _, n := range events[0] {
		if n != workload.W2EventsPerOp {
			b.Fatalf("W2: libvwo delivered %d events in a round, expected %d", n, workload.W2EventsPerOp)
		}
	}
}

func countNonEmpty(n int, nonEmpty func(int) bool) int {
	c := 0
	for j := 0; j < n; j++ {
		if nonEmpty(j) {
			c++
		}
	}
	return c
}

// BenchmarkW4 is W4: 100,000 IsFeatureEnabled / GetFeatureVariableValue (alternating) over the 10
// feature campaigns, batching on, on both SDKs alternately.
func BenchmarkW4(b *testing.B) {
	s := load(b)
	keys := s.W4Keys()
	firstVar := map[string]string{}
	for _, k := range keys {
		firstVar[k] = s.FirstVariable(k)
	}
	warm := s.Decide(keys, workload.W4Warm, workload.W4WarmSeed)
	ops := s.Decide(keys, workload.W4Ops, workload.W4Seed)
	sdks := [2]*sdk{launchLibvwo(b, s, true), launchVWOGo(b, s, true)}
	var out [2][]interface{}
	pass := func(x *sdk, ops []workload.DecideOp, res []interface{}) {
		for j, op := range ops {
			if j&1 == 0 {
				res[j] = x.isFeatureEnabled(op.Key, op.User, op.Option)
			} else {
				res[j] = x.variable(op.Key, firstVar[op.Key], op.User, op.Option)
			}
		}
	}
	for i, x := range sdks {
		pass(x, warm, make([]interface{}, len(warm)))
		flushAndCount(x)
		out[i] = make([]interface{}, len(ops))
	}
	var ns [2][]float64
	var events [2][]int64
	for i := 0; i < b.N; i++ {
		for r := 0; r < rounds(b); r++ {
			for _, w := range order(r) {
				x, res := sdks[w], out[w]
				ns[w] = append(ns[w], timed(len(ops), func() { pass(x, ops, res) }))
				events[w] = append(events[w], flushAndCount(x))
			}
		}
	}
	report(b, "W4 IsFeatureEnabled/GetFeatureVariableValue", "", ns, fmt.Sprintf(">= %dx", w2w4Ratio),
		func(_, ratio float64) bool { return ratio >= w2w4Ratio })
	// A result is "true" or the variable's value; false and nil are "" (None).
	results(b, "W4", len(ops), func(w, j int) (string, string, string) {
		switch v := out[w][j].(type) {
		case nil:
			return ops[j].Key, ops[j].User, ""
		case bool:
			if !v {
				return ops[j].Key, ops[j].User, ""
			}
		}
		return ops[j].Key, ops[j].User, fmt.Sprint(out[w][j])
	}, "", workload.W4NonNull)
	fmt.Printf("W4 events delivered per round: libvwo %v, vwo-go-sdk %v (reference %d)\n", events[0], events[1], workload.W4EventsPerOp)
	for _, n := range events[0] {
		if n != workload.W4EventsPerOp {
			b.Fatalf("W4: libvwo delivered %d events in a round, expected %d", n, workload.W4EventsPerOp)
		}
	}
}
