// Package enums holds the logger's LogLevel, as github.com/wingify/wingify-fme-go-sdk/pkg/packages/logger/enums.
package enums

import "strings"

// LogLevel is a log level; a larger one is more severe.
type LogLevel int

// The levels.
const (
	LogLevelTrace LogLevel = iota
	LogLevelDebug
	LogLevelInfo
	LogLevelWarn
	LogLevelError
)

// String returns the level's name ("trace" … "error").
func (l LogLevel) String() string {
	switch l {
	case LogLevelTrace:
		return "trace"
	case LogLevelDebug:
		return "debug"
	case LogLevelInfo:
		return "info"
	case LogLevelWarn:
		return "warn"
	default:
		return "error"
	}
}

// GetLevel returns the numeric level for comparison.
func (l LogLevel) GetLevel() int { return int(l) }

// ParseLogLevel parses a level name, case-insensitively ("warning" too); anything else is error.
func ParseLogLevel(level string) LogLevel {
	switch strings.ToLower(level) {
	case "trace":
		return LogLevelTrace
	case "debug":
		return LogLevelDebug
	case "info":
		return LogLevelInfo
	case "warn", "warning":
		return LogLevelWarn
	default:
		return LogLevelError
	}
}
