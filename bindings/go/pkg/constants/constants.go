// Package constants holds the exported constants of vwo-go-sdk's pkg/constants that user code refers
// to: goal types, campaign types, log level names, limits and endpoints.
package constants

// SDK identity and limits.
const (
	MaxTrafficPercent = 100
	MaxTrafficValue   = 10000
	StatusRunning     = "RUNNING"
	// SDKVersion is the version of this binding (libvwo's); events carry sdk=libvwo-go.
	SDKVersion = "0.1.0"
	SDKName    = "libvwo-go"
	Platform   = "server"
	SeedValue  = 1
)

// Campaign types.
const (
	CampaignTypeVisualAB       = "VISUAL_AB"
	CampaignTypeFeatureTest    = "FEATURE_TEST"
	CampaignTypeFeatureRollout = "FEATURE_ROLLOUT"
)

// Goal types of the goalTypeToTrack option and of WithGoalAttributes.
const (
	GoalTypeRevenue         = "REVENUE_TRACKING"
	GoalTypeCustom          = "CUSTOM_GOAL"
	GoalTypeAll             = "ALL"
	GoalIdentifierSeperator = "_vwo_"
)

// Push limits (bytes in vwo-go-sdk; libvwo counts characters, as vwo-python-sdk).
const (
	PushAPITagValueLength = 255
	PushAPITagKeyLength   = 255
)

// Segmentation DSL operators and operand types.
const (
	OperatorTypeAnd = "and"
	OperatorTypeOr  = "or"
	OperatorTypeNot = "not"

	OperandTypesCustomVariable = "custom_variable"
	OperandTypesUser           = "user"
)

// Endpoints.
const (
	HTTPSProtocol            = "https://"
	EndPointsBaseURL         = "dev.visualwebsiteoptimizer.com"
	EndPointsAccountSettings = "/server-side/settings"
	EndPointsTrackUser       = "/server-side/track-user"
	EndPointsTrackGoal       = "/server-side/track-goal"
	EndPointsPush            = "/server-side/push"

	BaseURL                = "dev.visualwebsiteoptimizer.com"
	AccountSettings        = "/server-side/settings"
	TrackUser              = "/server-side/track-user"
	TrackGoal              = "/server-side/track-goal"
	Push                   = "/server-side/push"
	WebHookAccountSettings = "/server-side/pull"
	BatchEndPoint          = "/server-side/batch-events"
)

// Variable types.
const (
	Boolean = "boolean"
	Double  = "double"
	Integer = "integer"
	String  = "string"
	JSON    = "json"
)

// Log level names passed to a custom logger's CustomLog.
const (
	Info    = "INFO"
	Debug   = "DEBUG"
	Error   = "ERROR"
	Warning = "WARN"
)

// Event types of batches.
const (
	EventsTrackUser = "EVENTS_TRACK_USER"
	EventsTrackGoal = "EVENTS_TRACK_GOAL"
	EventsPush      = "EVENTS_PUSH"
)

// Batch event queue limits and defaults.
const (
	BatchMinEventsPerRequest     = 1
	BatchMaxEventsPerRequest     = 5000
	BatchMinRequestInterval      = 1
	BatchDefaultEventsPerRequest = 100
	BatchDefaultRequestInterval  = 600
)

// CampaignDecisionType is the "event" of an integrations callback payload.
const CampaignDecisionType = "CAMPAIGN_DECISION"

// EventTypeMapping maps event types to the batch "eT" numbers.
var EventTypeMapping = map[string]int{
	EventsTrackUser: 1,
	EventsTrackGoal: 2,
	EventsPush:      3,
}
