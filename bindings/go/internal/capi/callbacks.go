package capi

/*
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// The functions libvwo calls back (through shim.c's trampolines). Each finds the Hooks by the
// cgo.Handle passed as user_data. The Hooks implementation recovers its own panics: a Go panic must
// never unwind into libvwo's frames.

func hooksOf(h C.uintptr_t) Hooks {
	return cgo.Handle(h).Value().(Hooks)
}

// bytesOf views a C string as a byte slice without copying, valid only during the callback.
func bytesOf(p *C.char) []byte {
	if p == nil {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(C.strlen(p)))
}

//export libvwoGoStorageGet
func libvwoGoStorageGet(h C.uintptr_t, userID, campaignKey *C.char) *C.char {
	rec := hooksOf(h).StorageGet(C.GoString(userID), C.GoString(campaignKey))
	if rec == nil {
		return nil
	}
	// malloc'd; shim.c keeps it until the next storage_get on this thread, then frees it.
	p := (*C.char)(C.malloc(C.size_t(len(rec) + 1)))
	dst := unsafe.Slice((*byte)(unsafe.Pointer(p)), len(rec)+1)
	copy(dst, rec)
	dst[len(rec)] = 0
	return p
}

//export libvwoGoStorageSet
func libvwoGoStorageSet(h C.uintptr_t, record *C.char) C.int {
	if hooksOf(h).StorageSet(bytesOf(record)) {
		return 0
	}
	return 1
}

//export libvwoGoLog
func libvwoGoLog(h C.uintptr_t, level C.int, message *C.char) {
	hooksOf(h).Log(int(level), C.GoString(message))
}

//export libvwoGoIntegrations
func libvwoGoIntegrations(h C.uintptr_t, payload *C.char) {
	hooksOf(h).Integrations(bytesOf(payload))
}

//export libvwoGoFlush
func libvwoGoFlush(h C.uintptr_t, errMessage, events *C.char) {
	msg := ""
	if errMessage != nil {
		msg = C.GoString(errMessage)
		if msg == "" {
			msg = "batch not delivered"
		}
	}
	hooksOf(h).Flush(msg, bytesOf(events))
}
