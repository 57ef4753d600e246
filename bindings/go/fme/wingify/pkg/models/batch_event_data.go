package models

import "github.com/libvwo/libvwo/bindings/go/fme/wingify/pkg/enums"

// BatchFlushCallback is the batchEventData "flushCallback": err is nil when the batch was delivered;
// events is the batch's JSON array.
type BatchFlushCallback func(err error, events string)

// FlushCallback is the string-error form of a flush callback.
type FlushCallback func(error string, events string)

// FlushInterface receives flush results.
type FlushInterface interface {
	OnFlush(error string, events string)
}

// BatchEventData is the batchEventData option.
type BatchEventData struct {
	EventsPerRequest    int                `json:"eventsPerRequest"`
	RequestTimeInterval int                `json:"requestTimeInterval"`
	FlushCallback       BatchFlushCallback `json:"flushCallback"`
}

// NewBatchEventData reads the batchEventData option map.
func NewBatchEventData(options map[string]interface{}) *BatchEventData {
	b := &BatchEventData{}
	if v, ok := options[enums.BatchEventEventsPerRequest.GetValue()].(int); ok {
		b.EventsPerRequest = v
	}
	if v, ok := options[enums.BatchEventRequestTimeInterval.GetValue()].(int); ok {
		b.RequestTimeInterval = v
	}
	if v, ok := options[enums.BatchEventFlushCallback.GetValue()].(func(err error, events string)); ok {
		b.FlushCallback = v
	}
	return b
}

// GetEventsPerRequest returns the events per request.
func (b *BatchEventData) GetEventsPerRequest() int { return b.EventsPerRequest }

// SetEventsPerRequest sets the events per request.
func (b *BatchEventData) SetEventsPerRequest(value int) { b.EventsPerRequest = value }

// GetRequestTimeInterval returns the request time interval (seconds).
func (b *BatchEventData) GetRequestTimeInterval() int { return b.RequestTimeInterval }

// SetRequestTimeInterval sets the request time interval (seconds).
func (b *BatchEventData) SetRequestTimeInterval(value int) { b.RequestTimeInterval = value }

// GetFlushCallback returns the flush callback.
func (b *BatchEventData) GetFlushCallback() BatchFlushCallback { return b.FlushCallback }

// SetFlushCallback sets the flush callback.
func (b *BatchEventData) SetFlushCallback(callback BatchFlushCallback) { b.FlushCallback = callback }

// IntegrationOptions is the integrations option.
type IntegrationOptions struct {
	Callback func(properties map[string]interface{}) `json:"-"`
}
