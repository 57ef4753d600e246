package enums

// ApiEnum names an API (the "api" of the integrations callback's properties).
type ApiEnum string

// The APIs.
const (
	ApiInit           ApiEnum = "init"
	ApiGetFlag        ApiEnum = "getFlag"
	ApiTrackEvent     ApiEnum = "trackEvent"
	ApiSetAttribute   ApiEnum = "setAttribute"
	ApiUpdateSettings ApiEnum = "updateSettings"
	ApiFlushEvents    ApiEnum = "flushEvents"
)

// GetValue returns the name.
func (a ApiEnum) GetValue() string { return string(a) }

// ApiMethodEnum is an HTTP method.
type ApiMethodEnum string

// The HTTP methods.
const (
	ApiMethodGet  ApiMethodEnum = "GET"
	ApiMethodPost ApiMethodEnum = "POST"
)

// GetValue returns the method.
func (a ApiMethodEnum) GetValue() string { return string(a) }

// CampaignTypeEnum is a rule's type.
type CampaignTypeEnum string

// The rule types.
const (
	CampaignTypeRollout     CampaignTypeEnum = "FLAG_ROLLOUT"
	CampaignTypeAB          CampaignTypeEnum = "FLAG_TESTING"
	CampaignTypePersonalize CampaignTypeEnum = "FLAG_PERSONALIZE"
)

// GetValue returns the type.
func (c CampaignTypeEnum) GetValue() string { return string(c) }

// DecisionEnum is a key of the integrations callback's properties.
type DecisionEnum string

// The keys of the integrations callback's properties.
const (
	DecisionFeatureName           DecisionEnum = "featureName"
	DecisionFeatureID             DecisionEnum = "featureId"
	DecisionFeatureKey            DecisionEnum = "featureKey"
	DecisionRolloutKey            DecisionEnum = "rolloutKey"
	DecisionRolloutVariationID    DecisionEnum = "rolloutVariationId"
	DecisionRolloutID             DecisionEnum = "rolloutId"
	DecisionExperimentKey         DecisionEnum = "experimentKey"
	DecisionExperimentVariationID DecisionEnum = "experimentVariationId"
	DecisionExperimentID          DecisionEnum = "experimentId"
	DecisionUserID                DecisionEnum = "userId"
	DecisionAPI                   DecisionEnum = "api"
)

// GetValue returns the key.
func (d DecisionEnum) GetValue() string { return string(d) }

// StorageEnum is a key of a storage record.
type StorageEnum string

// The keys of a storage record. libvwo's records have no featureId (see the binding's README).
const (
	StorageFeatureKey            StorageEnum = "featureKey"
	StorageUserID                StorageEnum = "userId"
	StorageFeatureID             StorageEnum = "featureId"
	StorageExperimentKey         StorageEnum = "experimentKey"
	StorageExperimentVariationID StorageEnum = "experimentVariationId"
	StorageRolloutKey            StorageEnum = "rolloutKey"
	StorageRolloutVariationID    StorageEnum = "rolloutVariationId"
	StorageRolloutID             StorageEnum = "rolloutId"
)

// GetValue returns the key.
func (s StorageEnum) GetValue() string { return string(s) }

// RetryConfigEnum is a key of the retryConfig option (accepted and ignored by libvwo).
type RetryConfigEnum string

// The retryConfig keys.
const (
	RetryConfigShouldRetry       RetryConfigEnum = "shouldRetry"
	RetryConfigMaxRetries        RetryConfigEnum = "maxRetries"
	RetryConfigInitialDelay      RetryConfigEnum = "initialDelay"
	RetryConfigBackoffMultiplier RetryConfigEnum = "backoffMultiplier"
)

// GetValue returns the key.
func (r RetryConfigEnum) GetValue() string { return string(r) }

// EventEnum is an event name.
type EventEnum string

// The event names.
const (
	VariationShown  EventEnum = "vwo_variationShown"
	SyncVisitorProp EventEnum = "vwo_syncVisitorProp"
	SDKInitEvent    EventEnum = "vwo_fmeSdkInit"
	SDKUsageStats   EventEnum = "vwo_sdkUsageStats"
	DebuggerEvent   EventEnum = "vwo_sdkDebug"
	FeTrackUsage    EventEnum = "vwo_feTrackUsage"
)

// GetValue returns the name.
func (e EventEnum) GetValue() string { return string(e) }
