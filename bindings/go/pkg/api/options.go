package api

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync/atomic"
	"unicode/utf8"
)

// optionKeyList are the per-call option keys passed to libvwo: vwo-go-sdk's (customVariables,
// variationTargetingVariables, revenueValue, goalTypeToTrack, shouldTrackReturningUser) and libvwo's
// additions (eventProperties, userAgent, userIpAddress, customProperties). Other keys are ignored, as
// vwo-go-sdk ignores them.
var optionKeyList = [...]string{"customVariables", "variationTargetingVariables", "revenueValue",
	"goalTypeToTrack", "shouldTrackReturningUser", "eventProperties", "userAgent", "userIpAddress",
	"customProperties"}

func isOptionKey(k string) bool {
	for _, o := range optionKeyList {
		if k == o {
			return true
		}
	}
	return false
}

// appendOptions encodes a per-call option (nil or a map[string]interface{}) as the JSON object of
// libvwo's options_json, appending to dst. It appends nothing when there is nothing to pass (libvwo
// then gets NULL). This is the one place options are encoded: a faster ABI entry can replace it.
//
// Object keys are written in sorted order, so equal maps give equal texts (libvwo remembers the
// options it parsed per thread by their text; Go's map order is random). Numbers keep their Go type: integers are written as JSON integers and floats always with a fraction
// or exponent (float64(1) as 1.0), so libvwo sees them as vwo-python-sdk sees Python ints and floats.
func appendOptions(dst []byte, option interface{}) ([]byte, error) {
	if option == nil {
		return dst, nil
	}
	m, ok := option.(map[string]interface{})
	if !ok {
		return dst, fmt.Errorf("options must be a map[string]interface{}, got %T", option)
	}
	// The usual option map holds customVariables alone: one lookup instead of iterating the map.
	if len(m) == 1 {
		if v, ok := m["customVariables"]; ok {
			if v == nil {
				return dst, nil
			}
			start := len(dst)
			dst = append(dst, `{"customVariables":`...)
			var err error
			if dst, err = appendValue(dst, v, 0); err != nil {
				return dst[:start], fmt.Errorf("option %q: %v", "customVariables", err)
			}
			return append(dst, '}'), nil
		}
	}
	var stack [len(optionKeyList)]entry
	entries := stack[:0]
	for k, v := range m {
		if v != nil && isOptionKey(k) {
			entries = append(entries, entry{k, v})
		}
	}
	if len(entries) == 0 {
		return dst, nil
	}
	sortEntries(entries)
	start := len(dst)
	for i := range entries {
		if i == 0 {
			dst = append(dst, '{')
		} else {
			dst = append(dst, ',')
		}
		dst = appendString(dst, entries[i].key)
		dst = append(dst, ':')
		var err error
		if dst, err = appendValue(dst, entries[i].value, 0); err != nil {
			return dst[:start], fmt.Errorf("option %q: %v", entries[i].key, err)
		}
	}
	return append(dst, '}'), nil
}

// appendValue writes v as JSON: the common types by hand, others through encoding/json.
func appendValue(dst []byte, v interface{}, depth int) ([]byte, error) {
	if depth > 100 {
		return dst, fmt.Errorf("nested too deeply")
	}
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendString(dst, x), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(dst, x, 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case float64:
		return appendFloat(dst, x, 64)
	case float32:
		return appendFloat(dst, float64(x), 32)
	case json.Number:
		if _, err := strconv.ParseFloat(string(x), 64); err != nil || x == "" {
			return dst, fmt.Errorf("invalid json.Number %q", string(x))
		}
		return append(dst, x...), nil
	case map[string]interface{}:
		var stack [16]entry
		entries := stack[:0]
		if entries = entriesInKnownOrder(x, entries); entries == nil {
			entries = stack[:0]
			for k, e := range x {
				entries = append(entries, entry{k, e})
			}
			sortEntries(entries)
			rememberOrder(entries)
		}
		dst = append(dst, '{')
		for i := range entries {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, entries[i].key)
			dst = append(dst, ':')
			var err error
			if dst, err = appendValue(dst, entries[i].value, depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case map[string]string:
		var stack [16]string
		keys := stack[:0]
		for k := range x {
			keys = append(keys, k)
		}
		sortStrings(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			dst = appendString(dst, x[k])
		}
		return append(dst, '}'), nil
	case []interface{}:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendValue(dst, e, depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case []string:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, e)
		}
		return append(dst, ']'), nil
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return dst, err
		}
		return append(dst, b...), nil
	}
}

// knownOrder holds the sorted keys of the last map encoded with each number of keys (up to 16): the
// attributes of one service have the same keys call after call, and looking them up in that order
// costs less than iterating the map and sorting its keys.
var knownOrder [17]atomic.Pointer[[]string]

// entriesInKnownOrder fills entries with x's entries in sorted key order when x has exactly the keys
// remembered for its size; nil otherwise.
func entriesInKnownOrder(x map[string]interface{}, entries []entry) []entry {
	if len(x) >= len(knownOrder) {
		return nil
	}
	keys := knownOrder[len(x)].Load()
	if keys == nil {
		return nil
	}
	for _, k := range *keys {
		v, ok := x[k]
		if !ok {
			return nil
		}
		entries = append(entries, entry{k, v})
	}
	return entries
}

// rememberOrder keeps the sorted keys of a small map for entriesInKnownOrder.
func rememberOrder(entries []entry) {
	if len(entries) >= len(knownOrder) {
		return
	}
	if keys := knownOrder[len(entries)].Load(); keys != nil && sameKeys(*keys, entries) {
		return
	}
	keys := make([]string, len(entries))
	for i := range entries {
		keys[i] = entries[i].key
	}
	knownOrder[len(entries)].Store(&keys)
}

func sameKeys(keys []string, entries []entry) bool {
	for i := range entries {
		if keys[i] != entries[i].key {
			return false
		}
	}
	return true
}

// entry is one key and value of a map being encoded.
type entry struct {
	key   string
	value interface{}
}

// sortEntries sorts a few entries by key in place (insertion sort: no allocation for the usual handful).
func sortEntries(a []entry) {
	if len(a) > 32 {
		b := append([]entry(nil), a...) // sorted on the heap, so a (often on the stack) does not escape
		sort.Slice(b, func(i, j int) bool { return b[i].key < b[j].key })
		copy(a, b)
		return
	}
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j].key < a[j-1].key; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// sortStrings sorts a few keys in place (insertion sort: no allocation for the usual handful).
func sortStrings(a []string) {
	if len(a) > 32 {
		sort.Strings(a)
		return
	}
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// appendFloat writes a float so that it reads back as a float: 1 as 1.0, 1e21 as 1e+21.
func appendFloat(dst []byte, f float64, bits int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, fmt.Errorf("%v is not a JSON number", f)
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'g', -1, bits)
	for _, c := range dst[start:] {
		if c == '.' || c == 'e' {
			return dst, nil
		}
	}
	return append(dst, '.', '0'), nil
}

// jsonPlain marks the bytes a JSON string holds as they are: printable ASCII but '"' and '\\'.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return
}()

// appendString writes s as a JSON string.
func appendString(dst []byte, s string) []byte {
	i := 0
	for i < len(s) && jsonPlain[s[i]] {
		i++
	}
	if i == len(s) { // the usual key or value: printable ASCII, nothing to escape
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	simple := true
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			simple = false
			break
		}
	}
	if simple && utf8.ValidString(s) {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	b, _ := json.Marshal(s) // escapes, and replaces invalid UTF-8 with U+FFFD
	return append(dst, b...)
}
