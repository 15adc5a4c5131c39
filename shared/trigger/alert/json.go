package alert

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// DecodeJSON reads exactly one JSON object, with sentences for the usual mistakes. It decodes
// in place (no reader buffer: a 1 MiB body is not copied again).
func DecodeJSON(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return errors.New("the request body is empty; send the webhook JSON")
	}
	if trimmed[0] != '{' {
		return errors.New("the request body is not a JSON object; send the webhook JSON")
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		return JSONError(err)
	}
	return nil
}

// JSONError turns a decoding error into a sentence.
func JSONError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var body *BodyError
	switch {
	case errors.As(err, &body):
		return body
	case errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &syn) && syn.Error() == "unexpected end of JSON input":
		return errors.New("the request body ends in the middle of the JSON; send the whole payload")
	case errors.As(err, &syn) && strings.HasSuffix(syn.Error(), "after top-level value"):
		return errors.New("the request body has data after the JSON object")
	case errors.As(err, &syn):
		return fmt.Errorf("the request body is not valid JSON (at byte %d: %v)", syn.Offset, syn)
	case errors.As(err, &typ):
		return fmt.Errorf("field %q has the wrong type (%s, expected %s)", typ.Field, typ.Value, typ.Type)
	}
	return fmt.Errorf("the request body could not be read: %v", err)
}

// BodyError is a refusal whose text is already the sentence to answer (a body part bigger than
// accepted); JSONError passes it through unchanged.
type BodyError struct{ Text string }

func (e *BodyError) Error() string { return e.Text }

// MaxLabels bounds one label set of an alert webhook (one alert's labels, commonLabels): real
// ones have tens of labels; the bound keeps a hostile body from costing more than its size.
const MaxLabels = 256

// LabelSet is a label map decoded from JSON with at most MaxLabels labels: a bigger one is
// refused before any of it is decoded.
type LabelSet map[string]string

// UnmarshalJSON counts the labels first, then decodes them.
func (l *LabelSet) UnmarshalJSON(raw []byte) error {
	if n := CountJSON(raw); n > MaxLabels {
		return &BodyError{fmt.Sprintf("a label set of the webhook has %d labels, more than the %d accepted; drop the labels no alert rule needs (Prometheus alert_relabel_configs, Grafana label templates)", n, MaxLabels)}
	}
	m, ok := flatStrings(raw)
	if !ok {
		// Not a flat object of plain strings: encoding/json decodes it, or says what is wrong.
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
	}
	*l = m
	return nil
}

// flatStrings decodes a JSON object whose values are all strings in one pass: keys and values
// without escapes are substrings of one copy of raw (one allocation for the text of all labels).
// ok is false for anything else (null, a value that is not a string), which the caller leaves
// to encoding/json.
func flatStrings(raw []byte) (m map[string]string, ok bool) {
	s := string(raw)
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return nil, false
	}
	m = make(map[string]string, CountJSON(raw))
	if i = skipSpace(s, i+1); i < len(s) && s[i] == '}' {
		return m, true
	}
	for {
		k, next, ok := jsonString(raw, s, i)
		if !ok {
			return nil, false
		}
		if i = skipSpace(s, next); i >= len(s) || s[i] != ':' {
			return nil, false
		}
		v, next, ok := jsonString(raw, s, skipSpace(s, i+1))
		if !ok {
			return nil, false
		}
		m[k] = v
		switch i = skipSpace(s, next); {
		case i < len(s) && s[i] == ',':
			i = skipSpace(s, i+1)
		case i < len(s) && s[i] == '}':
			return m, true
		default:
			return nil, false
		}
	}
}

// jsonString reads the JSON string that starts at s[i] (s is string(raw)): its value and the
// index after it. A string with escapes or bytes that are not plain printable ASCII is decoded by
// encoding/json (which also replaces invalid UTF-8), so the result is always what encoding/json
// gives.
func jsonString(raw []byte, s string, i int) (v string, next int, ok bool) {
	if i >= len(s) || s[i] != '"' {
		return "", 0, false
	}
	end := i + 1
	plain := true
	for ; end < len(s) && s[end] != '"'; end++ {
		if c := s[end]; c == '\\' || c < 0x20 || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		if end >= len(s) {
			return "", 0, false
		}
		return s[i+1 : end], end + 1, true
	}
	if end = stringEnd(raw, i); end >= len(raw) {
		return "", 0, false
	}
	var decoded string // its own variable: &v would move every call's v to the heap
	if err := json.Unmarshal(raw[i:end+1], &decoded); err != nil {
		return "", 0, false
	}
	return decoded, end + 1, true
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// DecodeList decodes a JSON array of at most max elements into dst. A longer one is refused,
// with the sentence tooMany(n), before any element is decoded, so an array of a million empty
// elements costs a scan, not a million elements.
func DecodeList[T any](raw []byte, max int, dst *[]T, tooMany func(n int) string) error {
	if n := CountJSON(raw); n > max {
		return &BodyError{tooMany(n)}
	}
	return json.Unmarshal(raw, dst)
}

// CountJSON counts the members of a JSON object or the elements of a JSON array without decoding
// them: one pass over the bytes, no allocation. It is 0 for anything else (null, a scalar). raw
// should be one valid JSON value, as a json.Unmarshaler receives it; on other input the count is
// a guess, never a failure.
func CountJSON(raw []byte) int {
	i := 0
	for i < len(raw) && isSpace(raw[i]) {
		i++
	}
	if i == len(raw) || (raw[i] != '[' && raw[i] != '{') {
		return 0
	}
	depth, commas, empty := 0, 0, true
	for ; i < len(raw); i++ {
		switch c := raw[i]; c {
		case '"':
			if depth == 1 {
				empty = false
			}
			i = stringEnd(raw, i)
		case '[', '{':
			depth++
			if depth == 2 {
				empty = false
			}
		case ']', '}':
			depth--
			if depth == 0 {
				if empty {
					return 0
				}
				return commas + 1
			}
		case ',':
			if depth == 1 {
				commas++
			}
		case ' ', '\t', '\n', '\r':
		default:
			if depth == 1 {
				empty = false
			}
		}
	}
	if empty {
		return 0
	}
	return commas + 1
}

// CountEntries is an upper bound of the members and elements of a JSON text at any depth: the
// commas outside strings, plus one. One pass, no allocation; for a bound checked before
// decoding into maps of any depth.
func CountEntries[T ~string | ~[]byte](s T) int {
	n := 1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',':
			n++
		case '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		}
	}
	return n
}

// stringEnd is the index of the quote that closes the string whose opening quote is at
// raw[start] (len(raw) when it is not closed): the next quote not preceded by an odd number of
// backslashes.
func stringEnd(raw []byte, start int) int {
	for i := start + 1; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '"')
		if j < 0 {
			return len(raw)
		}
		i += j
		k := i
		for k > start+1 && raw[k-1] == '\\' {
			k--
		}
		if (i-k)%2 == 0 {
			return i
		}
		i++
	}
	return len(raw)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// MaxKeyLen bounds an Alert.Key; BoundKey replaces a longer one by its digest.
const MaxKeyLen = 200

// BoundKey returns key, or "sha256:" and the hex SHA-256 of key when it is longer than
// MaxKeyLen, so a Key fits a Kafka commit's metadata and an audit line whatever the source sent.
func BoundKey(key string) string {
	if len(key) <= MaxKeyLen {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// KeyTime normalizes a source's time text for a Key: RFC 3339 in UTC, fractional seconds only as
// far as they are not zero ("2026-11-21T18:52:30.000Z" and "2026-11-21T19:52:30+01:00" are both
// "2026-11-21T18:52:30Z"). It reads RFC 3339, CloudWatch's "+0000" offsets and Unix seconds or
// milliseconds; text it cannot read is kept, trimmed.
func KeyTime(s string) string {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Format(time.RFC3339Nano)
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		t := time.Unix(n, 0)
		if n > 1e11 {
			t = time.UnixMilli(n)
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	return s
}
