package api

import "github.com/libvwo/libvwo/bindings/go/internal/capi"

// Test-only access to the live client.

// DeliveryCounters returns the instance's event delivery counters.
func DeliveryCounters(vwo *VWOInstance) capi.Counters { return vwo.st.client.DeliveryCounters() }

// ReplaceSettings swaps the instance's settings.
func ReplaceSettings(vwo *VWOInstance, settings []byte) error {
	return vwo.st.client.ReplaceSettings(settings)
}

// AppendOptions is appendOptions.
var AppendOptions = appendOptions

// TrackResults and VariableValue are the result decoders.
var (
	TrackResults  = trackResults
	VariableValue = variableValue
)
