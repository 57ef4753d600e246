// Package logger is vwo-go-sdk's default logger: levelled messages to standard error with the Go log
// package's date and time, filtered by a global level (SetLogLevel): ERROR always, FATAL from 1, INFO
// from 2, WARNING and DEBUG from 3.
package logger

import (
	"fmt"
	"io"
	"log"
	"os"
	"sync"
	"sync/atomic"
)

var level atomic.Int64

// SetLogLevel sets the global level (0 by default: errors only).
func SetLogLevel(lvl int) { level.Store(int64(lvl)) }

// LogLevel returns the global level.
func LogLevel() int { return int(level.Load()) }

// Logger writes levelled messages.
type Logger struct {
	mu  sync.Mutex
	out *log.Logger
}

// Init returns a logger writing to w and standard error (name, verbose and systemLog are accepted for
// vwo-go-sdk compatibility; system logging is not supported).
func Init(name string, verbose, systemLog bool, w io.Writer) *Logger {
	var out io.Writer = os.Stderr
	if w != nil && w != io.Discard {
		out = io.MultiWriter(w, os.Stderr)
	}
	return &Logger{out: log.New(out, "", log.LstdFlags)}
}

var defaultLogger = Init("libvwo-go", false, false, nil)

// Default returns the process-wide logger used when no custom logger is given.
func Default() *Logger { return defaultLogger }

// Close is a no-op (kept for vwo-go-sdk compatibility).
func Close() {}

// SetFlags sets the output flags of the default logger.
func SetFlags(flag int) { defaultLogger.out.SetFlags(flag) }

func (l *Logger) output(tag string, min int, msg string) {
	if LogLevel() < min {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.out.Output(3, tag+msg)
}

// Close is a no-op.
func (l *Logger) Close() {}

// Info logs at INFO (shown from level 2).
func (l *Logger) Info(v ...interface{}) { l.output("INFO : ", 2, fmt.Sprint(v...)) }

// Infof logs at INFO.
func (l *Logger) Infof(format string, v ...interface{}) {
	l.output("INFO : ", 2, fmt.Sprintf(format, v...))
}

// Warning logs at WARNING (shown from level 3).
func (l *Logger) Warning(v ...interface{}) { l.output("WARNING : ", 3, fmt.Sprint(v...)) }

// Warningf logs at WARNING.
func (l *Logger) Warningf(format string, v ...interface{}) {
	l.output("WARNING : ", 3, fmt.Sprintf(format, v...))
}

// Debug logs at DEBUG (shown from level 3).
func (l *Logger) Debug(v ...interface{}) { l.output("DEBUG : ", 3, fmt.Sprint(v...)) }

// Debugf logs at DEBUG.
func (l *Logger) Debugf(format string, v ...interface{}) {
	l.output("DEBUG : ", 3, fmt.Sprintf(format, v...))
}

// Error logs at ERROR (always shown).
func (l *Logger) Error(v ...interface{}) { l.output("ERROR : ", 0, fmt.Sprint(v...)) }

// Errorf logs at ERROR.
func (l *Logger) Errorf(format string, v ...interface{}) {
	l.output("ERROR : ", 0, fmt.Sprintf(format, v...))
}

// CustomLog makes the default logger usable where a custom logger is expected.
func (l *Logger) CustomLog(level, message string) {
	switch level {
	case "DEBUG":
		l.Debug(message)
	case "INFO":
		l.Info(message)
	case "WARN", "WARNING":
		l.Warning(message)
	default:
		l.Error(message)
	}
}

// Info logs at INFO with the default logger.
func Info(v ...interface{}) { defaultLogger.output("INFO : ", 2, fmt.Sprint(v...)) }

// Infof logs at INFO with the default logger.
func Infof(format string, v ...interface{}) {
	defaultLogger.output("INFO : ", 2, fmt.Sprintf(format, v...))
}

// Warning logs at WARNING with the default logger.
func Warning(v ...interface{}) { defaultLogger.output("WARNING : ", 3, fmt.Sprint(v...)) }

// Warningf logs at WARNING with the default logger.
func Warningf(format string, v ...interface{}) {
	defaultLogger.output("WARNING : ", 3, fmt.Sprintf(format, v...))
}

// Error logs at ERROR with the default logger.
func Error(v ...interface{}) { defaultLogger.output("ERROR : ", 0, fmt.Sprint(v...)) }

// Errorf logs at ERROR with the default logger.
func Errorf(format string, v ...interface{}) {
	defaultLogger.output("ERROR : ", 0, fmt.Sprintf(format, v...))
}
