package api_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/libvwo/libvwo/bindings/go/pkg/api"
	"github.com/libvwo/libvwo/bindings/go/pkg/schema"
)

const stickyCampaign = "ab_homepage_hero"

// allToControl is the bench settings with every visitor of stickyCampaign sent to Control.
func allToControl(t *testing.T) schema.SettingsFile {
	s := benchSettings(t)
	for i := range s.Campaigns {
		if s.Campaigns[i].Key == stickyCampaign {
			s.Campaigns[i].Variations[0].Weight = 100
			s.Campaigns[i].Variations[1].Weight = 0
		}
	}
	return s
}

// assign activates stickyCampaign for n users and returns the variation of each.
func assign(inst *api.VWOInstance, n int) map[string]string {
	got := map[string]string{}
	for i := 0; i < n; i++ {
		u := fmt.Sprintf("sticky_%d", i)
		got[u] = inst.Activate(stickyCampaign, u, nil)
	}
	return got
}

// checkSticky: a relaunch with traffic moved to Control keeps every stored Variation-1.
func checkSticky(t *testing.T, before map[string]string, inst *api.VWOInstance) {
	t.Helper()
	moved := 0
	for u, v := range before {
		if v == "" {
			t.Fatalf("%s got no variation at first", u)
		}
		if got := inst.Activate(stickyCampaign, u, nil); got != v {
			t.Fatalf("%s: stored %q, now %q", u, v, got)
		}
		if v != "Control" {
			moved++
		}
	}
	if moved == 0 {
		t.Fatal("no user had Variation-1: the test proves nothing")
	}
}

func TestBuiltinFileStorageIsSticky(t *testing.T) {
	dir := t.TempDir()
	first := launchT(t, benchSettings(t), api.WithDevelopmentMode(), api.WithFileStorage(dir))
	before := assign(first, 50)
	if c := first.StorageCounters(); c.Writes != 50 || c.Written != 50 {
		t.Fatalf("counters after first sight: %+v", c)
	}
	first.Close()
	// without storage, the changed settings give Control to everyone
	plain := launchT(t, allToControl(t), api.WithDevelopmentMode())
	for u := range before {
		if v := plain.Activate(stickyCampaign, u, nil); v != "Control" {
			t.Fatalf("%s without storage: %q", u, v)
		}
	}
	again := launchT(t, allToControl(t), api.WithDevelopmentMode(), api.WithFileStorage(dir))
	checkSticky(t, before, again)
	if c := again.StorageCounters(); c.Hits < 50 || c.ReadErrors != 0 {
		t.Fatalf("counters after relaunch: %+v", c)
	}
}

func TestBuiltinMemoryStorageIsBounded(t *testing.T) {
	inst := launchT(t, benchSettings(t), api.WithDevelopmentMode(), api.WithMemoryStorage(2))
	assign(inst, 5)
	if c := inst.StorageCounters(); c.Writes != 5 || c.Evicted != 3 {
		t.Fatalf("counters: %+v", c)
	}
	inst.Close()
	if c := inst.StorageCounters(); c != (api.StorageCounters{}) {
		t.Fatalf("after Close: %+v", c)
	}
}

// startRedis starts redis-server on a free port of 127.0.0.1 (`make test` installs it: tools/deps.sh).
func startRedis(t *testing.T) string {
	t.Helper()
	if os.Getenv("VWO_SKIP_REDIS") == "1" {
		t.Skip("VWO_SKIP_REDIS=1")
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server not found: `make test` installs it (tools/deps.sh; apt-get install redis-server); VWO_SKIP_REDIS=1 skips")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "redis://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBuiltinRedisStorageIsSharedAndSticky(t *testing.T) {
	url := startRedis(t)
	cfg := api.RedisStorage{URL: url, KeyPrefix: "go-test:", TimeoutMs: 500}
	first := launchT(t, benchSettings(t), api.WithDevelopmentMode(), api.WithRedisStorage(cfg))
	before := assign(first, 50)
	first.Close() // waits for the background writes
	second := launchT(t, allToControl(t), api.WithDevelopmentMode(), api.WithRedisStorage(cfg))
	checkSticky(t, before, second)
	if c := second.StorageCounters(); c.Hits < 50 || c.ReadErrors != 0 {
		t.Fatalf("counters: %+v", c)
	}
	// another prefix sees nothing stored
	other := launchT(t, allToControl(t), api.WithDevelopmentMode(),
		api.WithRedisStorage(api.RedisStorage{URL: url, KeyPrefix: "elsewhere:"}))
	for u := range before {
		if v := other.Activate(stickyCampaign, u, nil); v != "Control" {
			t.Fatalf("%s under another prefix: %q", u, v)
		}
	}
}

// Redis down: decisions go on as with nothing stored, within the timeout, and are counted.
func TestBuiltinRedisStorageDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	inst := launchT(t, benchSettings(t), api.WithDevelopmentMode(), api.WithLogger(&quietLogger{}),
		api.WithRedisStorage(api.RedisStorage{URL: "redis://" + addr, TimeoutMs: 100}),
		api.WithLibvwoOptions(map[string]interface{}{"delivery": map[string]interface{}{"close_timeout_ms": 300}}))
	start := time.Now()
	got := assign(inst, 20)
	t.Logf("20 decisions with Redis down: %v", time.Since(start))
	if time.Since(start) > time.Second {
		t.Fatalf("20 decisions with Redis down took %v", time.Since(start))
	}
	for u, v := range got {
		if v == "" {
			t.Fatalf("%s: no decision with Redis down", u)
		}
	}
	if c := inst.StorageCounters(); c.ReadErrors == 0 || c.Writes != 20 || c.Written != 0 {
		t.Fatalf("counters: %+v", c)
	}
	start = time.Now()
	inst.Close() // the writes still queued are given up after close_timeout_ms
	if time.Since(start) > 3*time.Second {
		t.Fatalf("Close with Redis down took %v", time.Since(start))
	}
}
