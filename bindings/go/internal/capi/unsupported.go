//go:build cgo && !vwo_dynamic && !(linux && amd64)

package capi

// The module bundles libvwo prebuilt for linux/amd64 (glibc) only. On this GOOS/GOARCH, build libvwo
// from source (cargo build --release at the root of the libvwo repository, then make install) and build
// with -tags vwo_dynamic, which links it through pkg-config. See bindings/go/README.md.
var _ = libvwo_has_no_prebuilt_library_for_this_GOOS_GOARCH__build_libvwo_and_use_tags_vwo_dynamic
