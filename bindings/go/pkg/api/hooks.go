package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/libvwo/libvwo/bindings/go/pkg/constants"
	"github.com/libvwo/libvwo/bindings/go/pkg/logger"
	"github.com/libvwo/libvwo/bindings/go/pkg/schema"
)

// UserStorage is the user storage of vwo-go-sdk's README: Get returns the stored record (VariationName
// "" for none) and Set saves the variation a user got and the goals tracked, joined with
// constants.GoalIdentifierSeperator.
type UserStorage interface {
	Get(userID, campaignKey string) schema.UserData
	Set(userID, campaignKey, variationName, goalIdentifier string)
}

// CustomLogger is a custom logger: level is "DEBUG", "INFO", "WARN" or "ERROR".
type CustomLogger interface {
	CustomLog(level, message string)
}

// hooks implements the callbacks libvwo makes (internal/capi.Hooks). A panic in user code is
// recovered and logged: it never unwinds into libvwo.
type hooks struct {
	storage      UserStorage
	custom       CustomLogger
	integrations func(map[string]interface{})
	flush        func(error, []map[string]interface{})
}

func levelName(level int) string {
	switch {
	case level <= 10:
		return constants.Debug
	case level <= 20:
		return constants.Info
	case level <= 30:
		return constants.Warning
	default:
		return constants.Error
	}
}

// log writes one message to the custom logger, or to the default logger.
func (h *hooks) log(level int, message string) {
	if h != nil && h.custom != nil {
		if h.logCustom(level, message) {
			return
		}
	}
	d := logger.Default()
	switch levelName(level) {
	case constants.Debug:
		d.Debug(message)
	case constants.Info:
		d.Info(message)
	case constants.Warning:
		d.Warning(message)
	default:
		d.Error(message)
	}
}

func (h *hooks) logCustom(level int, message string) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			ok = false
		}
	}()
	h.custom.CustomLog(levelName(level), message)
	return true
}

func (h *hooks) errorf(format string, args ...interface{}) {
	h.log(40, fmt.Sprintf(format, args...))
}

func (h *hooks) recovered(what string) {
	if r := recover(); r != nil {
		h.errorf("libvwo-go: %s panicked: %v", what, r)
	}
}

// storageRecord is libvwo's storage record (vwo-python-sdk's dict).
type storageRecord struct {
	UserID          string `json:"userId"`
	CampaignKey     string `json:"campaignKey"`
	VariationName   string `json:"variationName"`
	GoalIdentifiers string `json:"goalIdentifiers,omitempty"`
}

func (h *hooks) StorageGet(userID, campaignKey string) (out []byte) {
	defer h.recovered("UserStorage.Get")
	d := h.storage.Get(userID, campaignKey)
	if d.VariationName == "" {
		return nil
	}
	rec := storageRecord{UserID: d.UserID, CampaignKey: d.CampaignKey, VariationName: d.VariationName,
		GoalIdentifiers: d.GoalIdentifier}
	// A storage that returns the variation only still means "this user, this campaign".
	if rec.UserID == "" {
		rec.UserID = userID
	}
	if rec.CampaignKey == "" {
		rec.CampaignKey = campaignKey
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return nil
	}
	return b
}

func (h *hooks) StorageSet(record []byte) (ok bool) {
	defer h.recovered("UserStorage.Set")
	var rec storageRecord
	if err := json.Unmarshal(record, &rec); err != nil {
		h.errorf("libvwo-go: cannot read a user storage record: %v", err)
		return false
	}
	h.storage.Set(rec.UserID, rec.CampaignKey, rec.VariationName, rec.GoalIdentifiers)
	return true
}

func (h *hooks) Log(level int, message string) { h.log(level, message) }

// goSources are vwo-go-sdk's names of the APIs in the integrations payload's "source".
var goSources = map[string]string{
	"activate":                   "Activate",
	"get_variation_name":         "GetVariationName",
	"track":                      "Track",
	"is_feature_enabled":         "IsFeatureEnabled",
	"get_feature_variable_value": "GetFeatureVariableValue",
}

func (h *hooks) Integrations(payload []byte) {
	defer h.recovered("the integrations callback")
	var p map[string]interface{}
	if err := json.Unmarshal(payload, &p); err != nil {
		return
	}
	h.integrations(integrationsMap(p))
}

// integrationsMap turns libvwo's payload (vwo-python-sdk's snake_case keys) into vwo-go-sdk's.
func integrationsMap(p map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(p))
	for k, v := range p {
		out[camel(k)] = v
	}
	if s, ok := out["source"].(string); ok {
		if g, ok := goSources[s]; ok {
			out["source"] = g
		}
	}
	if out["goalIdentifier"] == nil {
		out["goalIdentifier"] = ""
	}
	for _, k := range []string{"customVariables", "variationTargetingVariables"} {
		if m, ok := out[k].(map[string]interface{}); ok {
			out[k] = m
		} else {
			out[k] = map[string]interface{}(nil)
		}
	}
	for _, k := range []string{"campaignId", "variationId", "groupId"} {
		if f, ok := out[k].(float64); ok && f == float64(int(f)) {
			out[k] = int(f)
		}
	}
	return out
}

// camel turns snake_case into camelCase.
func camel(s string) string {
	if !strings.Contains(s, "_") {
		return s
	}
	parts := strings.Split(s, "_")
	var b strings.Builder
	b.WriteString(parts[0])
	for _, p := range parts[1:] {
		if p == "" {
			continue
		}
		b.WriteString(strings.ToUpper(p[:1]))
		b.WriteString(p[1:])
	}
	return b.String()
}

func (h *hooks) Flush(errMessage string, events []byte) {
	defer h.recovered("the batch flush callback")
	var batch []map[string]interface{}
	if err := json.Unmarshal(events, &batch); err != nil {
		batch = nil
	}
	var err error
	if errMessage != "" {
		err = errors.New(errMessage)
	}
	h.flush(err, batch)
}
