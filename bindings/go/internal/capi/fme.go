package capi

/*
#include <stdlib.h>
#include "vwo.h"
#include "shim.h"
*/
import "C"

import (
	"bytes"
	"runtime"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"unsafe"
)

// FMEClient is a live vwo_fme_client. Every method may be called from many goroutines, also after
// Close (then it answers ErrClosed): the client is freed by Close, or by the last call still running
// when Close was called, never while a call is using it.
type FMEClient struct {
	ptr    *C.vwo_fme_client
	handle cgo.Handle
	// state: bit 0 is "closed", the rest counts calls in flight (in steps of 2).
	state    atomic.Int64
	freeOnce sync.Once
}

// ErrClosed is what every call on a closed FME client answers.
var ErrClosed = &Error{Status: NullArgument, Message: "the client is closed (Close was called)"}

// FMEInit creates an FME client from its options JSON. hooks may be nil (then set must be all false).
func FMEInit(options []byte, hooks Hooks, set HookSet) (*FMEClient, error) {
	k := GetCall()
	defer k.Release()
	o := k.add(string(options))
	flags := set.flags()
	c := &FMEClient{}
	if flags != 0 {
		c.handle = cgo.NewHandle(hooks)
	}
	var ptr *C.vwo_fme_client
	eb, el := k.errBuf()
	st := C.libvwo_go_fme_init(k.str(o), C.uintptr_t(c.handle), flags, &ptr, eb, el)
	if st != C.VWO_OK {
		if c.handle != 0 {
			c.handle.Delete()
		}
		return nil, k.fail(st)
	}
	c.ptr = ptr
	return c, nil
}

// enter counts a call in flight; false when the client is closed.
func (c *FMEClient) enter() bool {
	if c.state.Add(2)&1 != 0 {
		c.leave()
		return false
	}
	return true
}

// leave ends a call; the last one after Close frees the client.
func (c *FMEClient) leave() {
	if c.state.Add(-2) == 1 {
		c.free()
	}
}

func (c *FMEClient) free() {
	c.freeOnce.Do(func() {
		C.vwo_fme_client_free(c.ptr)
		c.ptr = nil
		if c.handle != 0 {
			c.handle.Delete()
		}
	})
}

// Close stops polling, delivers what is queued (up to the close timeout) and frees the client once no
// call is running. It reports false when the client was closed before.
func (c *FMEClient) Close() bool {
	c.state.Add(2)
	for {
		s := c.state.Load()
		if s&1 != 0 {
			c.leave()
			return false
		}
		if c.state.CompareAndSwap(s, s|1) {
			break
		}
	}
	C.vwo_fme_client_close(c.ptr)
	c.leave()
	return true
}

// Closed reports whether Close was called.
func (c *FMEClient) Closed() bool { return c.state.Load()&1 != 0 }

// FlagResult is one get_flag decision as the Go flag object holds it.
type FlagResult struct {
	Enabled   bool
	SessionID uint64
	// Variables is the JSON array of the variables (nil when the flag is disabled).
	Variables []byte
	UUID      string
	// Reason is the reason JSON object (only when asked for).
	Reason []byte
}

// GetFlag decides featureKey for the context JSON in one C call. reason asks for the reason JSON too.
func (c *FMEClient) GetFlag(featureKey string, context []byte, reason bool) (FlagResult, error) {
	if !c.enter() {
		return FlagResult{}, ErrClosed
	}
	defer c.leave()
	k := GetCall()
	defer k.Release()
	f := k.add(featureKey)
	x := k.add(string(context))
	want := C.int(0)
	if reason {
		want = 1
	}
	var enabled C.bool
	eb, el := k.errBuf()
	k.big = nil
	st := C.libvwo_go_fme_get_flag(c.ptr, k.str(f), k.str(x), want, &enabled, &k.u64,
		(*C.char)(unsafe.Pointer(&k.flag[0])), C.size_t(len(k.flag)), &k.flagLen, &k.big, eb, el)
	if st != C.VWO_OK {
		return FlagResult{}, k.fail(st)
	}
	var block []byte
	if k.big != nil {
		block = C.GoBytes(unsafe.Pointer(k.big), C.int(k.flagLen))
		C.free(unsafe.Pointer(k.big))
		k.big = nil
	} else {
		block = k.flag[:k.flagLen]
	}
	r := FlagResult{Enabled: bool(enabled), SessionID: uint64(k.u64)}
	part := func() []byte {
		i := bytes.IndexByte(block, 0)
		p := block[:i]
		block = block[i+1:]
		return p
	}
	if v := part(); len(v) > 0 {
		r.Variables = append([]byte(nil), v...)
	}
	r.UUID = string(part())
	if v := part(); len(v) > 0 {
		r.Reason = append([]byte(nil), v...)
	}
	return r, nil
}

// TrackEvent is track_event: whether the event was queued. properties may be nil.
func (c *FMEClient) TrackEvent(eventName string, context, properties []byte) (bool, error) {
	if !c.enter() {
		return false, ErrClosed
	}
	defer c.leave()
	k := GetCall()
	defer k.Release()
	e, x := k.add(eventName), k.add(string(context))
	var props *C.char
	if properties != nil {
		props = k.str(k.add(string(properties)))
	}
	eb, el := k.errBuf()
	st := C.libvwo_go_fme_track_event(c.ptr, k.str(e), k.str(x), props, &k.has, eb, el)
	if st != C.VWO_OK {
		return false, k.fail(st)
	}
	return bool(k.has), nil
}

// SetAttributes is set_attribute with a map of attributes (a JSON object).
func (c *FMEClient) SetAttributes(attributes, context []byte) error {
	if !c.enter() {
		return ErrClosed
	}
	defer c.leave()
	k := GetCall()
	defer k.Release()
	a, x := k.add(string(attributes)), k.add(string(context))
	eb, el := k.errBuf()
	st := C.libvwo_go_fme_set_attributes(c.ptr, k.str(a), k.str(x), eb, el)
	if st != C.VWO_OK {
		return k.fail(st)
	}
	return nil
}

// UpdateSettings swaps in settings (a JSON text), or fetches them when settings is nil.
func (c *FMEClient) UpdateSettings(settings []byte, webhook bool) error {
	if !c.enter() {
		return ErrClosed
	}
	defer c.leave()
	k := GetCall()
	defer k.Release()
	var s *C.char
	if settings != nil {
		s = k.str(k.add(string(settings)))
	}
	eb, el := k.errBuf()
	st := C.libvwo_go_fme_update_settings(c.ptr, s, C.bool(webhook), eb, el)
	if st != C.VWO_OK {
		return k.fail(st)
	}
	return nil
}

// Settings is the settings text in force.
func (c *FMEClient) Settings() ([]byte, error) {
	if !c.enter() {
		return nil, ErrClosed
	}
	defer c.leave()
	k := GetCall()
	defer k.Release()
	eb, el := k.errBuf()
	k.out = nil
	st := C.libvwo_go_fme_settings(c.ptr, &k.out, eb, el)
	if st != C.VWO_OK {
		return nil, k.fail(st)
	}
	return takeString(k.out), nil
}

// Flush sends every queued batch and waits up to timeoutMs (math.MaxUint64: the default); true when
// everything accepted before the call was delivered.
func (c *FMEClient) Flush(timeoutMs uint64) (bool, error) {
	if !c.enter() {
		return false, ErrClosed
	}
	defer c.leave()
	var delivered C.bool
	st := C.vwo_fme_client_flush(c.ptr, C.uint64_t(timeoutMs), &delivered, nil)
	runtime.KeepAlive(c)
	if st != C.VWO_OK {
		return false, &Error{Status: Status(st), Message: "flush failed"}
	}
	return bool(delivered), nil
}

// FMECounters reads the delivery counters of the FME client (zero after Close).
func (c *FMEClient) FMECounters() Counters {
	if !c.enter() {
		return Counters{}
	}
	defer c.leave()
	var dc C.vwo_delivery_counters
	C.vwo_fme_client_delivery_counters(c.ptr, &dc)
	return Counters{uint64(dc.accepted), uint64(dc.recovered), uint64(dc.delivered), uint64(dc.retried),
		uint64(dc.failed), uint64(dc.dropped), uint64(dc.spooled), uint64(dc.in_flight)}
}

// FMEGetUUID is the visitor UUID of (userID, accountID).
func FMEGetUUID(userID, accountID string) (string, error) {
	k := GetCall()
	defer k.Release()
	u, a := k.add(userID), k.add(accountID)
	eb, el := k.errBuf()
	k.out = nil
	st := C.libvwo_go_fme_get_uuid(k.str(u), k.str(a), &k.out, eb, el)
	if st != C.VWO_OK {
		return "", k.fail(st)
	}
	return string(takeString(k.out)), nil
}
