//go:build cgo && vwo_dynamic

package capi

// -tags vwo_dynamic: link the libvwo installed on the system (the C tarball, or `make install`), found
// through `pkg-config vwo` (set PKG_CONFIG_PATH to its lib/pkgconfig). Where both libvwo.so and libvwo.a
// are there the linker takes libvwo.so, which must then be found at run time (ld.so.conf, rpath or
// LD_LIBRARY_PATH).

/*
#cgo pkg-config: vwo
*/
import "C"
