// Package storage is the storage connector of github.com/wingify/wingify-fme-go-sdk/pkg/packages/storage.
package storage

// Connector is a storage for decisions, passed as the Init option "storage".
//
// Get returns the record stored for (featureKey, userID), or nil for none: a map[string]interface{}
// (as Set received it), a JSON object text (string or []byte), or any value encoding/json turns into
// a JSON object. Set receives a record: keys "featureKey", "userId", and those of the rules that
// decided ("rolloutId", "rolloutKey", "rolloutVariationId", "experimentId", "experimentKey",
// "experimentVariationId", holdout ids); numbers are float64. Both are called from the goroutine
// that called GetFlag, possibly from many at once; an error or a panic is logged and the call goes
// on without storage.
type Connector interface {
	// Set stores data in the storage.
	Set(data map[string]interface{}) error
	// Get retrieves data from storage based on feature key and user ID.
	Get(featureKey string, userID string) (interface{}, error)
}
