package wingify

import (
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"
)

// The Go SDK's context keys and the names libvwo's core reads (the reference's snake_case ones).
var contextKeys = map[string]string{
	"userAgent":                   "user_agent",
	"ipAddress":                   "ip_address",
	"customVariables":             "custom_variables",
	"variationTargetingVariables": "variation_targeting_variables",
	"postSegmentationVariables":   "post_segmentation_variables",
	"sessionId":                   "session_id",
	"useIdForWeb":                 "use_id_for_web",
	"platformVariables":           "platform_variables",
}

// contextUsable is the Go SDK's check: a context, with an "id" that is neither nil nor "". libvwo
// also wants the id to be a string or an integer (which it reads as its decimal text).
func contextUsable(ctx map[string]interface{}) bool {
	if ctx == nil {
		return false
	}
	switch id := ctx["id"].(type) {
	case string:
		return id != ""
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	default:
		return false
	}
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// idText is the id as libvwo reads it: strings as they are, integers as their decimal text.
func idValue(b []byte, v interface{}) []byte {
	switch id := v.(type) {
	case string:
		return appendJSONString(b, id)
	case int:
		return appendJSONString(b, strconv.Itoa(id))
	case int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		n, _ := json.Marshal(id)
		return appendJSONString(b, string(n))
	default:
		q, err := json.Marshal(id)
		if err != nil {
			return append(b, "null"...)
		}
		return append(b, q...)
	}
}

// contextJSON is the Go context as the JSON object libvwo's core reads. A nil context is `null`.
func contextJSON(b []byte, ctx map[string]interface{}) ([]byte, error) {
	if ctx == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '{')
	first := true
	for k, v := range ctx {
		if !first {
			b = append(b, ',')
		}
		first = false
		name := k
		if n, ok := contextKeys[k]; ok {
			name = n
		}
		b = appendJSONString(b, name)
		b = append(b, ':')
		switch {
		case k == "id":
			b = idValue(b, v)
		case k == "sessionId":
			// The Go SDK reads an int or int64 session id; anything else is "now".
			switch s := v.(type) {
			case int:
				b = strconv.AppendInt(b, int64(s), 10)
			case int64:
				b = strconv.AppendInt(b, s, 10)
			default:
				b = append(b, "null"...)
			}
		default:
			var err error
			if b, err = appendValue(b, v); err != nil {
				return nil, err
			}
		}
	}
	return append(b, '}'), nil
}

// appendValue appends v as encoding/json would encode it (map keys in no particular order: libvwo
// reads objects, not their order), without reflection for the types contexts hold.
func appendValue(b []byte, v interface{}) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendJSONString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case float64:
		// encoding/json's form for these magnitudes; the others (and NaN, ±Inf) go through it.
		if a := math.Abs(x); a == 0 || (a >= 1e-6 && a < 1e21) {
			return strconv.AppendFloat(b, x, 'f', -1, 64), nil
		}
	case map[string]interface{}:
		b = append(b, '{')
		first := true
		for k, e := range x {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendJSONString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendValue(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []interface{}:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	q, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, q...), nil
}
