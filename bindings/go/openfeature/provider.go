// Package openfeature is an OpenFeature provider (github.com/open-feature/go-sdk, FeatureProvider)
// over libvwo's FME client (github.com/libvwo/libvwo/bindings/go/fme/wingify).
//
// Mapping:
//   - the evaluation context's targeting key is the FME context "id" (none: TARGETING_KEY_MISSING);
//     its attributes are "customVariables", except "userAgent", "ipAddress", "bucketingSeed",
//     "variationTargetingVariables" and "postSegmentationVariables", which are those FME context fields;
//   - a boolean flag "<featureKey>" is whether the feature is enabled;
//   - a flag "<featureKey>.<variableKey>" (split at the first ".") of any type is that variable of the
//     feature's variation: TYPE_MISMATCH when its JSON type is not the type asked for (an integer
//     flag takes a JSON number without fraction; an object flag a JSON object or array); a typed flag
//     without "." is PARSE_ERROR;
//   - an unknown feature is FLAG_NOT_FOUND; a disabled feature gives the default value with reason
//     DISABLED; an enabled feature whose variation lacks the variable gives the default with reason
//     DEFAULT; an enabled one gives TARGETING_MATCH (a rollout, or a whitelisted variation) or SPLIT
//     (a testing or personalize variation by traffic split);
//   - the variant is the variation's name; the flag metadata has "ruleKey", "campaignId",
//     "ruleType" and "experimentKey" of the rule that gave the variation (the experiment's, else the
//     rollout's);
//   - Track is TrackEvent: the tracking details' attributes are the event properties, and a non-zero
//     value is the property "value";
//   - Shutdown closes the client.
package openfeature

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/libvwo/libvwo/bindings/go/fme"
	"github.com/libvwo/libvwo/bindings/go/fme/wingify"
	"github.com/libvwo/libvwo/bindings/go/fme/wingify/pkg/models"
	of "github.com/open-feature/go-sdk/openfeature"
)

// Provider is the OpenFeature provider. It is safe for concurrent use.
type Provider struct {
	client *wingify.WingifyClient
}

var (
	_ of.FeatureProvider = (*Provider)(nil)
	_ of.StateHandler    = (*Provider)(nil)
	_ of.Tracker         = (*Provider)(nil)
)

// NewProvider is a provider over client; Shutdown closes it.
func NewProvider(client *wingify.WingifyClient) *Provider { return &Provider{client: client} }

// NewProviderWithOptions creates the client with vwo.Init(options) (VWO's hosts) and a provider over it.
func NewProviderWithOptions(options map[string]interface{}) (*Provider, error) {
	c, err := vwo.Init(options)
	if err != nil {
		return nil, err
	}
	return NewProvider(c), nil
}

// Client is the FME client of the provider.
func (p *Provider) Client() *wingify.WingifyClient { return p.client }

// Metadata names the provider.
func (p *Provider) Metadata() of.Metadata { return of.Metadata{Name: "libvwo-fme"} }

// Hooks are none.
func (p *Provider) Hooks() []of.Hook { return nil }

// Init has nothing to do: the client is ready when the provider is made.
func (p *Provider) Init(of.EvaluationContext) error { return nil }

// Shutdown closes the client (its queued events are delivered first).
func (p *Provider) Shutdown() { _ = p.client.Close() }

// Fields of the FME context that OpenFeature attributes may give.
var contextFields = map[string]bool{"userAgent": true, "ipAddress": true, "bucketingSeed": true,
	"variationTargetingVariables": true, "postSegmentationVariables": true}

// fmeContext is the FME context of an evaluation context; ok false without a targeting key.
func fmeContext(flat of.FlattenedContext) (map[string]interface{}, bool) {
	id, _ := flat[of.TargetingKey].(string)
	if id == "" {
		return nil, false
	}
	ctx := map[string]interface{}{"id": id}
	custom := map[string]interface{}{}
	for k, v := range flat {
		switch {
		case k == of.TargetingKey:
		case contextFields[k]:
			ctx[k] = v
		default:
			custom[k] = v
		}
	}
	if len(custom) > 0 {
		ctx["customVariables"] = custom
	}
	return ctx, true
}

// result is one evaluation before its value is typed.
type result struct {
	detail of.ProviderResolutionDetail
	flag   *models.GetFlag
	// variable: the asked variable's value and whether the variation has it.
	variable interface{}
	found    bool
	failed   bool
}

func fail(err of.ResolutionError) result {
	return result{detail: of.ProviderResolutionDetail{ResolutionError: err, Reason: of.ErrorReason}, failed: true}
}

// evaluate decides the feature of flagKey; variable "" asks for the enabled bit.
func (p *Provider) evaluate(flagKey string, typed bool, flat of.FlattenedContext) result {
	feature, variable := flagKey, ""
	if typed {
		var ok bool
		feature, variable, ok = strings.Cut(flagKey, ".")
		if !ok || feature == "" || variable == "" {
			return fail(of.NewParseErrorResolutionError(fmt.Sprintf(
				"flag key %q: a typed flag is \"<featureKey>.<variableKey>\"", flagKey)))
		}
	}
	ctx, ok := fmeContext(flat)
	if !ok {
		return fail(of.NewTargetingKeyMissingResolutionError("the evaluation context has no targeting key"))
	}
	f, why, err := p.client.GetFlagWithReason(feature, ctx)
	if err == wingify.ErrClosed {
		return fail(of.NewProviderFatalResolutionError("the provider was shut down"))
	}
	if why == nil {
		msg := "no decision"
		if err != nil {
			msg = err.Error()
		}
		return fail(of.NewGeneralResolutionError(msg))
	}
	switch why.Reason {
	case "FEATURE_NOT_FOUND":
		return fail(of.NewFlagNotFoundResolutionError(fmt.Sprintf("feature %q not found", feature)))
	case "INVALID_CONTEXT":
		return fail(of.NewInvalidContextResolutionError(fmt.Sprintf("invalid context: %v", err)))
	}
	r := result{flag: f}
	d := &r.detail
	rule := why.Experiment
	if rule == nil {
		rule = why.Rollout
	}
	if rule != nil {
		d.Variant = rule.VariationName
		d.FlagMetadata = of.FlagMetadata{"ruleKey": rule.RuleKey, "campaignId": rule.CampaignID,
			"ruleType": rule.Type, "experimentKey": rule.ExperimentKey}
	}
	switch {
	case !f.IsEnabled():
		d.Reason = of.DisabledReason
	case why.Experiment != nil && !why.Experiment.Whitelisted:
		d.Reason = of.SplitReason
	default:
		d.Reason = of.TargetingMatchReason
	}
	if typed {
		for _, v := range f.Variables {
			if v.GetKey() == variable {
				r.variable, r.found = v.GetValue(), true
				break
			}
		}
		if f.IsEnabled() && !r.found {
			d.Reason = of.DefaultReason
		}
	}
	return r
}

func mismatch(r result, flagKey, want string) result {
	return result{detail: of.ProviderResolutionDetail{ResolutionError: of.NewTypeMismatchResolutionError(
		fmt.Sprintf("flag %q: the variable is a %T, not a %s", flagKey, r.variable, want)), Reason: of.ErrorReason,
		Variant: r.detail.Variant, FlagMetadata: r.detail.FlagMetadata}, failed: true}
}

// BooleanEvaluation: "<featureKey>" is whether the feature is enabled; "<featureKey>.<variableKey>"
// a boolean variable.
func (p *Provider) BooleanEvaluation(_ context.Context, flag string, defaultValue bool,
	flat of.FlattenedContext) of.BoolResolutionDetail {
	typed := strings.Contains(flag, ".")
	r := p.evaluate(flag, typed, flat)
	if r.failed {
		return of.BoolResolutionDetail{Value: defaultValue, ProviderResolutionDetail: r.detail}
	}
	if !typed {
		return of.BoolResolutionDetail{Value: r.flag.IsEnabled(), ProviderResolutionDetail: r.detail}
	}
	if !r.found {
		return of.BoolResolutionDetail{Value: defaultValue, ProviderResolutionDetail: r.detail}
	}
	b, ok := r.variable.(bool)
	if !ok {
		return of.BoolResolutionDetail{Value: defaultValue, ProviderResolutionDetail: mismatch(r, flag, "bool").detail}
	}
	return of.BoolResolutionDetail{Value: b, ProviderResolutionDetail: r.detail}
}

// StringEvaluation: "<featureKey>.<variableKey>", a string variable.
func (p *Provider) StringEvaluation(_ context.Context, flag string, defaultValue string,
	flat of.FlattenedContext) of.StringResolutionDetail {
	r := p.evaluate(flag, true, flat)
	if r.failed || !r.found {
		return of.StringResolutionDetail{Value: defaultValue, ProviderResolutionDetail: r.detail}
	}
	s, ok := r.variable.(string)
	if !ok {
		return of.StringResolutionDetail{Value: defaultValue, ProviderResolutionDetail: mismatch(r, flag, "string").detail}
	}
	return of.StringResolutionDetail{Value: s, ProviderResolutionDetail: r.detail}
}

// FloatEvaluation: "<featureKey>.<variableKey>", a number variable.
func (p *Provider) FloatEvaluation(_ context.Context, flag string, defaultValue float64,
	flat of.FlattenedContext) of.FloatResolutionDetail {
	r := p.evaluate(flag, true, flat)
	if r.failed || !r.found {
		return of.FloatResolutionDetail{Value: defaultValue, ProviderResolutionDetail: r.detail}
	}
	f, ok := r.variable.(float64)
	if !ok {
		return of.FloatResolutionDetail{Value: defaultValue, ProviderResolutionDetail: mismatch(r, flag, "float64").detail}
	}
	return of.FloatResolutionDetail{Value: f, ProviderResolutionDetail: r.detail}
}

// IntEvaluation: "<featureKey>.<variableKey>", a number variable without fraction.
func (p *Provider) IntEvaluation(_ context.Context, flag string, defaultValue int64,
	flat of.FlattenedContext) of.IntResolutionDetail {
	r := p.evaluate(flag, true, flat)
	if r.failed || !r.found {
		return of.IntResolutionDetail{Value: defaultValue, ProviderResolutionDetail: r.detail}
	}
	f, ok := r.variable.(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return of.IntResolutionDetail{Value: defaultValue, ProviderResolutionDetail: mismatch(r, flag, "int64").detail}
	}
	return of.IntResolutionDetail{Value: int64(f), ProviderResolutionDetail: r.detail}
}

// ObjectEvaluation: "<featureKey>.<variableKey>", a JSON object or array variable.
func (p *Provider) ObjectEvaluation(_ context.Context, flag string, defaultValue any,
	flat of.FlattenedContext) of.InterfaceResolutionDetail {
	r := p.evaluate(flag, true, flat)
	if r.failed || !r.found {
		return of.InterfaceResolutionDetail{Value: defaultValue, ProviderResolutionDetail: r.detail}
	}
	switch r.variable.(type) {
	case map[string]interface{}, []interface{}:
		return of.InterfaceResolutionDetail{Value: r.variable, ProviderResolutionDetail: r.detail}
	}
	return of.InterfaceResolutionDetail{Value: defaultValue, ProviderResolutionDetail: mismatch(r, flag, "object").detail}
}

// Track sends the event trackingEventName (TrackEvent) for the targeting key's user.
func (p *Provider) Track(_ context.Context, trackingEventName string, evalCtx of.EvaluationContext,
	details of.TrackingEventDetails) {
	flat := of.FlattenedContext(evalCtx.Attributes())
	if k := evalCtx.TargetingKey(); k != "" {
		flat[of.TargetingKey] = k
	}
	ctx, ok := fmeContext(flat)
	if !ok {
		return
	}
	props := details.Attributes()
	if v := details.Value(); v != 0 {
		props["value"] = v
	}
	_, _ = p.client.TrackEvent(trackingEventName, ctx, props)
}
