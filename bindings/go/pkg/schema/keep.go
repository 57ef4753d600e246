package schema

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// kept is what a settings type remembers of the JSON it was read from: the keys it does not model, the
// modelled keys that were present, and modelled keys whose JSON type the Go field cannot hold (e.g. a
// string id), kept raw.
type kept struct {
	extra   map[string]json.RawMessage
	present map[string]bool
}

type fieldInfo struct {
	index int
}

var fieldCache sync.Map // reflect.Type -> map[string]fieldInfo

// fieldsOf lists the JSON keys of a struct type's exported fields (by their json tags).
func fieldsOf(t reflect.Type) map[string]fieldInfo {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]fieldInfo)
	}
	m := make(map[string]fieldInfo)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			if tag == "-" {
				continue
			}
			if n := strings.Split(tag, ",")[0]; n != "" {
				name = n
			}
		}
		m[name] = fieldInfo{index: i}
	}
	fieldCache.Store(t, m)
	return m
}

// unmarshalKeeping decodes data into alias (a pointer to the modelled fields) and remembers the rest.
func unmarshalKeeping(data []byte, alias interface{}, k *kept) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	t := reflect.TypeOf(alias).Elem()
	fields := fieldsOf(t)
	*k = kept{present: make(map[string]bool, len(all))}
	for key, v := range all {
		if _, modelled := fields[key]; modelled {
			k.present[key] = true
		} else {
			k.keep(key, v)
		}
	}
	if err := json.Unmarshal(data, alias); err == nil {
		return nil
	}
	// Some modelled key has a JSON type its Go field cannot hold ("id": "7", "percentTraffic": 100.0,
	// "variables": {}): keep those raw (libvwo reads them; the Go field stays zero) and decode the rest.
	for key, v := range all {
		f, modelled := fields[key]
		if !modelled {
			continue
		}
		if err := json.Unmarshal(v, reflect.New(t.Field(f.index).Type).Interface()); err != nil {
			k.keep(key, v)
			delete(k.present, key)
			delete(all, key)
		}
	}
	rest, err := json.Marshal(all)
	if err != nil {
		return err
	}
	rv := reflect.ValueOf(alias).Elem()
	for _, f := range fields {
		rv.Field(f.index).SetZero() // undo the failed decode (kept, in the same struct, stays)
	}
	return json.Unmarshal(rest, alias)
}

func (k *kept) keep(key string, v json.RawMessage) {
	if k.extra == nil {
		k.extra = make(map[string]json.RawMessage)
	}
	k.extra[key] = v
}

// marshalKeeping encodes the modelled fields and the kept keys. A modelled field is written when it
// was in the JSON read, or when it is not zero (a settings value built in Go has no JSON it came from);
// a kept raw value of a modelled key is written while the field is zero.
func marshalKeeping(alias interface{}, k *kept) ([]byte, error) {
	rv := reflect.ValueOf(alias)
	fields := fieldsOf(rv.Type())
	out := make(map[string]json.RawMessage, len(fields)+len(k.extra))
	for key, f := range fields {
		fv := rv.Field(f.index)
		raw, hasRaw := k.extra[key]
		if fv.IsZero() {
			if hasRaw {
				out[key] = raw
				continue
			}
			if !k.present[key] {
				continue
			}
		}
		b, err := json.Marshal(fv.Interface())
		if err != nil {
			return nil, err
		}
		if string(b) == "null" && !k.present[key] {
			continue
		}
		out[key] = b
	}
	for key, v := range k.extra {
		if _, modelled := fields[key]; !modelled {
			out[key] = v
		}
	}
	return json.Marshal(out)
}
