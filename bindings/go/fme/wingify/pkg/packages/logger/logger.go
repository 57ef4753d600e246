// Package logger holds the transport interface of github.com/wingify/wingify-fme-go-sdk/pkg/packages/logger.
//
// A transport is given in the Init option "logger" as "transport" (one map) or "transports" (a
// []map[string]interface{}); each map has an optional "level" (string) and either "log" (a
// func(level string, message string) or a LogTransport) or per-level functions "trace", "debug",
// "info", "warn", "error" (func(message string)).
package logger

import "github.com/libvwo/libvwo/bindings/go/fme/wingify/pkg/packages/logger/enums"

// LogTransport receives log messages.
type LogTransport interface {
	Log(level enums.LogLevel, message string)
}

// Logger is a logger with one method per level.
type Logger interface {
	Trace(message string)
	Debug(message string)
	Info(message string)
	Warn(message string)
	Error(message string)
}
