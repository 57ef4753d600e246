package enums

// LogManagerConfigEnum is a key of the logger option.
type LogManagerConfigEnum string

// The logger option's keys. libvwo reads "level", "transport" and "transports"; the others are
// accepted and ignored (see the binding's README).
const (
	LogManagerConfigName                LogManagerConfigEnum = "name"
	LogManagerConfigLevel               LogManagerConfigEnum = "level"
	LogManagerConfigPrefix              LogManagerConfigEnum = "prefix"
	LogManagerConfigDateTimeFormat      LogManagerConfigEnum = "dateTimeFormat"
	LogManagerConfigIsAnsiColorEnabled  LogManagerConfigEnum = "isAnsiColorEnabled"
	LogManagerConfigIsAlwaysNewInstance LogManagerConfigEnum = "isAlwaysNewInstance"
	LogManagerConfigTransports          LogManagerConfigEnum = "transports"
	LogManagerConfigTransport           LogManagerConfigEnum = "transport"
	LogManagerConfigRequestID           LogManagerConfigEnum = "requestId"
)

// GetValue returns the key.
func (l LogManagerConfigEnum) GetValue() string { return string(l) }

// LogManagerTransportEnum is a key of a transport map: its function for one level.
type LogManagerTransportEnum string

// The per-level keys of a transport map.
const (
	LogManagerTransportTrace LogManagerTransportEnum = "trace"
	LogManagerTransportDebug LogManagerTransportEnum = "debug"
	LogManagerTransportInfo  LogManagerTransportEnum = "info"
	LogManagerTransportWarn  LogManagerTransportEnum = "warn"
	LogManagerTransportError LogManagerTransportEnum = "error"
)

// GetValue returns the key.
func (l LogManagerTransportEnum) GetValue() string { return string(l) }
