// Package migration_test is a program written against vwo-go-sdk's public API, as its README uses it,
// with nothing changed but the import prefix: github.com/wingify/vwo-go-sdk became
// github.com/libvwo/libvwo/bindings/go. It must build against this module and behave as POLICY.md says
// (decisions of vwo-python-sdk 1.68.2, checked against tests/vectors).
package migration_test

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"
	"testing"

	vwo "github.com/libvwo/libvwo/bindings/go"
	"github.com/libvwo/libvwo/bindings/go/pkg/api"
	"github.com/libvwo/libvwo/bindings/go/pkg/constants"
	"github.com/libvwo/libvwo/bindings/go/pkg/schema"
)

// ---- the README's user storage, with the 4-argument Set

var (
	userDatas   = map[string][]schema.UserData{}
	userDatasMu sync.Mutex
)

type UserStorage interface {
	Get(userID, campaignKey string) schema.UserData
	Set(string, string, string, string)
}

type UserStorageData struct{}

func (us *UserStorageData) Get(userID, campaignKey string) schema.UserData {
	userDatasMu.Lock()
	defer userDatasMu.Unlock()
	userData, ok := userDatas[campaignKey]
	if ok {
		for _, userdata := range userData {
			if userdata.UserID == userID {
				return userdata
			}
		}
	}
	return schema.UserData{}
}

func (us *UserStorageData) Set(userID, campaignKey, variationName, goalIdentifier string) {
	userDatasMu.Lock()
	defer userDatasMu.Unlock()
	userdata := schema.UserData{UserID: userID, CampaignKey: campaignKey, VariationName: variationName, GoalIdentifier: goalIdentifier}
	for i, user := range userDatas[campaignKey] {
		if user.UserID == userID {
			userDatas[campaignKey][i] = userdata
			return
		}
	}
	userDatas[campaignKey] = append(userDatas[campaignKey], userdata)
}

// ---- the README's custom logger

type Log interface {
	CustomLog(level, errorMessage string)
}

type LogS struct {
	mu    sync.Mutex
	lines []string
}

func (c *LogS) CustomLog(level, errorMessage string) {
	c.mu.Lock()
	c.lines = append(c.lines, level+": "+errorMessage)
	c.mu.Unlock()
}

func readSettings(t *testing.T, name string) schema.SettingsFile {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "tests", "vectors", "data", "settings", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var settingsFile schema.SettingsFile
	if err := json.Unmarshal(b, &settingsFile); err != nil {
		t.Fatal(err)
	}
	return settingsFile
}

type expectation struct {
	Settings, CampaignKey, API string
	VariableKey                string
	Cases                      []struct {
		UserID   string      `json:"userId"`
		Expected interface{} `json:"expected"`
	}
}

func readExpectations(t *testing.T, id string) expectation {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "tests", "vectors", "data", "expectations", id+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expectation
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestProgramWrittenForVwoGoSdk(t *testing.T) {
	// GetSettingsFile without credentials logs and returns the zero settings file (no network).
	if s := vwo.GetSettingsFile("", ""); s.AccountID != 0 || len(s.Campaigns) != 0 {
		t.Fatalf("GetSettingsFile without credentials: %+v", s)
	}
	vwo.SetLogLevel(0)

	settingsFile := readSettings(t, "AB_T_50_W_50_50")

	// Default instance, and an instance with every option of the README.
	vwoClientInstance, err := vwo.Launch(settingsFile)
	if err != nil {
		t.Fatalf("default launch: %v", err)
	}
	defer vwoClientInstance.Close()

	storage := &UserStorageData{}
	logger := &LogS{}
	var batchMu sync.Mutex
	batchEvents := 0
	callBack := func(err error, batch []map[string]interface{}) {
		if err != nil {
			log.Println(fmt.Sprintf("Batch events pushed %v %v", batch, err))
		}
		batchMu.Lock()
		batchEvents += len(batch)
		batchMu.Unlock()
	}
	var integrationsMu sync.Mutex
	integrations := 0
	Integrations := func(integrationsMap map[string]interface{}) {
		integrationsMu.Lock()
		integrations++
		integrationsMu.Unlock()
	}
	instance, err := vwo.Launch(settingsFile,
		api.WithDevelopmentMode(),
		api.WithStorage(storage),
		api.WithLogger(logger),
		api.WithGoalAttributes(constants.GoalTypeAll, false),
		api.WithBatchEventQueue(api.BatchConfig{RequestTimeInterval: 10, EventsPerRequest: 3}, callBack),
		api.WithIntegrationsCallBack(Integrations),
	)
	if err != nil {
		t.Fatalf("launch with options: %v (vwo-go-sdk reported an error for every 4-argument storage; libvwo does not)", err)
	}
	defer instance.Close()

	// Decisions equal the vectors' (vwo-python-sdk's) for both instances.
	exp := readExpectations(t, "py.activate.AB_T_50_W_50_50")
	campaignKey := exp.CampaignKey
	for _, c := range exp.Cases {
		want, _ := c.Expected.(string)
		if got := vwoClientInstance.GetVariationName(campaignKey, c.UserID, nil); got != want {
			t.Errorf("GetVariationName(%s): %q, expected %q", c.UserID, got, want)
		}
		options := make(map[string]interface{})
		options["customVariables"] = map[string]interface{}{"a": "x"}
		options["variationTargetingVariables"] = map[string]interface{}{"a": "x"}
		options["revenueValue"] = 12
		if got := instance.Activate(campaignKey, c.UserID, options); got != want {
			t.Errorf("Activate(%s): %q, expected %q", c.UserID, got, want)
		}
	}

	userID := exp.Cases[0].UserID
	variationName := instance.GetVariationName(campaignKey, userID, nil)
	if variationName == "" {
		t.Fatalf("%s has no variation", userID)
	}
	if stored := storage.Get(userID, campaignKey); stored.VariationName != variationName {
		t.Fatalf("storage: %+v", stored)
	}

	// Track: the three campaign forms, and the README's options.
	goalIdentifier := settingsFile.Campaigns[0].Goals[0].Identifier
	options := make(map[string]interface{})
	options["customVariables"] = map[string]interface{}{"a": "x"}
	options["revenueValue"] = 12
	options["goalTypeToTrack"] = constants.GoalTypeAll
	options["ShouldTrackreturningUser"] = false
	isSuccessful := instance.Track(campaignKey, userID, goalIdentifier, options)
	if len(isSuccessful) != 1 || isSuccessful[0].CampaignKey != campaignKey || !isSuccessful[0].TrackValue {
		t.Fatalf("Track(single): %+v", isSuccessful)
	}
	campaignKeys := []string{campaignKey}
	secondUser := exp.Cases[1].UserID
	instance.Activate(campaignKey, secondUser, nil)
	if r := instance.Track(campaignKeys, secondUser, goalIdentifier, options); len(r) != 1 {
		t.Fatalf("Track(list): %+v", r)
	}
	if r := instance.Track(nil, exp.Cases[2].UserID, goalIdentifier, nil); r == nil {
		t.Fatalf("Track(nil) must return a slice")
	}
	if stored := storage.Get(userID, campaignKey); stored.GoalIdentifier != goalIdentifier {
		t.Fatalf("the goal is not in the storage record: %+v", stored)
	}

	// Features.
	fexp := readExpectations(t, "node.isFeatureEnabled.FEATURE_ROLLOUT_TRAFFIC_50")
	rollout, err := vwo.Launch(readSettings(t, fexp.Settings), api.WithDevelopmentMode(), api.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	defer rollout.Close()
	for _, c := range fexp.Cases {
		want, _ := c.Expected.(bool)
		if got := rollout.IsFeatureEnabled(fexp.CampaignKey, c.UserID, nil); got != want {
			t.Errorf("IsFeatureEnabled(%s): %v, expected %v", c.UserID, got, want)
		}
	}
	vexp := readExpectations(t, "py.getFeatureVariableValue.FT_T_100_W_10_20_30_40.STRING_VARIABLE")
	featureTest, err := vwo.Launch(readSettings(t, vexp.Settings), api.WithDevelopmentMode(), api.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	defer featureTest.Close()
	for _, c := range vexp.Cases {
		if got := featureTest.GetFeatureVariableValue(vexp.CampaignKey, vexp.VariableKey, c.UserID, nil); got != c.Expected {
			t.Errorf("GetFeatureVariableValue(%s): %v, expected %v", c.UserID, got, c.Expected)
		}
	}

	// Push, FlushEvents, GetAndUpdateSettingsFile (no network in development mode: logged).
	if !instance.Push("tagKey", "tagValue", userID) {
		t.Error("Push failed")
	}
	instance.FlushEvents()

	integrationsMu.Lock()
	if integrations == 0 {
		t.Error("the integrations callback was never called")
	}
	integrationsMu.Unlock()
}
