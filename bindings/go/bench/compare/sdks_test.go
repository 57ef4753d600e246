package compare

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/libvwo/libvwo/bindings/go/bench/internal/workload"
	libapi "github.com/libvwo/libvwo/bindings/go/pkg/api"
	libschema "github.com/libvwo/libvwo/bindings/go/pkg/schema"
	goapi "github.com/wingify/vwo-go-sdk/pkg/api"
	golog "github.com/wingify/vwo-go-sdk/pkg/logger"
	"github.com/wingify/vwo-go-sdk/pkg/request"
	"github.com/wingify/vwo-go-sdk/pkg/service"
	goutils "github.com/wingify/vwo-go-sdk/pkg/utils"
)

// sdk is one SDK's APIs as the workloads call them, and the events its flush callback received.
type sdk struct {
	name             string
	getVariationName func(campaignKey, userID string, option interface{}) string
	activate         func(campaignKey, userID string, option interface{}) string
	track            func(campaignKeys interface{}, userID, goal string, option interface{}) int
	isFeatureEnabled func(campaignKey, userID string, option interface{}) bool
	variable         func(campaignKey, variableKey, userID string, option interface{}) interface{}
	// flush sends the events still queued; the stub server counts what arrives into events.
	flush  func()
	events atomic.Int64
}

// stubServer answers every request 200 at once on 127.0.0.1 (the reference harnesses' stubbed
// network), in this process, and counts the events it receives into x.events: the length of a batch
// POST's "ev" list (both SDKs post {"ev": [...]} to /server-side/batch-events), 1 for any other request.
func stubServer(b *testing.B, x *sdk) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int64(1)
		if strings.HasSuffix(r.URL.Path, "/batch-events") {
			var body struct{ Ev []struct{} }
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				b.Errorf("%s: batch body: %v", x.name, err)
			}
			n = int64(len(body.Ev))
		}
		x.events.Add(n)
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// launchLibvwo launches libvwo's binding: development mode (no events) for W1, else batching (100
// events, 600 s, no flush callback, as the reference harnesses) with every batch really delivered by
// libvwo's event thread to a stub server.
func launchLibvwo(b *testing.B, s *workload.Settings, batch bool) *sdk {
	var file libschema.SettingsFile
	if err := json.Unmarshal(s.Text, &file); err != nil {
		b.Fatal(err)
	}
	x := &sdk{name: "libvwo"}
	opts := []libapi.VWOOption{libapi.WithLibvwoOptions(map[string]interface{}{"base_url": stubServer(b, x).URL})}
	if batch {
		opts = append(opts, libapi.WithBatchEventQueue(libapi.BatchConfig{EventsPerRequest: 100, RequestTimeInterval: 600}, nil))
	} else {
		opts = append(opts, libapi.WithDevelopmentMode())
	}
	inst, err := libapi.VWOInstance{SettingsFile: file}.Init(opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(inst.Close)
	x.getVariationName = inst.GetVariationName
	x.activate = inst.Activate
	x.track = func(campaignKeys interface{}, userID, goal string, option interface{}) int {
		n := 0
		for _, r := range inst.Track(campaignKeys, userID, goal, option) {
			if r.TrackValue {
				n++
			}
		}
		return n
	}
	x.isFeatureEnabled = inst.IsFeatureEnabled
	x.variable = inst.GetFeatureVariableValue
	x.flush = inst.FlushEvents
	return x
}

// toStub sends vwo-go-sdk's requests, which always go to https://dev.visualwebsiteoptimizer.com, to
// the stub server over plain HTTP on 127.0.0.1 (as libvwo's go there through its base_url).
type toStub struct {
	host string
	rt   http.RoundTripper
}

func (t toStub) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	u := *req.URL
	u.Scheme, u.Host = "http", t.host
	r.URL, r.Host = &u, t.host
	return t.rt.RoundTrip(r)
}

var (
	goLogSilenced bool
	baseTransport = http.DefaultTransport.(*http.Transport)
)

// launchVWOGo launches vwo-go-sdk as its README says for a settings file read from disk (the
// settings manager's clean-up and Process, which computes the variation ranges), with its logger
// silenced (level -1) and, for W2/W4, its batch queue (100 events, 600 s, no flush callback) posting
// to a stub server.
func launchVWOGo(b *testing.B, s *workload.Settings, batch bool) *sdk {
	if !goLogSilenced {
		golog.SetLogLevel(-1) // prints "log level set to -1"
		goLogSilenced = true
	}
	x := &sdk{name: "vwo-go-sdk"}
	srv := stubServer(b, x)
	rt := toStub{host: srv.Listener.Addr().String(), rt: baseTransport.Clone()}
	request.Client = &http.Client{Transport: rt} // batch POSTs
	http.DefaultTransport = rt                   // single events (http.Get); none in these workloads
	sfm := service.SettingsFileManager{}
	if err := json.Unmarshal([]byte(goutils.JsonCleanUp(string(s.Text))), &sfm.SettingsFile); err != nil {
		b.Fatal(err)
	}
	sfm.Process()
	var opts []goapi.VWOOption
	if batch {
		opts = append(opts, goapi.WithBatchEventQueue(goapi.BatchConfig{EventsPerRequest: 100, RequestTimeInterval: 600}, nil))
	} else {
		opts = append(opts, goapi.WithDevelopmentMode())
	}
	inst, err := goapi.VWOInstance{SettingsFile: sfm.GetSettingsFile()}.Init(opts...)
	if err != nil {
		b.Fatal(err)
	}
	x.getVariationName = inst.GetVariationName
	x.activate = inst.Activate
	x.track = func(campaignKeys interface{}, userID, goal string, option interface{}) int {
		n := 0
		for _, r := range inst.Track(campaignKeys, userID, goal, option) {
			if r.TrackValue {
				n++
			}
		}
		return n
	}
	x.isFeatureEnabled = inst.IsFeatureEnabled
	x.variable = inst.GetFeatureVariableValue
	x.flush = inst.FlushEvents
	return x
}
