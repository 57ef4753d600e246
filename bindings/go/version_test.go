package vwo

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/libvwo/libvwo/bindings/go/pkg/constants"
)

// One version number: the library linked, the binding's constant and (in a checkout) Cargo.toml agree.
func TestVersionsAgree(t *testing.T) {
	if Version() != constants.SDKVersion {
		t.Fatalf("libvwo linked is %q, constants.SDKVersion is %q", Version(), constants.SDKVersion)
	}
	manifest, err := os.ReadFile(filepath.Join("..", "..", "Cargo.toml"))
	if os.IsNotExist(err) {
		t.Skip("not inside the libvwo repository: no Cargo.toml to compare with")
	}
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^version = "([^"]+)"`).FindSubmatch(manifest)
	if m == nil {
		t.Fatal("no version in Cargo.toml")
	}
	if string(m[1]) != constants.SDKVersion {
		t.Fatalf("Cargo.toml has version %q, constants.SDKVersion is %q", m[1], constants.SDKVersion)
	}
}
