// Package constants holds the public constants of github.com/wingify/wingify-fme-go-sdk/pkg/constants
// a program may read. The values are the official SDK's, except where a comment says otherwise.
package constants

const (
	// Platform identifier.
	Platform = "server"
	// MaxTrafficPercent is the largest traffic percentage of a rule.
	MaxTrafficPercent = 100
	// MaxTrafficValue is the bucket range of a decision.
	MaxTrafficValue = 10000
	// StatusRunning is the status of a running campaign.
	StatusRunning = "RUNNING"
	// SeedValue is the murmur3 seed.
	SeedValue = 1
	// MaxEventsPerRequest is the largest batchEventData.eventsPerRequest.
	MaxEventsPerRequest = 5000
	// DefaultRequestTimeInterval is the default batchEventData.requestTimeInterval (seconds).
	DefaultRequestTimeInterval = 600
	// DefaultEventsPerRequest is the default batchEventData.eventsPerRequest.
	DefaultEventsPerRequest = 100
	// SDKVersion is the version of the official SDK whose API this package mirrors (libvwo's own
	// version is vwo.Version in the module's root package; events carry libvwo's).
	SDKVersion = "1.60.0"
	// SettingsEndpoint is the path of the settings fetch.
	SettingsEndpoint = "/server-side/v2-settings"
	// WebhookSettingsEndpoint is the path of the settings fetch a webhook asks for.
	WebhookSettingsEndpoint = "/server-side/v2-pull"
	// DefaultPollInterval is the settings polling period without pollInterval (milliseconds).
	DefaultPollInterval = 600000
	// WingifyMetaMegKey prefixes the storage key of a MEG group's winner.
	WingifyMetaMegKey = "_vwo_meta_meg_"
	// FME names the product.
	FME = "fme"
)

const (
	// SettingsTimeout is the settings fetch's timeout (milliseconds).
	SettingsTimeout = 50000
	// FsEnvironment is the visitor property carrying the SDK key.
	FsEnvironment = "vwo_fs_environment"
	// HTTPSProtocol and HTTPProtocol are the gateway's protocols.
	HTTPSProtocol = "https"
	HTTPProtocol  = "http"
	// RandomAlgo is the MEG group algorithm "random" (et 1).
	RandomAlgo = 1
	// VariationTargetingUserIDKey is the whitelisting variable libvwo sets to the user id, as the
	// reference does ("_vwoUserId"; the official Go SDK's is "_wingifyUserId").
	VariationTargetingUserIDKey = "_vwoUserId"
	// EndpointGetUserData is the gateway's user-agent and location lookup.
	EndpointGetUserData = "/get-user-details"
	// QueryParamUserAgent and QueryParamIPAddress are its query parameters.
	QueryParamUserAgent = "userAgent"
	QueryParamIPAddress = "ipAddress"
)
