// Package enums holds the option, context, log-level, integration and batch-event keys of
// github.com/wingify/wingify-fme-go-sdk/pkg/enums, with the same names and values.
package enums

// OptionsEnum is an Init option key.
type OptionsEnum string

// The Init option keys.
const (
	OptionSDKKey               OptionsEnum = "sdkKey"
	OptionAccountID            OptionsEnum = "accountId"
	OptionStorage              OptionsEnum = "storage"
	OptionGatewayService       OptionsEnum = "gatewayService"
	OptionPollInterval         OptionsEnum = "pollInterval"
	OptionLogger               OptionsEnum = "logger"
	OptionIntegrations         OptionsEnum = "integrations"
	OptionSettings             OptionsEnum = "settings"
	OptionIsUsageStatsDisabled OptionsEnum = "isUsageStatsDisabled"
	OptionVWOMeta              OptionsEnum = "_vwo_meta"
	OptionRetryConfig          OptionsEnum = "retryConfig"
	OptionIsAliasingEnabled    OptionsEnum = "isAliasingEnabled"
	OptionBatchEventData       OptionsEnum = "batchEventData"
	OptionProxyURL             OptionsEnum = "proxyUrl"
	OptionHostProfile          OptionsEnum = "hostProfile"
)

// GetValue returns the key.
func (o OptionsEnum) GetValue() string { return string(o) }

// ContextEnum is a user context key.
type ContextEnum string

// The user context keys.
const (
	ContextID                          ContextEnum = "id"
	ContextUserAgent                   ContextEnum = "userAgent"
	ContextIPAddress                   ContextEnum = "ipAddress"
	ContextCustomVariables             ContextEnum = "customVariables"
	ContextVariationTargetingVariables ContextEnum = "variationTargetingVariables"
	ContextPostSegmentationVariables   ContextEnum = "postSegmentationVariables"
	ContextWingify                     ContextEnum = "_wingify"
	ContextSessionID                   ContextEnum = "sessionId"
	ContextUseIdForWeb                 ContextEnum = "useIdForWeb"
	ContextBucketingSeed               ContextEnum = "bucketingSeed"
	ContextPlatformVariables           ContextEnum = "platformVariables"
)

// GetValue returns the key.
func (c ContextEnum) GetValue() string { return string(c) }

// LogLevelEnum is a log level name.
type LogLevelEnum string

// The log level names.
const (
	LogLevelEnumTrace LogLevelEnum = "trace"
	LogLevelEnumDebug LogLevelEnum = "debug"
	LogLevelEnumInfo  LogLevelEnum = "info"
	LogLevelEnumWarn  LogLevelEnum = "warn"
	LogLevelEnumError LogLevelEnum = "error"
)

// GetValue returns the name.
func (l LogLevelEnum) GetValue() string { return string(l) }

// IntegrationEnum is a key of the integrations option.
type IntegrationEnum string

// The integrations option's key: its value is a func(map[string]interface{}).
const (
	IntegrationCallback IntegrationEnum = "Callback"
)

// GetValue returns the key.
func (i IntegrationEnum) GetValue() string { return string(i) }

// BatchEventEnum is a key of the batchEventData option.
type BatchEventEnum string

// The batchEventData keys.
const (
	BatchEventEventsPerRequest    BatchEventEnum = "eventsPerRequest"
	BatchEventRequestTimeInterval BatchEventEnum = "requestTimeInterval"
	BatchEventFlushCallback       BatchEventEnum = "flushCallback"
)

// GetValue returns the key.
func (b BatchEventEnum) GetValue() string { return string(b) }
