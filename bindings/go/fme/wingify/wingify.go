// Package wingify is libvwo's drop-in for github.com/wingify/wingify-fme-go-sdk (VWO FME, Feature
// Management and Experimentation): Init, GetUUID and WingifyClient with the official SDK's names,
// signatures, option keys, error values and return values. Every decision, storage record and event
// is libvwo's (vwo-fme-python-sdk 1.65.0's, the reference); this package converts Go values to the
// C ABI (include/vwo.h, vwo_fme_*) and back. bindings/go/README.md ("FME") lists every behavioural
// difference from the official SDK.
package wingify

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/libvwo/libvwo/bindings/go/fme/wingify/pkg/enums"
	lenums "github.com/libvwo/libvwo/bindings/go/fme/wingify/pkg/packages/logger/enums"
	"github.com/libvwo/libvwo/bindings/go/fme/wingify/pkg/packages/storage"
	"github.com/libvwo/libvwo/bindings/go/internal/capi"
)

// OptionLibvwo is libvwo's own Init option (no official SDK has it): a map merged into the options
// JSON of vwo_fme_client_init, for what the official options cannot say — e.g.
// {"delivery": {"timeout_ms": 2000, "spool_dir": "/var/lib/app/vwo"}}, "pollInterval" 0 (no polling) as
// {"poll_interval": 0}, or {"is_development_mode": true}. Keys it gives win over those derived from
// the official options.
const OptionLibvwo = "libvwo"

// sdkName is the `sn` of the events this binding sends.
const sdkName = "libvwo-fme-go"

// brandOf is the brand name of the Go SDK's messages.
func brandOf(hostProfile string) string {
	if isVWO(hostProfile) {
		return "VWO"
	}
	return "Wingify"
}

func isVWO(hostProfile string) bool {
	return strings.ToLower(strings.TrimSpace(hostProfile)) == "vwo"
}

// accountID reads the accountId option as the Go SDK does: an int, or a string of digits.
func accountID(v interface{}) (int64, bool) {
	switch a := v.(type) {
	case int:
		return int64(a), a != 0
	case int64:
		return a, a != 0
	case int32:
		return int64(a), a != 0
	case uint:
		return int64(a), a != 0
	case string:
		n, err := strconv.Atoi(a)
		return int64(n), err == nil && n != 0
	}
	return 0, false
}

// Init creates a client from the official SDK's options map (see enums.Option*): sdkKey and
// accountId are required; the settings are fetched from VWO (blocking) unless "settings" gives them
// as a JSON string. Init never panics.
func Init(options map[string]interface{}) (clientInstance *WingifyClient, err error) {
	defer func() {
		if r := recover(); r != nil {
			clientInstance, err = nil, fmt.Errorf("failed to initialize Wingify FME client: %v", r)
		}
	}()
	hostProfile, _ := options[enums.OptionHostProfile.GetValue()].(string)
	if sk, _ := options[enums.OptionSDKKey.GetValue()].(string); sk == "" {
		return nil, errors.New("Please provide the sdkKey in the options and should be a of type string")
	}
	acct, ok := accountID(options[enums.OptionAccountID.GetValue()])
	if !ok {
		return nil, fmt.Errorf("Please provide %s account ID in the options and should be a of type string|number",
			brandOf(hostProfile))
	}
	if on, _ := options[enums.OptionIsAliasingEnabled.GetValue()].(bool); on {
		return nil, errors.New("isAliasingEnabled: user aliasing is not supported by libvwo")
	}
	o, h, set, err := initOptions(options, acct, hostProfile)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("options: %v", err)
	}
	var hk capi.Hooks
	if set != (capi.HookSet{}) {
		hk = h
	}
	c, err := capi.FMEInit(raw, hk, set)
	if err != nil {
		return nil, initError(err)
	}
	client := &WingifyClient{c: c, hooks: h}
	runtime.SetFinalizer(client, func(w *WingifyClient) { w.c.Close() })
	return client, nil
}

// initError words a failed vwo_fme_client_init as the Go SDK would.
func initError(err error) error {
	var ce *capi.Error
	if errors.As(err, &ce) {
		switch ce.Status {
		case capi.InvalidJSON, capi.InvalidSettings:
			return fmt.Errorf("failed to parse provided settings: %s", ce.Message)
		case capi.Network:
			return fmt.Errorf("failed to fetch settings: %s", ce.Message)
		}
		return errors.New(ce.Message)
	}
	return err
}

// initOptions translates the official options into vwo_fme_client_init's JSON and the Go hooks.
func initOptions(options map[string]interface{}, acct int64, hostProfile string) (map[string]interface{},
	*hooks, capi.HookSet, error) {
	var set capi.HookSet
	h := &hooks{}
	entry := "wingify"
	if isVWO(hostProfile) {
		entry = "vwo"
	}
	o := map[string]interface{}{
		"sdk_key":          options[enums.OptionSDKKey.GetValue()],
		"account_id":       acct,
		"entry":            entry,
		"sdk_name":         sdkName,
		"language_version": runtime.Version(),
	}
	if s, ok := options[enums.OptionSettings.GetValue()].(string); ok && s != "" {
		o["settings"] = s
	}
	if p, ok := options[enums.OptionPollInterval.GetValue()].(int); ok && p >= 1000 {
		o["poll_interval"] = p
	}
	if g, ok := options[enums.OptionGatewayService.GetValue()].(map[string]interface{}); ok && len(g) > 0 {
		o["gateway_service"] = g
	}
	if p, ok := options[enums.OptionProxyURL.GetValue()].(string); ok && p != "" {
		o["proxy_url"] = p
	}
	if u, ok := options[enums.OptionIsUsageStatsDisabled.GetValue()].(bool); ok {
		o["is_usage_stats_disabled"] = u
	}
	if l, ok := options[enums.OptionLogger.GetValue()].(map[string]interface{}); ok {
		// libvwo's log_level is the lowest level any transport wants (each transport filters its own).
		level, given := lenums.LogLevelError, false
		if s, ok := l["level"].(string); ok && s != "" {
			level, given = lenums.ParseLogLevel(s), true
		}
		h.transports = transportsOf(l, level)
		min := level
		for _, t := range h.transports {
			if t.level < min {
				min, given = t.level, true
			}
		}
		if given {
			o["log_level"] = strings.ToUpper(min.String())
		}
		set.Logger = len(h.transports) > 0
	}
	if st, ok := options[enums.OptionStorage.GetValue()].(storage.Connector); ok && st != nil {
		h.storage = st
		set.Storage = true
	}
	if in, ok := options[enums.OptionIntegrations.GetValue()].(map[string]interface{}); ok {
		if cb, ok := in[enums.IntegrationCallback.GetValue()].(func(map[string]interface{})); ok && cb != nil {
			h.integrations = cb
			set.Integrations = true
		}
	}
	if b, ok := options[enums.OptionBatchEventData.GetValue()].(map[string]interface{}); ok {
		bd := map[string]interface{}{}
		if n, ok := b[enums.BatchEventEventsPerRequest.GetValue()].(int); ok && n > 0 {
			bd["events_per_request"] = n
		}
		if n, ok := b[enums.BatchEventRequestTimeInterval.GetValue()].(int); ok && n > 0 {
			bd["request_time_interval"] = n
		}
		o["batch_event_data"] = bd
		h.batch = true
		if cb, ok := b[enums.BatchEventFlushCallback.GetValue()].(func(error, string)); ok && cb != nil {
			h.flush = cb
			set.Flush = true
		}
	}
	if x, ok := options[OptionLibvwo].(map[string]interface{}); ok {
		for k, v := range x {
			o[k] = v
		}
	}
	return o, h, set, nil
}

// GetUUID is the visitor UUID of (userID, accountID): 32 upper-case hex digits.
func GetUUID(userID string, accountID string) (uuid string, err error) {
	if userID == "" || accountID == "" {
		return "", errors.New("userID and accountID are required")
	}
	return capi.FMEGetUUID(userID, accountID)
}
