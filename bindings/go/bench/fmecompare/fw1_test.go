// FW1 (docs/PERFORMANCE.md, "FME") on libvwo's FME Go binding and on the official FME Go SDK
// (vwo-fme-go-sdk over wingify-fme-go-sdk 1.60.0, from shared/peers) in one process, alternately,
// VWO_BENCH_ROUNDS rounds (default 3): 200,000 GetFlag calls over benches/data/fme_settings_50.json
// after 20,000 warm-up calls, SDK batching on (100 events per request) with every event sent over
// HTTP to a collector on 127.0.0.1 (libvwo's base_url, the official SDK's proxyUrl). The digest of
// each SDK's decisions is computed in a separate, untimed pass (libvwo: GetFlagWithReason; the
// official SDK: its integrations callback) and compared with the reference's.
package fmecompare

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libvwo/libvwo/bindings/go/bench/internal/workload"
	libvwo "github.com/libvwo/libvwo/bindings/go/fme"
	"github.com/libvwo/libvwo/bindings/go/fme/wingify"
	official "github.com/wingify/vwo-fme-go-sdk"
)

const sdkKey = "000000000000_MASKED_000000000000"

type fixture struct {
	settings []byte
	keys     []string
	account  int
	warm     []workload.FW1Op
	ops      []workload.FW1Op
	contexts [][]map[string]interface{} // per op: the context the call passes (built before timing)
	srv      *httptest.Server
	requests atomic.Int64
}

func load(b *testing.B) *fixture {
	path := filepath.Join("..", "..", "..", "..", "benches", "data", "fme_settings_50.json")
	text, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	keys, err := workload.FeatureKeys(text)
	if err != nil {
		b.Fatal(err)
	}
	f := &fixture{settings: text, keys: keys, account: accountOf(b, text)}
	f.warm = workload.FW1(len(keys), workload.FW1Warm, workload.FW1WarmSeed)
	f.ops = workload.FW1(len(keys), workload.FW1Ops, workload.FW1Seed)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		f.requests.Add(1)
		_, _ = io.WriteString(w, "{}")
	}))
	return f
}

func accountOf(b *testing.B, text []byte) int {
	var s struct {
		AccountID int `json:"accountId"`
	}
	if err := json.Unmarshal(text, &s); err != nil || s.AccountID == 0 {
		b.Fatalf("accountId: %v", err)
	}
	return s.AccountID
}

// context is the call's context: the user's id and its profile as custom variables (a user program
// builds one per request; so does this loop, for both SDKs alike).
func context(op workload.FW1Op) map[string]interface{} {
	return map[string]interface{}{"id": op.User, "customVariables": workload.Profiles[op.Profile]}
}

type getFlagger func(key string, ctx map[string]interface{}) bool

func timed(ops []workload.FW1Op, keys []string, get getFlagger) (time.Duration, int) {
	enabled := 0
	start := time.Now()
	for _, op := range ops {
		if get(keys[op.Key], context(op)) {
			enabled++
		}
	}
	return time.Since(start), enabled
}

func newLibvwo(b *testing.B, f *fixture) *wingify.WingifyClient {
	c, err := libvwo.Init(map[string]interface{}{
		"sdkKey": sdkKey, "accountId": f.account, "settings": string(f.settings),
		"batchEventData":     map[string]interface{}{"eventsPerRequest": 100, "requestTimeInterval": 600},
		wingify.OptionLibvwo: map[string]interface{}{"base_url": f.srv.URL, "poll_interval": 0},
	})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func newOfficial(b *testing.B, f *fixture, hook func(map[string]interface{})) *official.VWOClient {
	o := map[string]interface{}{
		"sdkKey": sdkKey, "accountId": f.account, "settings": string(f.settings), "proxyUrl": f.srv.URL,
		"batchEventData": map[string]interface{}{"eventsPerRequest": 100, "requestTimeInterval": 600},
		"logger":         map[string]interface{}{"level": "ERROR"},
	}
	if hook != nil {
		o["integrations"] = map[string]interface{}{"Callback": hook}
	}
	c, err := official.Init(o)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func BenchmarkFW1(b *testing.B) {
	f := load(b)
	defer f.srv.Close()
	rounds := 3
	if v, err := strconv.Atoi(os.Getenv("VWO_BENCH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	lc := newLibvwo(b, f)
	defer lc.Close()
	oc := newOfficial(b, f, nil)
	libGet := func(k string, ctx map[string]interface{}) bool {
		fl, _ := lc.GetFlag(k, ctx)
		return fl.IsEnabled()
	}
	offGet := func(k string, ctx map[string]interface{}) bool {
		fl, _ := oc.GetFlag(k, ctx)
		return fl != nil && fl.IsEnabled()
	}
	timed(f.warm, f.keys, libGet)
	timed(f.warm, f.keys, offGet)
	var lt, ot []time.Duration
	var lEnabled, oEnabled int
	for r := 0; r < rounds; r++ {
		d, n := timed(f.ops, f.keys, libGet)
		lt, lEnabled = append(lt, d), n
		d, n = timed(f.ops, f.keys, offGet)
		ot, oEnabled = append(ot, d), n
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(len(f.ops)) / 1000 }
	lm, om := median(lt), median(ot)
	b.ReportMetric(per(lm), "libvwo-µs/op")
	b.ReportMetric(per(om), "official-µs/op")

	// The digests, untimed; lines kept to count where the two SDKs disagree.
	lLines := make([]string, len(f.ops))
	oLines := make([]string, len(f.ops))
	lDigest := workload.FW1Digest(len(f.ops), func(i int) (string, string, bool, string) {
		op := f.ops[i]
		fl, why, _ := lc.GetFlagWithReason(f.keys[op.Key], context(op))
		v := "0"
		if why != nil && why.Experiment != nil {
			v = fmt.Sprint(why.Experiment.VariationID)
		} else if why != nil && why.Rollout != nil {
			v = fmt.Sprint(why.Rollout.VariationID)
		}
		lLines[i] = fmt.Sprint(fl.IsEnabled(), v)
		return f.keys[op.Key], op.User, fl.IsEnabled(), v
	})
	var last map[string]interface{}
	oh := newOfficial(b, f, func(p map[string]interface{}) { last = p })
	oDigest := workload.FW1Digest(len(f.ops), func(i int) (string, string, bool, string) {
		op := f.ops[i]
		last = nil
		fl, _ := oh.GetFlag(f.keys[op.Key], context(op))
		v := "0"
		if last != nil {
			if e, ok := last["experimentVariationId"]; ok && e != nil && e != "" && e != 0 {
				v = fmt.Sprint(e)
			} else if r, ok := last["rolloutVariationId"]; ok && r != nil && r != "" && r != 0 {
				v = fmt.Sprint(r)
			}
		}
		oLines[i] = fmt.Sprint(fl != nil && fl.IsEnabled(), v)
		return f.keys[op.Key], op.User, fl != nil && fl.IsEnabled(), v
	})
	differ, differEnabled := 0, 0
	for i := range lLines {
		if lLines[i] != oLines[i] {
			differ++
			if lLines[i][:4] != oLines[i][:4] {
				differEnabled++
			}
		}
	}
	fmt.Printf("FW1 (%d GetFlag calls over %d features, %d rounds, median): libvwo %.2f µs/op (rounds %v), "+
		"official FME Go SDK %.2f µs/op (rounds %v): %.1f× faster\n", len(f.ops), len(f.keys), rounds, per(lm),
		lt, per(om), ot, per(om)/per(lm))
	fmt.Printf("FW1 digest: libvwo %s (%d enabled), official %s (%d enabled), reference %s\n", lDigest, lEnabled,
		oDigest, oEnabled, workload.FW1Digest50)
	fmt.Printf("FW1: the two SDKs disagree on %d of %d calls (%d on whether the flag is enabled, the rest on "+
		"the variation)\n", differ, len(f.ops), differEnabled)
	fmt.Printf("FW1 collector: %d requests received\n", f.requests.Load())
	if lDigest != workload.FW1Digest50 {
		b.Errorf("libvwo's FW1 digest %s, the reference's %s", lDigest, workload.FW1Digest50)
	}
	if oDigest != workload.FW1Digest50 {
		fmt.Printf("FW1: the official FME Go SDK's digest differs from the reference's (reported, not an error)\n")
	}
}
