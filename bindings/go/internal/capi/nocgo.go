//go:build !cgo

package capi

// The Go binding of libvwo calls the Rust core through cgo. This build has cgo disabled
// (CGO_ENABLED=0, or no C compiler found): enable it with CGO_ENABLED=1 and a C compiler (gcc or clang)
// on PATH. See bindings/go/README.md.
var _ = libvwo_go_binding_requires_cgo__set_CGO_ENABLED_1_and_install_a_C_compiler
