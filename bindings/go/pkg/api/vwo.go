// Package api is vwo-go-sdk's pkg/api over libvwo: the instance (VWOInstance) with its APIs, and the
// launch options (VWOOption). Decisions, events and user storage semantics are libvwo's (vwo-python-sdk
// 1.68.2's); see the binding's README for every difference from vwo-go-sdk.
package api

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libvwo/libvwo/bindings/go/internal/capi"
	"github.com/libvwo/libvwo/bindings/go/pkg/constants"
	"github.com/libvwo/libvwo/bindings/go/pkg/logger"
	"github.com/libvwo/libvwo/bindings/go/pkg/schema"
)

// VWOInstance is a launched SDK instance. Its exported fields are vwo-go-sdk's; the APIs are safe for
// concurrent use. Close it when done (a finalizer closes a forgotten one).
type VWOInstance struct {
	SettingsFile             schema.SettingsFile
	UserStorage              interface{}
	Logger                   interface{}
	IsDevelopmentMode        bool
	UserID                   string
	Campaign                 schema.Campaign
	API                      string
	GoalTypeToTrack          interface{}
	ShouldTrackReturningUser interface{}

	batch         *BatchConfig
	flushCallBack func(error, []map[string]interface{})
	integrations  func(map[string]interface{})
	extraOptions  map[string]interface{}

	st *instanceState
}

// VWOOption configures an instance at launch.
type VWOOption func(*VWOInstance)

// BatchConfig turns on event batching: a batch is sent when it holds EventsPerRequest events (1–5000,
// default 100) or RequestTimeInterval seconds (≥ 1, default 600) after the previous flush.
type BatchConfig struct {
	RequestTimeInterval int
	EventsPerRequest    int
}

// SetDefaults sets both fields to their defaults.
func (config *BatchConfig) SetDefaults() {
	config.EventsPerRequest = constants.BatchDefaultEventsPerRequest
	config.RequestTimeInterval = constants.BatchDefaultRequestInterval
}

// WithStorage sets the user storage: a value with Get(userID, campaignKey string) schema.UserData and
// Set(userID, campaignKey, variationName, goalIdentifier string) (see UserStorage).
func WithStorage(storage interface{}) VWOOption {
	return func(vwo *VWOInstance) { vwo.UserStorage = storage }
}

// WithLogger sets a custom logger: a value with CustomLog(level, message string) (see CustomLogger).
func WithLogger(logger interface{}) VWOOption {
	return func(vwo *VWOInstance) { vwo.Logger = logger }
}

// WithDevelopmentMode turns development mode on: decisions as usual, no event sent.
func WithDevelopmentMode() VWOOption {
	return func(vwo *VWOInstance) { vwo.IsDevelopmentMode = true }
}

// WithGoalAttributes sets the defaults of Track: the goal type to track (constants.GoalTypeRevenue,
// GoalTypeCustom or GoalTypeAll) and whether a returning user's goal is tracked again (bool).
func WithGoalAttributes(goalTypeToTrack interface{}, shouldTrackReturningUser interface{}) VWOOption {
	return func(vwo *VWOInstance) {
		vwo.GoalTypeToTrack = goalTypeToTrack
		vwo.ShouldTrackReturningUser = shouldTrackReturningUser
	}
}

// WithBatchEventQueue turns event batching on; flushCallBack (may be nil) receives each batch after
// it was sent, with the error if it was not delivered. It runs on libvwo's delivery thread: keep it
// short.
func WithBatchEventQueue(batchConfig BatchConfig, flushCallBack func(error, []map[string]interface{})) VWOOption {
	return func(vwo *VWOInstance) {
		c := batchConfig
		vwo.batch = &c
		vwo.flushCallBack = flushCallBack
	}
}

// WithIntegrationsCallBack sets the integrations hook, called once per decision that yields a
// variation, with vwo-go-sdk's keys (campaignKey, variationName, userId, source, …).
func WithIntegrationsCallBack(integrationsCallBack func(map[string]interface{})) VWOOption {
	return func(vwo *VWOInstance) { vwo.integrations = integrationsCallBack }
}

// WithLibvwoOptions passes launch options of libvwo's C ABI as they are (new; not in vwo-go-sdk):
// "base_url", "delivery" ({"timeout_ms", "max_attempts", "max_retry_time_ms", "queue_capacity",
// "spool_dir", …}; by default retries last up to 10 minutes, backoff capped at 5 s, no attempt count),
// "polling_interval_seconds", "log_level". See include/vwo.h, vwo_client_launch. They are applied
// after the options derived from the other VWOOptions.
func WithLibvwoOptions(options map[string]interface{}) VWOOption {
	return func(vwo *VWOInstance) {
		if vwo.extraOptions == nil {
			vwo.extraOptions = map[string]interface{}{}
		}
		for k, v := range options {
			vwo.extraOptions[k] = v
		}
	}
}

// RedisStorage configures libvwo's built-in Redis user storage (WithRedisStorage). One key per user and
// campaign, "<KeyPrefix><campaignKey>:<userID>", holding the record as JSON: the format of
// vwo-python-sdk's Redis storage, so services in both languages share assignments.
type RedisStorage struct {
	// URL: "redis://[user:password@]host[:port][/db]" or a bare host (required).
	URL string
	// Username and Password: ACL credentials, when not in URL.
	Username, Password string
	// KeyPrefix is put before every key (default: none).
	KeyPrefix string
	// TTLSeconds expires records (0: never).
	TTLSeconds int
	// TimeoutMs bounds every Redis call (0: libvwo's default, 100 ms). When Redis is slow or down,
	// decisions go on as with nothing stored, and writes are retried in the background.
	TimeoutMs int
}

// WithRedisStorage makes libvwo keep user storage records in Redis (new; not in vwo-go-sdk). A Go
// storage given with WithStorage takes precedence.
func WithRedisStorage(config RedisStorage) VWOOption {
	redis := map[string]interface{}{"url": config.URL}
	if config.Username != "" {
		redis["username"] = config.Username
	}
	if config.Password != "" {
		redis["password"] = config.Password
	}
	if config.KeyPrefix != "" {
		redis["keyPrefix"] = config.KeyPrefix
	}
	if config.TTLSeconds > 0 {
		redis["ttlSeconds"] = config.TTLSeconds
	}
	if config.TimeoutMs > 0 {
		redis["timeoutMs"] = config.TimeoutMs
	}
	return WithLibvwoOptions(map[string]interface{}{"user_storage": map[string]interface{}{"redis": redis}})
}

// WithFileStorage makes libvwo keep user storage records in an embedded store (LMDB) in the directory
// path, created when missing (new; not in vwo-go-sdk). Instances and processes of one machine may share
// it; a record is on disk when the API call returns. A Go storage given with WithStorage takes
// precedence.
func WithFileStorage(path string) VWOOption {
	return WithLibvwoOptions(map[string]interface{}{
		"user_storage": map[string]interface{}{"file": map[string]interface{}{"path": path}},
	})
}

// WithMemoryStorage makes libvwo keep user storage records in process memory, at most maxEntries of
// them (0: unbounded), the oldest evicted first (new; not in vwo-go-sdk).
func WithMemoryStorage(maxEntries int) VWOOption {
	memory := map[string]interface{}{}
	if maxEntries > 0 {
		memory["maxEntries"] = maxEntries
	}
	return WithLibvwoOptions(map[string]interface{}{"user_storage": map[string]interface{}{"memory": memory}})
}

// instanceState is the live part of an instance, shared by copies of the VWOInstance value.
type instanceState struct {
	client   *capi.Client
	hooks    *hooks
	inflight atomic.Int64
	closed   atomic.Bool
	once     sync.Once
	// invalid goal attributes of WithGoalAttributes: vwo-go-sdk fails every Track.
	badGoalAttributes string
}

func (st *instanceState) shutdown() {
	st.once.Do(func() {
		st.closed.Store(true)
		st.client.Close(math.MaxUint64) // bounded by delivery.close_timeout_ms (5 s by default)
		for st.inflight.Load() != 0 {
			time.Sleep(100 * time.Microsecond)
		}
		st.client.Free()
	})
}

// acquire marks a call in flight; nil when the instance is not usable (never launched, or closed).
func (vwo *VWOInstance) acquire() *instanceState {
	if vwo == nil || vwo.st == nil {
		return nil
	}
	st := vwo.st
	st.inflight.Add(1)
	if st.closed.Load() {
		st.inflight.Add(-1)
		return nil
	}
	return st
}

func (st *instanceState) release() { st.inflight.Add(-1) }

// unusable logs why an API returns its failure value without calling libvwo.
func (vwo *VWOInstance) unusable(api string) {
	var h *hooks
	if vwo != nil && vwo.st != nil {
		h = vwo.st.hooks
	}
	switch {
	case vwo == nil:
		h.errorf("[%s] called on a nil *VWOInstance", api)
	case vwo.st == nil:
		h.errorf("[%s] the instance was not launched", api)
	default:
		h.errorf("[%s] the instance is closed", api)
	}
}

// Close flushes the queued events (waiting up to 5 s) and frees the instance. Afterwards every API
// returns its failure value. Calling it again does nothing. Do not call it from a callback of the same
// instance.
func (vwo *VWOInstance) Close() {
	if vwo == nil || vwo.st == nil {
		return
	}
	vwo.st.shutdown()
	runtime.SetFinalizer(vwo.st, nil)
}

// Init launches the instance with the given options (vwo.Launch calls it). The error says what was
// wrong; with an error the returned instance still answers every API (with failure values if the
// settings could not be loaded).
func (vwo VWOInstance) Init(vwoOption ...VWOOption) (*VWOInstance, error) {
	inst := &vwo
	for _, option := range vwoOption {
		if option != nil {
			option(inst)
		}
	}
	h := &hooks{integrations: inst.integrations, flush: inst.flushCallBack}
	var errs []string

	if inst.Logger != nil {
		switch l := inst.Logger.(type) {
		case CustomLogger:
			h.custom = l
		default:
			errs = append(errs, fmt.Sprintf("custom logger of type %T has no CustomLog(level, message string) method: using the default logger", inst.Logger))
		}
	}
	if inst.UserStorage != nil {
		if s, ok := inst.UserStorage.(UserStorage); ok {
			h.storage = s
		} else {
			errs = append(errs, fmt.Sprintf("user storage of type %T lacks Get(userID, campaignKey string) schema.UserData or Set(userID, campaignKey, variationName, goalIdentifier string): launched without user storage", inst.UserStorage))
		}
	}

	// log_level and the logger callback only when the user set them: libvwo reports both in its usage
	// stats, as vwo-python-sdk does for its launch arguments.
	options := map[string]interface{}{"sdk_name_suffix": "go"}
	if logger.LogLevel() != 0 {
		options["log_level"] = launchLogLevel()
	}
	if inst.IsDevelopmentMode {
		options["is_development_mode"] = true
	}
	badGoal := ""
	if inst.GoalTypeToTrack != nil {
		s, ok := inst.GoalTypeToTrack.(string)
		if ok && (s == constants.GoalTypeAll || s == constants.GoalTypeCustom || s == constants.GoalTypeRevenue) {
			options["goal_type_to_track"] = s
		} else {
			badGoal = fmt.Sprintf("goalTypeToTrack %v of WithGoalAttributes is not one of %q, %q, %q", inst.GoalTypeToTrack, constants.GoalTypeAll, constants.GoalTypeCustom, constants.GoalTypeRevenue)
		}
	}
	if inst.ShouldTrackReturningUser != nil {
		if b, ok := inst.ShouldTrackReturningUser.(bool); ok {
			options["should_track_returning_user"] = b
		} else {
			badGoal = fmt.Sprintf("shouldTrackReturningUser %v of WithGoalAttributes is not a bool", inst.ShouldTrackReturningUser)
		}
	}
	if badGoal != "" {
		errs = append(errs, badGoal+": Track will fail")
	}
	if inst.batch != nil {
		be, msgs := batchOptions(*inst.batch)
		errs = append(errs, msgs...)
		options["batch_events"] = be
	}
	for k, v := range inst.extraOptions {
		options[k] = v
	}

	for _, e := range errs {
		h.errorf("[Launch] %s", e)
	}

	settings, err := json.Marshal(inst.SettingsFile)
	if err != nil {
		h.errorf("[Launch] cannot encode the settings file: %v", err)
		return inst, fmt.Errorf("libvwo: cannot encode the settings file: %v", err)
	}
	opts, err := json.Marshal(options)
	if err != nil {
		h.errorf("[Launch] cannot encode the launch options: %v", err)
		return inst, fmt.Errorf("libvwo: cannot encode the launch options: %v", err)
	}
	set := capi.HookSet{Storage: h.storage != nil, Logger: h.custom != nil, Integrations: h.integrations != nil,
		Flush: h.flush != nil && inst.batch != nil}
	client, err := capi.Launch(settings, opts, h, set)
	if err != nil {
		h.errorf("[Launch] %v", err)
		return inst, fmt.Errorf("libvwo: launch failed: %v", err)
	}
	st := &instanceState{client: client, hooks: h, badGoalAttributes: badGoal}
	// Backstop for an instance never closed: close it off the finalizer goroutine.
	runtime.SetFinalizer(st, func(st *instanceState) { go st.shutdown() })
	inst.st = st
	if len(errs) > 0 {
		return inst, fmt.Errorf("libvwo: %s", errs[0])
	}
	return inst, nil
}

// launchLogLevel maps the global level of SetLogLevel to libvwo's threshold.
func launchLogLevel() string {
	switch l := logger.LogLevel(); {
	case l >= 3:
		return "DEBUG"
	case l == 2:
		return "INFO"
	default:
		return "ERROR"
	}
}

// batchOptions checks a BatchConfig field by field: a zero field takes its default, an out-of-range one
// is logged and takes its default.
func batchOptions(c BatchConfig) (map[string]interface{}, []string) {
	var msgs []string
	epr, rti := c.EventsPerRequest, c.RequestTimeInterval
	if epr == 0 {
		epr = constants.BatchDefaultEventsPerRequest
	} else if epr < constants.BatchMinEventsPerRequest || epr > constants.BatchMaxEventsPerRequest {
		msgs = append(msgs, fmt.Sprintf("BatchConfig.EventsPerRequest %d is not in 1..5000: using %d", epr, constants.BatchDefaultEventsPerRequest))
		epr = constants.BatchDefaultEventsPerRequest
	}
	if rti == 0 {
		rti = constants.BatchDefaultRequestInterval
	} else if rti < constants.BatchMinRequestInterval {
		msgs = append(msgs, fmt.Sprintf("BatchConfig.RequestTimeInterval %d is below 1 second: using %d", rti, constants.BatchDefaultRequestInterval))
		rti = constants.BatchDefaultRequestInterval
	}
	return map[string]interface{}{"events_per_request": epr, "request_time_interval": rti}, msgs
}
