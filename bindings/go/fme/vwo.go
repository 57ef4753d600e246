// Package vwo is libvwo's drop-in for github.com/wingify/vwo-fme-go-sdk: the same alias over the core
// package (here github.com/libvwo/libvwo/bindings/go/fme/wingify), with VWO's host profile forced.
package vwo

import (
	"github.com/libvwo/libvwo/bindings/go/fme/wingify"
	"github.com/libvwo/libvwo/bindings/go/fme/wingify/pkg/enums"
)

// VWOClient is the FME client.
type VWOClient = wingify.WingifyClient

// Init creates a client with VWO's hosts and names (hostProfile "vwo"); see wingify.Init.
func Init(options map[string]interface{}) (*VWOClient, error) {
	if options == nil {
		options = map[string]interface{}{}
	}
	options[enums.OptionHostProfile.GetValue()] = "vwo"
	return wingify.Init(options)
}

// GetUUID is the visitor UUID of (userID, accountID).
func GetUUID(userID string, accountID string) (string, error) {
	return wingify.GetUUID(userID, accountID)
}
