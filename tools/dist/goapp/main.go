// A Go program as a user of the released module writes it, built outside the repository by
// tools/dist/test.sh from the module proxy of `make dist` (go get github.com/libvwo/libvwo/bindings/go).
// It runs the decision cases of oracle runs (tests/vectors/corpus, vwo-python-sdk 1.68.2's answers)
// through vwo-go-sdk's API and prints "N passed, M failed"; it exits 1 on any mismatch.
//
//	goapp CORPUS.json...
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	vwo "github.com/libvwo/libvwo/bindings/go"
	"github.com/libvwo/libvwo/bindings/go/pkg/api"
	"github.com/libvwo/libvwo/bindings/go/pkg/constants"
	"github.com/libvwo/libvwo/bindings/go/pkg/schema"
)

type corpus struct {
	ID       string          `json:"id"`
	Settings json.RawMessage `json:"settings"`
	Launch   struct {
		UserStorage bool `json:"userStorage"`
	} `json:"launch"`
	Cases []struct {
		Request struct {
			API         string                 `json:"api"`
			CampaignKey interface{}            `json:"campaignKey"`
			UserID      string                 `json:"userId"`
			Options     map[string]interface{} `json:"options"`
		} `json:"request"`
		Result interface{} `json:"result"`
	} `json:"cases"`
}

func run(path string) (passed, failed int, err error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	// Numbers stay json.Number, as the corpus wrote them: a whole number is an int to vwo-python-sdk,
	// while encoding/json would make every number a float64 (see the binding's README).
	var c corpus
	d := json.NewDecoder(bytes.NewReader(text))
	d.UseNumber()
	if err := d.Decode(&c); err != nil {
		return 0, 0, fmt.Errorf("%s: %v", path, err)
	}
	if c.Launch.UserStorage {
		return 0, 0, fmt.Errorf("%s: a run with user storage; give a run without", path)
	}
	var settings schema.SettingsFile
	if err := json.Unmarshal(c.Settings, &settings); err != nil {
		return 0, 0, fmt.Errorf("%s: settings: %v", path, err)
	}
	instance, err := vwo.Launch(settings, api.WithDevelopmentMode())
	if err != nil {
		return 0, 0, fmt.Errorf("%s: launch: %v", path, err)
	}
	defer instance.Close()
	for i, k := range c.Cases {
		r := k.Request
		key, _ := r.CampaignKey.(string)
		var got, want interface{}
		switch r.API {
		case "activate", "getVariationName":
			var name string
			if r.API == "activate" {
				name = instance.Activate(key, r.UserID, r.Options)
			} else {
				name = instance.GetVariationName(key, r.UserID, r.Options)
			}
			got, want = name, k.Result
			if want == nil {
				want = ""
			}
		case "isFeatureEnabled":
			got, want = instance.IsFeatureEnabled(key, r.UserID, r.Options), k.Result
			if want == nil {
				want = false
			}
		default:
			continue
		}
		if got == want {
			passed++
		} else {
			failed++
			fmt.Printf("%s case %d: %s(%q, %q) = %v, vwo-python-sdk says %v\n", c.ID, i, r.API, key, r.UserID, got, want)
		}
	}
	return passed, failed, nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: goapp CORPUS.json...")
		os.Exit(2)
	}
	fmt.Printf("libvwo %s (%s %s)\n", vwo.Version(), constants.SDKName, constants.SDKVersion)
	passed, failed := 0, 0
	for _, path := range os.Args[1:] {
		p, f, err := run(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		passed, failed = passed+p, failed+f
	}
	fmt.Printf("goapp: %d passed, %d failed\n", passed, failed)
	if failed > 0 || passed == 0 {
		os.Exit(1)
	}
}
