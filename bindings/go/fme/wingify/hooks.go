package wingify

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"

	lenums "github.com/libvwo/libvwo/bindings/go/fme/wingify/pkg/packages/logger/enums"
	"github.com/libvwo/libvwo/bindings/go/fme/wingify/pkg/packages/storage"
	"github.com/libvwo/libvwo/bindings/go/internal/capi"
)

// transport is one entry of the logger option's "transport"/"transports".
type transport struct {
	level lenums.LogLevel
	log   func(level lenums.LogLevel, message string)
}

// hooks implements the callbacks libvwo makes (capi.Hooks). A panic in user code is recovered and
// logged: it never unwinds into libvwo's frames.
type hooks struct {
	storage      storage.Connector
	transports   []transport
	integrations func(map[string]interface{})
	flush        func(err error, events string)
	// batch: Init had batchEventData (SDK batching on).
	batch bool
}

// levelOf maps libvwo's level numbers (10 DEBUG, 20 INFO, 30 WARNING, 40 ERROR) to the Go SDK's.
func levelOf(n int) lenums.LogLevel {
	switch {
	case n <= 10:
		return lenums.LogLevelDebug
	case n <= 20:
		return lenums.LogLevelInfo
	case n <= 30:
		return lenums.LogLevelWarn
	default:
		return lenums.LogLevelError
	}
}

func (h *hooks) Log(level int, message string) {
	l := levelOf(level)
	if len(h.transports) == 0 {
		fmt.Fprintf(os.Stderr, "[%s]: %s\n", strings.ToUpper(l.String()), message)
		return
	}
	for _, t := range h.transports {
		if l.GetLevel() >= t.level.GetLevel() {
			h.logTo(t, l, message)
		}
	}
}

// logTo calls one transport; its panic is dropped (there is nowhere left to log it).
func (h *hooks) logTo(t transport, l lenums.LogLevel, message string) {
	defer func() { _ = recover() }()
	t.log(l, message)
}

func (h *hooks) errorf(format string, args ...interface{}) {
	h.Log(40, fmt.Sprintf(format, args...))
}

func (h *hooks) recovered(what string) {
	if r := recover(); r != nil {
		h.errorf("libvwo-go: %s panicked: %v", what, r)
	}
}

func (h *hooks) StorageGet(userID, featureKey string) (out []byte) {
	defer h.recovered("storage Connector.Get")
	v, err := h.storage.Get(featureKey, userID)
	if err != nil {
		h.errorf("Error reading data from storage: %v", err)
		return nil
	}
	switch r := v.(type) {
	case nil:
		return nil
	case string:
		return []byte(r)
	case []byte:
		return r
	case map[string]interface{}:
		if r == nil {
			return nil
		}
	}
	if rv := reflect.ValueOf(v); (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Map) && rv.IsNil() {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		h.errorf("Error reading data from storage: the record is not JSON: %v", err)
		return nil
	}
	return b
}

func (h *hooks) StorageSet(record []byte) (ok bool) {
	defer h.recovered("storage Connector.Set")
	var m map[string]interface{}
	if err := json.Unmarshal(record, &m); err != nil {
		return false
	}
	if err := h.storage.Set(m); err != nil {
		h.errorf("Error storing data in storage: %v", err)
		return false
	}
	return true
}

func (h *hooks) Integrations(payload []byte) {
	defer h.recovered("integrations Callback")
	var m map[string]interface{}
	if err := json.Unmarshal(payload, &m); err != nil {
		return
	}
	h.integrations(m)
}

func (h *hooks) Flush(errMessage string, events []byte) {
	defer h.recovered("batchEventData flushCallback")
	var err error
	if errMessage != "" {
		err = errors.New(errMessage)
	}
	h.flush(err, string(events))
}

var _ capi.Hooks = (*hooks)(nil)

// transportsOf reads the logger option's "transport" / "transports" (see package logger).
func transportsOf(logger map[string]interface{}, level lenums.LogLevel) []transport {
	var list []map[string]interface{}
	switch ts := logger["transports"].(type) {
	case []map[string]interface{}:
		list = ts
	case []interface{}:
		for _, t := range ts {
			if m, ok := t.(map[string]interface{}); ok {
				list = append(list, m)
			}
		}
	}
	if len(list) == 0 {
		if t, ok := logger["transport"].(map[string]interface{}); ok && len(t) > 0 {
			list = append(list, t)
		}
	}
	var out []transport
	for _, m := range list {
		t := transport{level: level}
		if l, ok := m["level"].(string); ok && l != "" {
			t.level = lenums.ParseLogLevel(l)
		}
		t.log = transportFunc(m)
		if t.log != nil {
			out = append(out, t)
		}
	}
	return out
}

// logTransport is the logger package's LogTransport (declared again here to keep the import graph
// one-way: pkg/packages/logger imports nothing of this package).
type logTransport interface {
	Log(level lenums.LogLevel, message string)
}

func transportFunc(m map[string]interface{}) func(lenums.LogLevel, string) {
	switch f := m["log"].(type) {
	case func(string, string):
		return func(l lenums.LogLevel, msg string) { f(l.String(), msg) }
	case logTransport:
		return f.Log
	case nil:
	default:
		if rv := reflect.ValueOf(f); rv.Kind() == reflect.Func && rv.Type().NumIn() == 2 &&
			rv.Type().In(0).Kind() == reflect.String && rv.Type().In(1).Kind() == reflect.String {
			return func(l lenums.LogLevel, msg string) {
				rv.Call([]reflect.Value{reflect.ValueOf(l.String()).Convert(rv.Type().In(0)),
					reflect.ValueOf(msg).Convert(rv.Type().In(1))})
			}
		}
	}
	per := map[lenums.LogLevel]func(string){}
	for _, l := range []lenums.LogLevel{lenums.LogLevelTrace, lenums.LogLevelDebug, lenums.LogLevelInfo,
		lenums.LogLevelWarn, lenums.LogLevelError} {
		if f, ok := m[l.String()].(func(string)); ok {
			per[l] = f
		}
	}
	if len(per) == 0 {
		return nil
	}
	return func(l lenums.LogLevel, msg string) {
		if f := per[l]; f != nil {
			f(msg)
		}
	}
}
