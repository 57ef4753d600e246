// Package schema holds the data types of vwo-go-sdk's pkg/schema: the settings file and its parts, the
// user storage record, per-call options and track results.
//
// Unlike vwo-go-sdk's, the settings types keep every JSON key they do not model (groups, isNB,
// isEventArchEnabled, campaign names, goal flags, …): unmarshalling a settings file into a SettingsFile
// and passing it to vwo.Launch loses nothing libvwo needs, and changes made to the exported fields are
// honoured.
package schema

import (
	"encoding/json"
)

// VwoInstance mirrors vwo-go-sdk's instance fields (the type behind vwo.VWOInstance). The working
// instance type is api.VWOInstance.
type VwoInstance struct {
	SettingsFile             SettingsFile
	UserStorage              interface{}
	Logger                   interface{}
	IsDevelopmentMode        bool
	UserID                   string
	Campaign                 Campaign
	API                      string
	GoalTypeToTrack          interface{}
	ShouldTrackReturningUser interface{}
}

// SettingsFile is an account's settings. Keys not modelled here are kept and sent to libvwo as they
// came.
type SettingsFile struct {
	SDKKey           string     `json:"sdkKey"`
	Campaigns        []Campaign `json:"campaigns"`
	AccountID        int        `json:"accountId"`
	CollectionPrefix string     `json:"collectionPrefix,omitempty"`

	kept
}

// Campaign is one campaign of the settings file.
type Campaign struct {
	ID                int                    `json:"id"`
	Segments          map[string]interface{} `json:"segments"`
	Status            string                 `json:"status"`
	PercentTraffic    int                    `json:"percentTraffic"`
	Goals             []Goal                 `json:"goals"`
	Variations        []Variation            `json:"variations"`
	Variables         []Variable             `json:"variables"`
	IsForcedVariation bool                   `json:"isForcedVariationEnabled"`
	Key               string                 `json:"key"`
	Type              string                 `json:"type"`

	kept
}

// Goal is a campaign goal.
type Goal struct {
	Identifier string `json:"identifier"`
	ID         int    `json:"id"`
	Type       string `json:"type"`

	kept
}

// Variation is a campaign variation. StartVariationAllocation and EndVariationAllocation exist for
// vwo-go-sdk compatibility: libvwo computes the ranges itself and never reads them.
type Variation struct {
	ID       int                    `json:"id"`
	Name     string                 `json:"name"`
	Changes  interface{}            `json:"changes"`
	Weight   float64                `json:"weight"`
	Segments map[string]interface{} `json:"segments"`

	Variables        []Variable `json:"variables"`
	IsFeatureEnabled bool       `json:"isFeatureEnabled"`

	StartVariationAllocation int `json:"-"`
	EndVariationAllocation   int `json:"-"`

	kept
}

// Variable is a feature variable.
type Variable struct {
	Value interface{} `json:"value"`
	Type  string      `json:"type"`
	Key   string      `json:"key"`
	ID    int         `json:"id"`

	kept
}

// Options are vwo-go-sdk's parsed per-call options. The APIs take a map[string]interface{} with the
// keys of the json tags (and "revenueValue", "goalTypeToTrack", "shouldTrackReturningUser").
type Options struct {
	CustomVariables             map[string]interface{} `json:"customVariables"`
	VariationTargetingVariables map[string]interface{} `json:"variationTargetingVariables"`
	RevenueValue                interface{}
	GoalTypeToTrack             interface{}
	ShouldTrackReturningUser    interface{}
}

// UserData is the user storage record: the variation a user got in a campaign and the goals tracked
// (joined with constants.GoalIdentifierSeperator). VariationName "" means "nothing stored".
type UserData struct {
	UserID         string
	CampaignKey    string
	VariationName  string
	GoalIdentifier string
}

// VariationAllocationRange is a variation's bucket range.
type VariationAllocationRange struct {
	StartRange int
	EndRange   int
}

// TrackResult is Track's result for one campaign.
type TrackResult struct {
	CampaignKey string
	TrackValue  bool
}

// --------------------------------------------------------------------------------------- JSON

// The aliases have the same fields without the methods, for the standard encoder.
type (
	settingsAlias  SettingsFile
	campaignAlias  Campaign
	goalAlias      Goal
	variationAlias Variation
	variableAlias  Variable
)

// UnmarshalJSON reads the modelled keys and keeps the others.
func (s *SettingsFile) UnmarshalJSON(data []byte) error {
	return unmarshalKeeping(data, (*settingsAlias)(s), &s.kept)
}

// MarshalJSON writes the modelled keys and the kept ones.
func (s SettingsFile) MarshalJSON() ([]byte, error) {
	return marshalKeeping(settingsAlias(s), &s.kept)
}

// UnmarshalJSON reads the modelled keys and keeps the others.
func (c *Campaign) UnmarshalJSON(data []byte) error {
	return unmarshalKeeping(data, (*campaignAlias)(c), &c.kept)
}

// MarshalJSON writes the modelled keys and the kept ones.
func (c Campaign) MarshalJSON() ([]byte, error) { return marshalKeeping(campaignAlias(c), &c.kept) }

// UnmarshalJSON reads the modelled keys and keeps the others.
func (g *Goal) UnmarshalJSON(data []byte) error {
	return unmarshalKeeping(data, (*goalAlias)(g), &g.kept)
}

// MarshalJSON writes the modelled keys and the kept ones.
func (g Goal) MarshalJSON() ([]byte, error) { return marshalKeeping(goalAlias(g), &g.kept) }

// UnmarshalJSON reads the modelled keys and keeps the others.
func (v *Variation) UnmarshalJSON(data []byte) error {
	return unmarshalKeeping(data, (*variationAlias)(v), &v.kept)
}

// MarshalJSON writes the modelled keys and the kept ones.
func (v Variation) MarshalJSON() ([]byte, error) { return marshalKeeping(variationAlias(v), &v.kept) }

// UnmarshalJSON reads the modelled keys and keeps the others.
func (v *Variable) UnmarshalJSON(data []byte) error {
	return unmarshalKeeping(data, (*variableAlias)(v), &v.kept)
}

// MarshalJSON writes the modelled keys and the kept ones.
func (v Variable) MarshalJSON() ([]byte, error) { return marshalKeeping(variableAlias(v), &v.kept) }

// Extra returns the settings file's keys that SettingsFile does not model, as raw JSON (read-only).
func (s *SettingsFile) Extra() map[string]json.RawMessage { return s.kept.extra }
