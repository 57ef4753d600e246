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
	// A numeric revenue goes first, as "revenue_value" (libvwo's name for it): libvwo reads a text
	// {"revenue_value":<number>,<rest> as the number and the options {<rest>, which it then finds
	// parsed before when the rest (the user's profile) is the same, though the revenue is new.
	for i := range entries {
		if entries[i].key == "revenueValue" && isNumber(entries[i].value) && i > 0 {
			r := entries[i]
			copy(entries[1:i+1], entries[:i])
			entries[0] = r
		}
	}
	start := len(dst)
	for i := range entries {
		if i == 0 {
			dst = append(dst, '{')
		} else {
			dst = append(dst, ',')
		}
		if i == 0 && entries[0].key == "revenueValue" && isNumber(entries[0].value) {
			dst = append(dst, `"revenue_value"`...)
		} else {
			dst = appendString(dst, entries[i].key)
		}
		dst = append(dst, ':')
		var err error
		if dst, err = appendValue(dst, entries[i].value, 0); err != nil {
			return dst[:start], fmt.Errorf("option %q: %v", entries[i].key, err)
		}
	}
	return append(dst, '}'), nil
}

// isNumber tells whether appendValue writes v as a JSON number.
func isNumber(v interface{}) bool {
	switch v.(type) {
	case int, int64, int32, int16, int8, uint, uint64, uint32, uint16, uint8, float64, float32, json.Number:
		return true
	}
	return false
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
		if out, ok, err := appendInKnownOrder(dst, x, depth); ok || err != nil {
			return out, err
		}
		var stack [16]entry
		entries := stack[:0]
		for k, e := range x {
			entries = append(entries, entry{k, e})
		}
		sortEntries(entries)
		rememberOrder(entries)
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

// knownOrder holds the sorted keys of the last map encoded with each number of keys (up to 16), each
// with its JSON text: the attributes of one service have the same keys call after call, and looking
// them up in that order costs less than iterating the map and sorting its keys.
var knownOrder [17]atomic.Pointer[keyOrder]

// keyOrder is a remembered key order; prefix[i] is `{"key":` for the first key, `,"key":` after.
type keyOrder struct {
	keys   []string
	prefix [][]byte
}

// appendInKnownOrder writes x when it has exactly the keys remembered for its size (ok true); it
// writes nothing otherwise. Every value is read from x on every call.
func appendInKnownOrder(dst []byte, x map[string]interface{}, depth int) (out []byte, ok bool, err error) {
	if len(x) >= len(knownOrder) {
		return dst, false, nil
	}
	o := knownOrder[len(x)].Load()
	if o == nil {
		return dst, false, nil
	}
	start := len(dst)
	for i, k := range o.keys {
		v, found := x[k]
		if !found {
			return dst[:start], false, nil
		}
		dst = append(dst, o.prefix[i]...)
		if dst, err = appendValue(dst, v, depth+1); err != nil {
			return dst, true, err
		}
	}
	if len(o.keys) == 0 {
		dst = append(dst, '{')
	}
	return append(dst, '}'), true, nil
}

// rememberOrder keeps the sorted keys of a small map for appendInKnownOrder.
func rememberOrder(entries []entry) {
	if len(entries) >= len(knownOrder) {
		return
	}
	if o := knownOrder[len(entries)].Load(); o != nil && sameKeys(o.keys, entries) {
		return
	}
	o := &keyOrder{keys: make([]string, len(entries)), prefix: make([][]byte, len(entries))}
	for i := range entries {
		o.keys[i] = entries[i].key
		sep := byte(',')
		if i == 0 {
			sep = '{'
		}
		o.prefix[i] = append(appendString([]byte{sep}, entries[i].key), ':')
	}
	knownOrder[len(entries)].Store(o)
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

// pow10 are the powers of ten appendFloat tries as a number of decimals (all exact in a float64).
var pow10 = [...]float64{1, 10, 100, 1e3, 1e4, 1e5, 1e6}

// appendFloat writes a float so that it reads back as the same float, and as a float: 1 as 1.0,
// 1e21 as 1e+21. A float64 that is an integer of at most 15 digits divided by a power of ten up to
// 10^6 (prices, rates: 19.99) is written with the fewest decimals that give it back exactly (the
// integer and the power are exact, so their quotient is the correctly rounded value of the decimal
// text, which is what a JSON parser reads); others with strconv's shortest representation.
func appendFloat(dst []byte, f float64, bits int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, fmt.Errorf("%v is not a JSON number", f)
	}
	if a := math.Abs(f); bits == 64 && a >= 1e-4 && a < 1e15 {
		for d, p := range pow10 {
			m := math.Round(a * p)
			if m/p != a || m >= 1e15 {
				continue
			}
			if f < 0 {
				dst = append(dst, '-')
			}
			n, q := uint64(m), uint64(p)
			dst = strconv.AppendUint(dst, n/q, 10)
			dst = append(dst, '.')
			if d == 0 {
				return append(dst, '0'), nil
			}
			frac := n % q
			for q /= 10; q > frac && q > 1; q /= 10 {
				dst = append(dst, '0')
			}
			return strconv.AppendUint(dst, frac, 10), nil
		}
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
	i := plainPrefix(s)
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

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plainPrefix is the length of the start of s that is jsonPlain, 8 bytes at a time while it can.
func plainPrefix(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		_ = s[i+7]
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// A byte >= 0x80, < 0x20, '"' or '\\' (each test exact for "any byte").
		q, b := w^(ones*'"'), w^(ones*'\\')
		if (w|(w-ones*0x20)&^w|(q-ones)&^q|(b-ones)&^b)&highs != 0 {
			break
		}
	}
	for i < len(s) && jsonPlain[s[i]] {
		i++
	}
	return i
}
