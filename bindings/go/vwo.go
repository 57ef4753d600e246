// Package vwo is the root package of libvwo's Go binding, a drop-in replacement for
// github.com/wingify/vwo-go-sdk: the same packages, names and signatures, with libvwo (Rust, linked
// statically through cgo) underneath. See README.md.
package vwo

import (
	"encoding/json"
	"strings"

	"github.com/libvwo/libvwo/bindings/go/internal/capi"
	"github.com/libvwo/libvwo/bindings/go/pkg/api"
	"github.com/libvwo/libvwo/bindings/go/pkg/logger"
	"github.com/libvwo/libvwo/bindings/go/pkg/schema"
)

// VWOInstance is vwo-go-sdk's alias of the instance fields; Launch returns an *api.VWOInstance.
type VWOInstance schema.VwoInstance

// settingsBaseURL is where GetSettingsFile fetches from ("" for VWO); tests point it at a local server.
var settingsBaseURL = ""

// Launch starts an instance with a settings file (from GetSettingsFile or unmarshalled by the caller)
// and options. The variation ranges are computed by libvwo: a settings file unmarshalled by the caller
// works as is. Close the instance when done.
func Launch(settingsFile schema.SettingsFile, vwoOption ...api.VWOOption) (*api.VWOInstance, error) {
	inst := api.VWOInstance{SettingsFile: settingsFile}
	return inst.Init(vwoOption...)
}

// GetSettingsFile fetches an account's settings file from VWO. On failure it logs and returns what it
// has (the zero SettingsFile).
func GetSettingsFile(accountID, SDKKey string) schema.SettingsFile {
	var s schema.SettingsFile
	text, err := capi.GetSettingsFile(accountID, SDKKey, settingsBaseURL)
	if err != nil {
		logger.Errorf("[GetSettingsFile] cannot fetch the settings file: %v", err)
		return s
	}
	// VWO sends empty lists as {} in places; vwo-go-sdk's clean-up.
	cleaned := strings.NewReplacer(`"goals":{}`, `"goals":[]`, `"variables":{}`, `"variables":[]`).Replace(string(text))
	if err := json.Unmarshal([]byte(cleaned), &s); err != nil {
		logger.Errorf("[GetSettingsFile] cannot read the settings file: %v", err)
	}
	return s
}

// SetLogLevel sets the log level of instances launched afterwards and of the default logger: 0 (the
// default) errors only, 2 adds INFO, 3 adds WARNING and DEBUG.
func SetLogLevel(lvl int) {
	logger.SetLogLevel(lvl)
}

// Version is the version of the libvwo library linked into the program (vwo_version() of the C ABI). It
// is the version of this module too (constants.SDKVersion): both come from libvwo's Cargo.toml.
func Version() string {
	return capi.Version()
}
