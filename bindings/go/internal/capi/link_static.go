//go:build cgo && linux && amd64 && !vwo_dynamic

package capi

// The default link: libvwo_linux_amd64.a of this directory, statically (the binary needs no libvwo.so at
// run time). The archive is built for glibc 2.17 or newer; on musl (Alpine) it cannot link, so the
// preamble stops the build with the way out.

/*
#cgo LDFLAGS: ${SRCDIR}/libvwo_linux_amd64.a -lm -ldl -lpthread -lrt
#include <stdlib.h>
#if !defined(__GLIBC__)
#error "libvwo: the bundled libvwo_linux_amd64.a needs glibc; on musl (Alpine) build libvwo for it and use -tags vwo_dynamic (pkg-config vwo), see bindings/go/README.md"
#endif
*/
import "C"
