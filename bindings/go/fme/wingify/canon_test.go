package wingify_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The comparison of bindings/c/tests/test_fme.c: events as canonical texts (object keys in their
// order, numbers as %.17g, the time part of msgId dropped), without what POLICY §4 says must differ.
var bodySkip = map[string]bool{"time": true, "sessionId": true, "sId": true, "vwo_sdkName": true,
	"vwo_sdkVersion": true, "sn": true, "sv": true, "eventId": true, "lv": true, "sdkInitTime": true,
	"settingsFetchTime": true, "initConfig": true}

var querySkip = map[string]bool{"eTime": true, "random": true, "sn": true, "sv": true}

// canon writes the canonical text of the JSON value read from dec.
func canon(b *strings.Builder, dec *json.Decoder, skip map[string]bool) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	return canonToken(b, dec, t, skip)
}

func canonToken(b *strings.Builder, dec *json.Decoder, t json.Token, skip map[string]bool) error {
	switch v := t.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return err
		}
		b.WriteString(strconv.FormatFloat(f, 'g', 17, 64))
	case string:
		b.WriteString(strconv.Quote(v))
	case json.Delim:
		switch v {
		case '[':
			b.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					b.WriteByte(',')
				}
				if err := canon(b, dec, skip); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			b.WriteString("]")
		case '{':
			b.WriteByte('{')
			first := true
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k := kt.(string)
				if skip[k] {
					var discard json.RawMessage
					if err := dec.Decode(&discard); err != nil {
						return err
					}
					continue
				}
				if !first {
					b.WriteByte(',')
				}
				first = false
				b.WriteString(strconv.Quote(k))
				b.WriteByte(':')
				if k == "msgId" {
					vt, err := dec.Token()
					if err != nil {
						return err
					}
					if s, ok := vt.(string); ok {
						if i := strings.LastIndexByte(s, '-'); i >= 0 {
							s = s[:i]
						}
						b.WriteString(strconv.Quote(s))
						continue
					}
					if err := canonToken(b, dec, vt, skip); err != nil {
						return err
					}
					continue
				}
				if k == "props" {
					// Properties and attributes come from a Go map, which has no order.
					var raw json.RawMessage
					if err := dec.Decode(&raw); err != nil {
						return err
					}
					b.WriteString(sortedCanon(raw, skip))
					continue
				}
				if err := canon(b, dec, skip); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			b.WriteByte('}')
		}
	}
	return nil
}

// sortedCanon is canonJSON of an object with its keys sorted (one level).
func sortedCanon(raw json.RawMessage, skip map[string]bool) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return canonJSON(raw, skip)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if !skip[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(k) + ":" + canonJSON(m[k], skip))
	}
	b.WriteByte('}')
	return b.String()
}

func canonJSON(raw []byte, skip map[string]bool) string {
	var b strings.Builder
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := canon(&b, dec, skip); err != nil {
		return "!" + err.Error() + ":" + string(raw)
	}
	return b.String()
}

// canonTarget is "path&k=v…" of a request target, decoded, without the skipped parameters.
func canonTarget(target string) string {
	p := target
	if i := strings.Index(p, "/events/t"); i >= 0 {
		p = p[i:]
	} else if i := strings.Index(p, "/server-side/"); i >= 0 {
		p = p[i:]
	}
	path, query, _ := strings.Cut(p, "?")
	var b strings.Builder
	b.WriteString(path)
	if query == "" {
		return b.String()
	}
	for _, part := range strings.Split(query, "&") {
		k, v, has := strings.Cut(part, "=")
		if querySkip[k] {
			continue
		}
		b.WriteString("&" + k + "=")
		if has {
			if d, err := url.PathUnescape(v); err == nil {
				v = d
			}
			b.WriteString(v)
		}
	}
	return b.String()
}

// payloadKeys: a batch gives one key per payload ("B <payload>"), a single event one key
// ("S <target> <payload>").
func payloadKeys(target string, body []byte) []string {
	if len(bytes.TrimSpace(body)) > 0 && !bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		var probe struct {
			Ev []json.RawMessage `json:"ev"`
		}
		if json.Unmarshal(body, &probe) == nil && probe.Ev != nil {
			var out []string
			for _, e := range probe.Ev {
				out = append(out, "B "+canonJSON(e, bodySkip))
			}
			return out
		}
		return []string{"S " + canonTarget(target) + " " + canonJSON(body, bodySkip)}
	}
	return []string{"S " + canonTarget(target) + " "}
}

// collector is an HTTP server on 127.0.0.1 that records every request.
type collector struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	target string
	body   []byte
}

func startCollector() *collector {
	c := &collector{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.reqs = append(c.reqs, recorded{r.URL.RequestURI(), body})
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, "{}")
	}))
	return c
}

func (c *collector) take() []recorded {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.reqs
	c.reqs = nil
	return r
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
