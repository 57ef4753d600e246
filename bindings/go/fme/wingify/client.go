package wingify

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/libvwo/libvwo/bindings/go/fme/wingify/pkg/models"
	"github.com/libvwo/libvwo/bindings/go/internal/capi"
)

// ErrClosed is the error of every call on a client after Close.
var ErrClosed = errors.New("the client is closed")

var (
	errInvalidContext   = errors.New("invalid context")
	errFeatureKey       = errors.New("featureKey should be a non-empty string")
	errEventName        = errors.New("eventName should be a non-empty string")
	errAttributesEmpty  = errors.New("attributes map should contain at least 1 key-value pair")
	errBatchingDisabled = errors.New("batching is not enabled")
)

// WingifyClient is an FME client. It is safe for concurrent use by many goroutines.
type WingifyClient struct {
	c     *capi.FMEClient
	hooks *hooks
	// varCache: the decoded variables of a variation, by their JSON text (at most varCacheSize).
	varCache sync.Map
	varCount atomic.Int64
}

const varCacheSize = 4096

// decodeVariables decodes a flag's variables JSON: each call gets its own copies (values that are
// objects or lists too), decoded once per distinct text.
func (c *WingifyClient) decodeVariables(raw []byte) ([]*models.Variable, error) {
	var vs []models.Variable
	if t, ok := c.varCache.Load(string(raw)); ok {
		vs = t.([]models.Variable)
	} else {
		if err := json.Unmarshal(raw, &vs); err != nil {
			return nil, err
		}
		if c.varCount.Add(1) <= varCacheSize {
			c.varCache.Store(string(raw), vs)
		}
	}
	backing := make([]models.Variable, len(vs))
	out := make([]*models.Variable, len(vs))
	for i := range vs {
		backing[i] = vs[i]
		backing[i].Value = deepCopy(vs[i].Value)
		out[i] = &backing[i]
	}
	return out, nil
}

// deepCopy copies the objects and lists of a decoded JSON value.
func deepCopy(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		m := make(map[string]interface{}, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []interface{}:
		l := make([]interface{}, len(x))
		for i, e := range x {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}

var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

func takeBuf() *[]byte { b := bufs.Get().(*[]byte); *b = (*b)[:0]; return b }

func putBuf(b *[]byte) {
	if cap(*b) <= 64<<10 {
		bufs.Put(b)
	}
}

// callErr turns a failed C call into the error of a call: ErrClosed after Close.
func callErr(err error) error {
	if err == capi.ErrClosed {
		return ErrClosed
	}
	return err
}

// FlagReason is why a flag is what it is (libvwo's extension, used by the OpenFeature provider).
type FlagReason struct {
	// Reason: INVALID_CONTEXT, FEATURE_NOT_FOUND, IN_HOLDOUT, NO_ROLLOUT_TARGETED,
	// ROLLOUT_OUT_OF_TRAFFIC, ROLLOUT, EXPERIMENT or NO_EXPERIMENT_ASSIGNED.
	Reason string `json:"reason"`
	// Source: "evaluated", or "stored" (from the storage connector).
	Source string `json:"source"`
	// Rollout and Experiment are the rules that gave a variation (nil for none).
	Rollout    *RuleInfo     `json:"rollout"`
	Experiment *RuleInfo     `json:"experiment"`
	HoldoutIDs []interface{} `json:"holdoutIds"`
}

// RuleInfo is a rule that gave a variation.
type RuleInfo struct {
	RuleKey       string      `json:"ruleKey"`
	Type          string      `json:"type"`
	CampaignID    interface{} `json:"campaignId"`
	ExperimentKey string      `json:"experimentKey"`
	VariationID   interface{} `json:"variationId"`
	VariationName string      `json:"variationName"`
	Whitelisted   bool        `json:"whitelisted"`
}

func (c *WingifyClient) getFlag(featureKey string, context map[string]interface{}, withReason bool) (*models.GetFlag,
	*FlagReason, error) {
	// The Go SDK's checks, in its order: what it refuses never reaches libvwo.
	if !contextUsable(context) {
		c.hooks.errorf("Invalid context passed to getFlag API: the context must have an id (a non-empty string)")
		return models.NewGetFlag(false, nil, "", 0), nil, errInvalidContext
	}
	if featureKey == "" {
		c.hooks.errorf("featureKey passed to getFlag API is not of valid type: an empty string, expected a non-empty string")
		return &models.GetFlag{Enabled: false, Variables: []*models.Variable{}}, nil, errFeatureKey
	}
	b := takeBuf()
	defer putBuf(b)
	ctx, err := contextJSON(*b, context)
	if err != nil {
		return models.NewGetFlag(false, nil, "", 0), nil, fmt.Errorf("invalid context: %v", err)
	}
	*b = ctx
	r, err := c.c.GetFlag(featureKey, ctx, withReason)
	if err != nil {
		return models.NewGetFlag(false, nil, "", 0), nil, callErr(err)
	}
	flag := &models.GetFlag{Enabled: r.Enabled, UUID: r.UUID, SessionId: int64(r.SessionID),
		Variables: []*models.Variable{}}
	if r.Variables != nil {
		vars, err := c.decodeVariables(r.Variables)
		if err != nil {
			return models.NewGetFlag(false, nil, r.UUID, int64(r.SessionID)), nil,
				fmt.Errorf("panic recovered in GetFlag: variables: %v", err)
		}
		flag.Variables = vars
	}
	var reason *FlagReason
	if r.Reason != nil {
		reason = &FlagReason{}
		if json.Unmarshal(r.Reason, reason) == nil {
			flag.Reason = reason.Reason
		}
	}
	return flag, reason, nil
}

// GetFlag decides the feature featureKey for the user of context (keys "id" (required),
// "customVariables", "variationTargetingVariables", "userAgent", "ipAddress", "bucketingSeed",
// "sessionId", "postSegmentationVariables", "_wingify", "platformVariables", "useIdForWeb") and
// sends its impressions. On bad input it returns a disabled flag and the Go SDK's error.
func (c *WingifyClient) GetFlag(featureKey string, context map[string]interface{}) (flag models.GetFlagResponse,
	err error) {
	f, _, err := c.getFlag(featureKey, context, false)
	return f, err
}

// GetFlagWithReason is GetFlag with libvwo's decision reason (an extension: the official SDK has
// no such method).
func (c *WingifyClient) GetFlagWithReason(featureKey string, context map[string]interface{}) (*models.GetFlag,
	*FlagReason, error) {
	return c.getFlag(featureKey, context, true)
}

// TrackEvent sends the custom event eventName when it is a metric of some feature (or holdout):
// {eventName: true}; else {eventName: false}. eventProperties (optional) are the event's properties.
func (c *WingifyClient) TrackEvent(eventName string, context map[string]interface{},
	eventProperties ...map[string]interface{}) (result map[string]bool, err error) {
	fail := map[string]bool{eventName: false}
	if eventName == "" {
		c.hooks.errorf("eventName passed to trackEvent API is not of valid type: an empty string, expected a non-empty string")
		return fail, errEventName
	}
	if !contextUsable(context) {
		c.hooks.errorf("Invalid context passed to trackEvent API: the context must have an id (a non-empty string)")
		return fail, errInvalidContext
	}
	b := takeBuf()
	defer putBuf(b)
	ctx, err := contextJSON(*b, context)
	if err != nil {
		return fail, fmt.Errorf("invalid context: %v", err)
	}
	*b = ctx
	var props []byte
	if len(eventProperties) > 0 && eventProperties[0] != nil {
		if props, err = json.Marshal(eventProperties[0]); err != nil {
			return fail, fmt.Errorf("eventProperties: %v", err)
		}
	}
	ok, err := c.c.TrackEvent(eventName, ctx, props)
	if err != nil {
		return fail, callErr(err)
	}
	return map[string]bool{eventName: ok}, nil
}

// SetAttribute sends the attributes (values bool, string, int, int64 or float64) of the user of
// context to VWO, in one event.
func (c *WingifyClient) SetAttribute(attributes map[string]interface{}, context map[string]interface{}) error {
	if len(attributes) == 0 {
		c.hooks.errorf("Attributes map must contain at least 1 key-value pair")
		return errAttributesEmpty
	}
	for k, v := range attributes {
		switch v.(type) {
		case bool, string, int, int64, float64:
		default:
			c.hooks.errorf("Key:%s passed to setAttribute API is not of valid type. Got type:%T, should be: boolean, string or number", k, v)
			return fmt.Errorf("invalid attribute type for key %s", k)
		}
	}
	if !contextUsable(context) {
		c.hooks.errorf("Invalid context passed to setAttribute API: the context must have an id (a non-empty string)")
		return errInvalidContext
	}
	a, err := json.Marshal(attributes)
	if err != nil {
		return fmt.Errorf("attributes: %v", err)
	}
	b := takeBuf()
	defer putBuf(b)
	ctx, err := contextJSON(*b, context)
	if err != nil {
		return fmt.Errorf("invalid context: %v", err)
	}
	*b = ctx
	return callErr(c.c.SetAttributes(a, ctx))
}

// UpdateSettings replaces the settings: UpdateSettings(settingsJSON string) swaps in the given ones;
// UpdateSettings() or UpdateSettings(isViaWebhook bool) fetches them (from /server-side/v2-pull when
// isViaWebhook, the default; else /server-side/v2-settings). A second bool argument is isViaWebhook.
// On failure the settings in force stay.
func (c *WingifyClient) UpdateSettings(options ...interface{}) (err error) {
	settings := ""
	webhook := true
	if len(options) > 0 {
		switch v := options[0].(type) {
		case string:
			settings = v
		case bool:
			webhook = v
		}
	}
	if len(options) > 1 {
		if v, ok := options[1].(bool); ok {
			webhook = v
		}
	}
	var s []byte
	if settings != "" {
		s = []byte(settings)
	}
	if err := c.c.UpdateSettings(s, webhook); err != nil {
		if err == capi.ErrClosed {
			return ErrClosed
		}
		var ce *capi.Error
		if errors.As(err, &ce) && (ce.Status == capi.InvalidSettings || ce.Status == capi.InvalidJSON) {
			return fmt.Errorf("settings are invalid: %s", ce.Message)
		}
		return err
	}
	return nil
}

// GetOriginalSettings returns the settings in force as a JSON text ("" after Close).
func (c *WingifyClient) GetOriginalSettings() string {
	s, err := c.c.Settings()
	if err != nil {
		return ""
	}
	return string(s)
}

// FlushEvents sends the events waiting in the batch queue now (Init option batchEventData) and
// waits for them (up to libvwo's flush timeout, 10 s by default). It returns the Go SDK's error
// "batching is not enabled" without batchEventData, and an error when not everything was delivered.
func (c *WingifyClient) FlushEvents() (err error) {
	if c.c.Closed() {
		return ErrClosed
	}
	batching := c.hooks.flush != nil || c.batching()
	ok, err := c.c.Flush(math.MaxUint64)
	if err != nil {
		return callErr(err)
	}
	if !batching {
		return errBatchingDisabled
	}
	if !ok {
		return errors.New("error flushing events: not every event was delivered before the timeout")
	}
	return nil
}

// batching reports whether SDK batching is on: libvwo's C ABI does not say, so the client remembers.
func (c *WingifyClient) batching() bool { return c.hooks.batch }

// Close stops polling, delivers the queued events (up to libvwo's close timeout, 5 s by default) and
// frees the client (libvwo's extension: the official SDK has no Close). Calls after Close return
// their failure values and ErrClosed. Closing twice is allowed.
func (c *WingifyClient) Close() error {
	c.c.Close()
	return nil
}
