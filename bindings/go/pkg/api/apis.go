package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/libvwo/libvwo/bindings/go/internal/capi"
	"github.com/libvwo/libvwo/bindings/go/pkg/schema"
)

// prepare checks the string arguments and encodes the options into a scratch; nil when the call
// cannot be made (the reason was logged).
func (st *instanceState) prepare(api string, option interface{}, strs ...string) *capi.Call {
	for _, s := range strs {
		if capi.HasNUL(s) {
			st.hooks.errorf("[%s] an argument contains a NUL byte: %q", api, s)
			return nil
		}
	}
	k := capi.GetCall()
	var err error
	if k.Opts, err = appendOptions(k.Opts, option); err != nil {
		st.hooks.errorf("[%s] invalid options: %v", api, err)
		k.Release()
		return nil
	}
	return k
}

func (st *instanceState) failed(api string, err error) {
	st.hooks.errorf("[%s] %v", api, err)
}

// Activate returns the variation of a VISUAL_AB campaign for the user and sends an impression the
// first time (vwo-python-sdk's rule, see the README), or "" when the user gets none or the call is
// invalid. option is nil or a map[string]interface{} with "customVariables",
// "variationTargetingVariables", "userAgent", "userIpAddress", "customProperties".
func (vwo *VWOInstance) Activate(campaignKey, userID string, option interface{}) string {
	return vwo.decide("Activate", true, campaignKey, userID, option)
}

// GetVariationName returns the variation of a VISUAL_AB or FEATURE_TEST campaign for the user,
// without an event; "" when none. Options as Activate.
func (vwo *VWOInstance) GetVariationName(campaignKey, userID string, option interface{}) string {
	return vwo.decide("GetVariationName", false, campaignKey, userID, option)
}

func (vwo *VWOInstance) decide(api string, activate bool, campaignKey, userID string, option interface{}) string {
	st := vwo.acquire()
	if st == nil {
		vwo.unusable(api)
		return ""
	}
	defer st.release()
	var k *capi.Call
	if option == nil && !capi.HasNUL(campaignKey) && !capi.HasNUL(userID) {
		k = capi.GetCall() // the common case, without the variadic checks
	} else if k = st.prepare(api, option, campaignKey, userID); k == nil {
		return ""
	}
	name, _, err := st.client.Decide(k, activate, campaignKey, userID)
	k.Release()
	if err != nil {
		st.failed(api, err)
		return ""
	}
	return name
}

// IsFeatureEnabled tells whether the feature of a FEATURE_TEST or FEATURE_ROLLOUT campaign is on for
// the user (an impression is sent the first time). Options as Activate.
func (vwo *VWOInstance) IsFeatureEnabled(campaignKey, userID string, option interface{}) bool {
	const api = "IsFeatureEnabled"
	st := vwo.acquire()
	if st == nil {
		vwo.unusable(api)
		return false
	}
	defer st.release()
	k := st.prepare(api, option, campaignKey, userID)
	if k == nil {
		return false
	}
	on, err := st.client.IsFeatureEnabled(k, campaignKey, userID)
	k.Release()
	if err != nil {
		st.failed(api, err)
		return false
	}
	return on
}

// GetFeatureVariableValue returns the value of a feature variable for the user, cast to the variable's
// type as vwo-python-sdk casts it, in the Go types of encoding/json (string, float64, bool,
// map[string]interface{}); nil when there is none. Options: "customVariables",
// "variationTargetingVariables".
func (vwo *VWOInstance) GetFeatureVariableValue(campaignKey, variableKey, userID string, option interface{}) interface{} {
	const api = "GetFeatureVariableValue"
	st := vwo.acquire()
	if st == nil {
		vwo.unusable(api)
		return nil
	}
	defer st.release()
	k := st.prepare(api, option, campaignKey, variableKey, userID)
	if k == nil {
		return nil
	}
	text, err := st.client.FeatureVariable(k, campaignKey, variableKey, userID)
	k.Release()
	if err != nil {
		st.failed(api, err)
		return nil
	}
	if text == nil {
		return nil
	}
	v, err := variableValue(text)
	if err != nil {
		st.failed(api, err)
		return nil
	}
	return v
}

// Track converts a goal for the user. campaignKeys is a campaign key (string), a list of keys
// ([]string), or nil for every running campaign having the goal. The result has one entry per campaign
// considered, in settings order; it is empty when the call is invalid or nothing could be tracked.
// option is nil or a map[string]interface{} with "revenueValue", "goalTypeToTrack",
// "shouldTrackReturningUser", "eventProperties", "customVariables", "variationTargetingVariables",
// "userAgent", "userIpAddress".
func (vwo *VWOInstance) Track(campaignKeys interface{}, userID, goalIdentifier string, option interface{}) []schema.TrackResult {
	const api = "Track"
	none := []schema.TrackResult{}
	st := vwo.acquire()
	if st == nil {
		vwo.unusable(api)
		return none
	}
	defer st.release()
	if st.badGoalAttributes != "" {
		st.hooks.errorf("[%s] %s", api, st.badGoalAttributes)
		return none
	}
	var campaign string
	list, all := false, false
	switch c := campaignKeys.(type) {
	case nil:
		all = true
	case string:
		campaign = c
	case []string:
		list = true
		b, _ := json.Marshal(c)
		campaign = string(b)
	case []interface{}:
		for _, e := range c {
			if _, ok := e.(string); !ok {
				st.hooks.errorf("[%s] campaign keys must be strings, got %T", api, e)
				return none
			}
		}
		list = true
		b, _ := json.Marshal(c)
		campaign = string(b)
	default:
		st.hooks.errorf("[%s] campaignKeys must be a string, a []string or nil, got %T", api, campaignKeys)
		return none
	}
	k := st.prepare(api, option, campaign, userID, goalIdentifier)
	if k == nil {
		return none
	}
	text, err := st.client.Track(k, list, all, campaign, userID, goalIdentifier)
	k.Release()
	if err != nil {
		st.failed(api, err)
		return none
	}
	if text == nil {
		return none
	}
	out, err := trackResults(text)
	if err != nil {
		st.failed(api, err)
		return none
	}
	return out
}

// trackResults reads libvwo's {"key": bool, …} keeping its order (a small parser: the text is
// serde_json's compact output; keys with escapes go through encoding/json).
func trackResults(text []byte) ([]schema.TrackResult, error) {
	// The error is only formatted when there is one (it quotes the text: 1-2 µs).
	bad := func() error { return fmt.Errorf("unexpected track result %.100q", text) }
	i := 0
	if len(text) < 2 || text[0] != '{' {
		return nil, bad()
	}
	i = 1
	out := make([]schema.TrackResult, 0, 2)
	for i < len(text) && text[i] != '}' {
		if text[i] == ',' {
			i++
		}
		if i >= len(text) || text[i] != '"' {
			return nil, bad()
		}
		j := i + 1
		escaped := false
		for j < len(text) && text[j] != '"' {
			if text[j] == '\\' {
				escaped = true
				j++
			}
			j++
		}
		if j >= len(text) {
			return nil, bad()
		}
		var key string
		if escaped {
			if err := json.Unmarshal(text[i:j+1], &key); err != nil {
				return nil, bad()
			}
		} else {
			key = string(text[i+1 : j])
		}
		i = j + 1
		if i >= len(text) || text[i] != ':' {
			return nil, bad()
		}
		i++
		switch {
		case bytes.HasPrefix(text[i:], []byte("true")):
			out = append(out, schema.TrackResult{CampaignKey: key, TrackValue: true})
			i += 4
		case bytes.HasPrefix(text[i:], []byte("false")):
			out = append(out, schema.TrackResult{CampaignKey: key, TrackValue: false})
			i += 5
		default:
			return nil, bad()
		}
	}
	return out, nil
}

// variableValue decodes a variable's JSON value: the scalars by hand, the rest with encoding/json.
func variableValue(text []byte) (interface{}, error) {
	switch {
	case len(text) >= 2 && text[0] == '"' && bytes.IndexByte(text[1:len(text)-1], '\\') < 0 &&
		bytes.IndexByte(text[1:len(text)-1], '"') < 0:
		return string(text[1 : len(text)-1]), nil
	case string(text) == "true":
		return true, nil
	case string(text) == "false":
		return false, nil
	case len(text) > 0 && (text[0] == '-' || (text[0] >= '0' && text[0] <= '9')):
		if f, err := strconv.ParseFloat(string(text), 64); err == nil {
			return f, nil
		}
	}
	var v interface{}
	err := json.Unmarshal(text, &v)
	return v, err
}

// Push sends a custom dimension (tag key and value at most 255 characters) for the user.
func (vwo *VWOInstance) Push(tagKey, tagValue, userID string) bool {
	const api = "Push"
	st := vwo.acquire()
	if st == nil {
		vwo.unusable(api)
		return false
	}
	defer st.release()
	k := st.prepare(api, nil, tagKey, tagValue, userID)
	if k == nil {
		return false
	}
	ok, err := st.client.Push(k, tagKey, tagValue, userID)
	k.Release()
	if err != nil {
		st.failed(api, err)
		return false
	}
	return ok
}

// FlushEvents sends every queued event now and waits until they are delivered or failed (up to 10 s).
func (vwo *VWOInstance) FlushEvents() {
	const api = "FlushEvents"
	st := vwo.acquire()
	if st == nil {
		vwo.unusable(api)
		return
	}
	defer st.release()
	st.client.FlushEvents(math.MaxUint64)
}

// GetAndUpdateSettingsFile fetches the account's settings from VWO (the webhook endpoint) and, when
// they are valid, swaps them in and stores them in vwo.SettingsFile. On failure it logs and keeps the
// current settings.
func (vwo *VWOInstance) GetAndUpdateSettingsFile() {
	const api = "GetAndUpdateSettingsFile"
	st := vwo.acquire()
	if st == nil {
		vwo.unusable(api)
		return
	}
	defer st.release()
	text, err := st.client.UpdateSettings(true)
	if err != nil {
		st.failed(api, err)
		return
	}
	var s schema.SettingsFile
	if err := json.Unmarshal(text, &s); err != nil {
		st.failed(api, err)
		return
	}
	vwo.SettingsFile = s
}

// SetOptOut (new; vwo-python-sdk's set_opt_out) flushes queued events, then every API returns its
// failure value and sends nothing, for good.
func (vwo *VWOInstance) SetOptOut() bool {
	const api = "SetOptOut"
	st := vwo.acquire()
	if st == nil {
		vwo.unusable(api)
		return false
	}
	defer st.release()
	return st.client.SetOptOut()
}

// StorageCounters are the counters of libvwo's built-in user storage (WithRedisStorage,
// WithFileStorage, WithMemoryStorage) since launch; all zero with a Go storage or none.
type StorageCounters struct {
	// Reads: lookups asked of the store; Hits: those that found a record; ReadErrors: those that failed
	// (timeout, Redis down), decided as "nothing stored".
	Reads, Hits, ReadErrors uint64
	// Writes: records accepted for writing; Written: acknowledged by the store; WriteErrors: failed
	// attempts; WritesDropped: given up; Pending: not yet acknowledged nor given up.
	Writes, Written, WriteErrors, WritesDropped, Pending uint64
	// Evicted: records dropped to stay within WithMemoryStorage's maxEntries.
	Evicted uint64
}

// StorageCounters reads the built-in user storage's counters (new; not in vwo-go-sdk). After Close it
// returns zeros.
func (vwo *VWOInstance) StorageCounters() StorageCounters {
	st := vwo.acquire()
	if st == nil {
		return StorageCounters{}
	}
	defer st.release()
	c := st.client.StorageCounters()
	return StorageCounters{c.Reads, c.Hits, c.ReadErrors, c.Writes, c.Written, c.WriteErrors,
		c.WritesDropped, c.Pending, c.Evicted}
}
