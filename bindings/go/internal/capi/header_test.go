package capi

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// In a checkout of the repository, the module's copy of the header (put here by `make go-lib`, and
// into the module zip by `make dist`) must be the committed include/vwo.h: the Go code is compiled
// against the copy, so a stale one would hide a changed C ABI. Outside the repository (the module as a
// proxy serves it) there is nothing to compare with.
func TestHeaderIsTheRepositoryHeader(t *testing.T) {
	repo := filepath.Join("..", "..", "..", "..", "include", "vwo.h")
	want, err := os.ReadFile(repo)
	if os.IsNotExist(err) {
		t.Skip("not inside the libvwo repository: no include/vwo.h to compare with")
	}
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("vwo.h")
	if err != nil {
		t.Fatalf("the module's vwo.h: %v (run `make go-lib` at the repository root)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("bindings/go/internal/capi/vwo.h differs from include/vwo.h: run `make go-lib` at the repository root")
	}
}
