// Package capi is the only package of the Go binding that uses cgo: it wraps libvwo's C ABI
// (include/vwo.h) in Go functions and reaches the binding's Go callbacks through cgo.Handle. It converts
// types and lifetimes only; every decision is libvwo's.
//
// The header vwo.h and the prebuilt archive libvwo_linux_amd64.a sit in this directory: a release's
// module zip carries them (make dist), and `make go-lib` puts a fresh build there in a checkout (both are
// git-ignored). Which library is linked is chosen by build tags, in link_static.go (the bundled archive,
// linux/amd64 with glibc), link_dynamic.go (-tags vwo_dynamic: a system libvwo through pkg-config) and
// unsupported.go (any other platform: a compile-time error naming both options).
package capi

/*
#cgo CFLAGS: -I${SRCDIR}
#include <stdlib.h>
#include <string.h>
#include "vwo.h"
#include "shim.h"
*/
import "C"

import (
	"runtime"
	"runtime/cgo"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Status is a vwo_status of the C ABI.
type Status int

// The statuses of include/vwo.h.
const (
	OK              Status = C.VWO_OK
	NullArgument    Status = C.VWO_NULL_ARGUMENT
	InvalidUTF8     Status = C.VWO_INVALID_UTF8
	InvalidJSON     Status = C.VWO_INVALID_JSON
	InvalidSettings Status = C.VWO_INVALID_SETTINGS
	InvalidOptions  Status = C.VWO_INVALID_OPTIONS
	InvalidArgument Status = C.VWO_INVALID_ARGUMENT
	Network         Status = C.VWO_NETWORK
	BufferTooSmall  Status = C.VWO_BUFFER_TOO_SMALL
	Panic           Status = C.VWO_PANIC
	Internal        Status = C.VWO_INTERNAL
)

// Log levels of the logger callback.
const (
	LevelDebug   = 10
	LevelInfo    = 20
	LevelWarning = 30
	LevelError   = 40
)

// Error is a failed C call: its status and libvwo's message.
type Error struct {
	Status  Status
	Message string
}

func (e *Error) Error() string { return e.Message }

// Version is libvwo's version.
func Version() string { return C.GoString(C.vwo_version()) }

// Hooks receives libvwo's callbacks. Implementations must be safe for concurrent use and must not
// panic (the binding recovers, but a hook is expected to handle its own failures).
type Hooks interface {
	// StorageGet returns the stored record as a JSON object text, or nil for "nothing stored".
	StorageGet(userID, campaignKey string) []byte
	// StorageSet saves a record (a JSON object text); false is logged by libvwo.
	StorageSet(record []byte) bool
	// Log receives one message at a level of 10/20/30/40.
	Log(level int, message string)
	// Integrations receives one decision's properties (a JSON object text).
	Integrations(payload []byte)
	// Flush receives one settled batch: errMessage is "" when it was delivered.
	Flush(errMessage string, events []byte)
}

// HookSet says which of the Hooks libvwo is given.
type HookSet struct {
	Storage, Logger, Integrations, Flush bool
}

// flags is the shim's bit set of the callbacks a client gets (LIBVWO_GO_*), for the v1 and FME clients alike.
func (set HookSet) flags() C.int {
	flags := C.int(0)
	if set.Storage {
		flags |= C.LIBVWO_GO_STORAGE
	}
	if set.Logger {
		flags |= C.LIBVWO_GO_LOGGER
	}
	if set.Integrations {
		flags |= C.LIBVWO_GO_INTEGRATIONS
	}
	if set.Flush {
		flags |= C.LIBVWO_GO_FLUSH
	}
	return flags
}

const errLen = 512

// Call is the per-call scratch memory passed to C: NUL-terminated strings, the variation name buffer,
// out-parameters and the error message. It holds no Go pointers in the memory C sees, so passing its
// fields' addresses follows the cgo pointer rules; C keeps none of it after the call.
type Call struct {
	// Opts is the per-call options JSON (without NUL) or empty for none; the binding appends to it.
	Opts []byte
	buf  []byte
	name [128]byte
	n    C.size_t
	has  C.bool
	out  *C.char
	err  [errLen]byte
	// FME get_flag: the texts of one decision (see libvwo_go_fme_get_flag).
	flag    [2048]byte
	flagLen C.size_t
	big     *C.char
	u64     C.uint64_t
}

var calls = sync.Pool{New: func() any { return &Call{Opts: make([]byte, 0, 512), buf: make([]byte, 0, 256)} }}

// GetCall takes a scratch from the pool; Release gives it back.
func GetCall() *Call {
	k := calls.Get().(*Call)
	k.Opts = k.Opts[:0]
	k.buf = k.buf[:0]
	return k
}

// Release returns the scratch to the pool (large buffers are dropped).
func (k *Call) Release() {
	if cap(k.Opts) > 64<<10 || cap(k.buf) > 64<<10 {
		return
	}
	calls.Put(k)
}

// add appends s and a NUL to the string buffer and returns its offset.
func (k *Call) add(s string) int {
	off := len(k.buf)
	k.buf = append(k.buf, s...)
	k.buf = append(k.buf, 0)
	return off
}

func (k *Call) str(off int) *C.char { return (*C.char)(unsafe.Pointer(&k.buf[off])) }

// opts returns the options argument: NULL when there are none.
func (k *Call) opts() *C.char {
	if len(k.Opts) == 0 {
		return nil
	}
	k.Opts = append(k.Opts, 0)
	return (*C.char)(unsafe.Pointer(&k.Opts[0]))
}

func (k *Call) errBuf() (*C.char, C.size_t) {
	return (*C.char)(unsafe.Pointer(&k.err[0])), errLen
}

func (k *Call) fail(st C.vwo_status) *Error {
	n := 0
	for n < errLen && k.err[n] != 0 {
		n++
	}
	return &Error{Status: Status(st), Message: string(k.err[:n])}
}

// HasNUL reports whether s cannot be passed as a C string.
func HasNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }

// takeString copies and frees a string libvwo returned.
func takeString(p *C.char) []byte {
	if p == nil {
		return nil
	}
	b := C.GoBytes(unsafe.Pointer(p), C.int(C.strlen(p)))
	C.vwo_string_free(p)
	return b
}

// Client is a live vwo_client. Its methods must not be called after Free.
type Client struct {
	ptr    *C.vwo_client
	handle cgo.Handle
	names  atomic.Pointer[map[string]string]
}

// Launch creates a client. hooks may be nil (then set must be all false).
func Launch(settings, options []byte, hooks Hooks, set HookSet) (*Client, error) {
	k := GetCall()
	defer k.Release()
	s := k.add(string(settings))
	var opt *C.char
	if options != nil {
		k.Opts = append(k.Opts, options...)
		opt = k.opts()
	}
	flags := set.flags()
	c := &Client{}
	if flags != 0 {
		c.handle = cgo.NewHandle(hooks)
	}
	var ptr *C.vwo_client
	eb, el := k.errBuf()
	st := C.libvwo_go_launch(k.str(s), opt, C.uintptr_t(c.handle), flags, &ptr, eb, el)
	if st != C.VWO_OK {
		if c.handle != 0 {
			c.handle.Delete()
		}
		return nil, k.fail(st)
	}
	c.ptr = ptr
	m := map[string]string{}
	c.names.Store(&m)
	return c, nil
}

// Close flushes and stops the event thread, waiting up to timeoutMs; decisions keep working.
func (c *Client) Close(timeoutMs uint64) (completed bool) {
	var report C.vwo_flush_report
	st := C.vwo_client_close(c.ptr, C.uint64_t(timeoutMs), &report)
	runtime.KeepAlive(c)
	return st == C.VWO_OK && bool(report.completed)
}

// Free destroys the client (it flushes first, up to the launch option delivery.close_timeout_ms). No
// other call on c may be running or follow.
func (c *Client) Free() {
	C.vwo_client_free(c.ptr)
	runtime.KeepAlive(c)
	c.ptr = nil
	if c.handle != 0 {
		c.handle.Delete()
		c.handle = 0
	}
}

// intern returns the variation name as a string, without allocating for names seen before.
func (c *Client) intern(b []byte) string {
	m := *c.names.Load()
	if s, ok := m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(m) < 4096 {
		next := make(map[string]string, len(m)+1)
		for k, v := range m {
			next[k] = v
		}
		next[s] = s
		c.names.Store(&next)
	}
	return s
}

// Decide is activate (activate true) or get_variation_name: the variation name, or "" and false.
// k.Opts holds the options JSON or is empty.
func (c *Client) Decide(k *Call, activate bool, campaignKey, userID string) (string, bool, error) {
	a, u := k.add(campaignKey), k.add(userID)
	opt := k.opts()
	act := C.int(0)
	if activate {
		act = 1
	}
	eb, el := k.errBuf()
	st := C.libvwo_go_decide(c.ptr, act, k.str(a), k.str(u), opt, (*C.char)(unsafe.Pointer(&k.name[0])),
		C.size_t(len(k.name)), &k.n, &k.has, eb, el)
	runtime.KeepAlive(c)
	switch st {
	case C.VWO_OK:
		if !bool(k.has) {
			return "", false, nil
		}
		return c.intern(k.name[:k.n]), true, nil
	case C.VWO_BUFFER_TOO_SMALL:
		// A long name: the decision was made (and its impression sent); read it again without an event.
		big := make([]byte, int(k.n)+1)
		st = C.libvwo_go_decide(c.ptr, 0, k.str(a), k.str(u), opt, (*C.char)(unsafe.Pointer(&big[0])),
			C.size_t(len(big)), &k.n, &k.has, eb, el)
		runtime.KeepAlive(c)
		if st != C.VWO_OK {
			return "", false, k.fail(st)
		}
		if !bool(k.has) {
			return "", false, nil
		}
		return string(big[:k.n]), true, nil
	default:
		return "", false, k.fail(st)
	}
}

// IsFeatureEnabled is is_feature_enabled.
func (c *Client) IsFeatureEnabled(k *Call, campaignKey, userID string) (bool, error) {
	a, u := k.add(campaignKey), k.add(userID)
	opt := k.opts()
	eb, el := k.errBuf()
	st := C.libvwo_go_is_feature_enabled(c.ptr, k.str(a), k.str(u), opt, &k.has, eb, el)
	runtime.KeepAlive(c)
	if st != C.VWO_OK {
		return false, k.fail(st)
	}
	return bool(k.has), nil
}

// FeatureVariable is get_feature_variable_value: the value's JSON text, or nil for none.
func (c *Client) FeatureVariable(k *Call, campaignKey, variableKey, userID string) ([]byte, error) {
	a, v, u := k.add(campaignKey), k.add(variableKey), k.add(userID)
	opt := k.opts()
	eb, el := k.errBuf()
	k.out = nil
	st := C.libvwo_go_variable(c.ptr, k.str(a), k.str(v), k.str(u), opt, &k.out, eb, el)
	runtime.KeepAlive(c)
	if st != C.VWO_OK {
		return nil, k.fail(st)
	}
	return takeString(k.out), nil
}

// Track is track (campaign a key, or "" with all false for every campaign having the goal) or
// track_list (list true: campaign is a JSON array of keys). The result is a JSON object or nil.
func (c *Client) Track(k *Call, list, all bool, campaign, userID, goal string) ([]byte, error) {
	a, u, g := k.add(campaign), k.add(userID), k.add(goal)
	opt := k.opts()
	eb, el := k.errBuf()
	ca := k.str(a)
	if all {
		ca = nil
	}
	l := C.int(0)
	if list {
		l = 1
	}
	k.out = nil
	st := C.libvwo_go_track(c.ptr, l, ca, k.str(u), k.str(g), opt, &k.out, eb, el)
	runtime.KeepAlive(c)
	if st != C.VWO_OK {
		return nil, k.fail(st)
	}
	return takeString(k.out), nil
}

// Push is push of one custom dimension.
func (c *Client) Push(k *Call, tagKey, tagValue, userID string) (bool, error) {
	a, b, u := k.add(tagKey), k.add(tagValue), k.add(userID)
	eb, el := k.errBuf()
	st := C.libvwo_go_push(c.ptr, k.str(a), k.str(b), k.str(u), &k.has, eb, el)
	runtime.KeepAlive(c)
	if st != C.VWO_OK {
		return false, k.fail(st)
	}
	return bool(k.has), nil
}

// FlushEvents sends every queued event and waits up to timeoutMs (math.MaxUint64: the launch
// option's default). It reports whether everything was settled.
func (c *Client) FlushEvents(timeoutMs uint64) bool {
	var report C.vwo_flush_report
	st := C.vwo_client_flush_events(c.ptr, C.uint64_t(timeoutMs), &report)
	runtime.KeepAlive(c)
	return st == C.VWO_OK && bool(report.completed)
}

// SetOptOut is set_opt_out.
func (c *Client) SetOptOut() bool {
	st := C.vwo_client_set_opt_out(c.ptr)
	runtime.KeepAlive(c)
	return st == C.VWO_OK
}

// Counters are the delivery counters of the event thread.
type Counters struct {
	Accepted, Recovered, Delivered, Retried, Failed, Dropped, Spooled, InFlight uint64
}

// DeliveryCounters reads the delivery counters.
func (c *Client) DeliveryCounters() Counters {
	var dc C.vwo_delivery_counters
	C.vwo_client_delivery_counters(c.ptr, &dc)
	runtime.KeepAlive(c)
	return Counters{uint64(dc.accepted), uint64(dc.recovered), uint64(dc.delivered), uint64(dc.retried),
		uint64(dc.failed), uint64(dc.dropped), uint64(dc.spooled), uint64(dc.in_flight)}
}

// StorageCounters are the counters of a built-in user storage (all zero for a Go UserStorage).
type StorageCounters struct {
	Reads, Hits, ReadErrors, Writes, Written, WriteErrors, WritesDropped, Pending, Evicted uint64
}

// StorageCounters reads the user-storage counters.
func (c *Client) StorageCounters() StorageCounters {
	var sc C.vwo_storage_counters
	C.vwo_client_storage_counters(c.ptr, &sc)
	runtime.KeepAlive(c)
	return StorageCounters{uint64(sc.reads), uint64(sc.hits), uint64(sc.read_errors), uint64(sc.writes),
		uint64(sc.written), uint64(sc.write_errors), uint64(sc.writes_dropped), uint64(sc.pending),
		uint64(sc.evicted)}
}

// UpdateSettings is get_and_update_settings_file: the settings now in force.
func (c *Client) UpdateSettings(webhook bool) ([]byte, error) {
	k := GetCall()
	defer k.Release()
	eb, el := k.errBuf()
	k.out = nil
	st := C.libvwo_go_update_settings(c.ptr, C.bool(webhook), &k.out, eb, el)
	runtime.KeepAlive(c)
	if st != C.VWO_OK {
		return nil, k.fail(st)
	}
	return takeString(k.out), nil
}

// ReplaceSettings swaps in new settings.
func (c *Client) ReplaceSettings(settings []byte) error {
	k := GetCall()
	defer k.Release()
	s := k.add(string(settings))
	eb, el := k.errBuf()
	st := C.libvwo_go_replace_settings(c.ptr, k.str(s), eb, el)
	runtime.KeepAlive(c)
	if st != C.VWO_OK {
		return k.fail(st)
	}
	return nil
}

// GetSettingsFile fetches an account's settings (baseURL "" for VWO's).
func GetSettingsFile(accountID, sdkKey, baseURL string) ([]byte, error) {
	k := GetCall()
	defer k.Release()
	a, s, b := k.add(accountID), k.add(sdkKey), k.add(baseURL)
	eb, el := k.errBuf()
	bp := k.str(b)
	if baseURL == "" {
		bp = nil
	}
	k.out = nil
	st := C.libvwo_go_get_settings_file(k.str(a), k.str(s), bp, &k.out, eb, el)
	if st != C.VWO_OK {
		return nil, k.fail(st)
	}
	return takeString(k.out), nil
}
