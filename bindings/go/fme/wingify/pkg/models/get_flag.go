// Package models holds the result and option types of github.com/wingify/wingify-fme-go-sdk/pkg/models
// with the same names, fields and methods.
package models

import "time"

// GetFlagResponse is what GetFlag returns.
type GetFlagResponse interface {
	IsEnabled() bool
	GetVariable(key string, defaultValue interface{}) interface{}
	GetVariables() []map[string]interface{}
	GetUUID() string
	GetSessionId() int64
}

// GetFlag is the result of a feature flag decision.
type GetFlag struct {
	Enabled   bool        `json:"isEnabled"`
	Variables []*Variable `json:"variables,omitempty"`
	// Reason is libvwo's decision reason (ROLLOUT, EXPERIMENT, FEATURE_NOT_FOUND, …; see the
	// binding's README), empty when the call failed before a decision.
	Reason    string `json:"reason,omitempty"`
	UUID      string `json:"uuid,omitempty"`
	SessionId int64  `json:"sessionId,omitempty"`
}

// NewGetFlag creates a GetFlag (sessionId 0: now, in seconds).
func NewGetFlag(isEnabled bool, variables []*Variable, uuid string, sessionId int64) *GetFlag {
	if variables == nil {
		variables = make([]*Variable, 0)
	}
	if sessionId == 0 {
		sessionId = time.Now().Unix()
	}
	return &GetFlag{Enabled: isEnabled, Variables: variables, UUID: uuid, SessionId: sessionId}
}

// IsEnabled returns whether the flag is enabled.
func (gf *GetFlag) IsEnabled() bool { return gf.Enabled }

// GetUUID returns the visitor UUID.
func (gf *GetFlag) GetUUID() string { return gf.UUID }

// GetSessionId returns the session id.
func (gf *GetFlag) GetSessionId() int64 { return gf.SessionId }

// GetVariablesValue returns the variables.
func (gf *GetFlag) GetVariablesValue() []*Variable { return gf.Variables }

// GetVariable returns the value of the first variable named key (as decoded from the settings JSON:
// bool, float64, string, map[string]interface{} or []interface{}), else defaultValue.
func (gf *GetFlag) GetVariable(key string, defaultValue interface{}) interface{} {
	for _, v := range gf.Variables {
		if v.GetKey() == key {
			return v.GetValue()
		}
	}
	return defaultValue
}

// GetVariables returns the variables as maps with keys "key", "value", "type" and "id".
func (gf *GetFlag) GetVariables() []map[string]interface{} {
	out := make([]map[string]interface{}, 0, len(gf.Variables))
	for _, v := range gf.Variables {
		out = append(out, map[string]interface{}{"key": v.GetKey(), "value": v.GetValue(), "type": v.GetType(),
			"id": v.GetID()})
	}
	return out
}
