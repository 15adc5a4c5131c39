// Package cloudmonitor decodes Alibaba Cloud CloudMonitor threshold-alert callbacks: an
// application/x-www-form-urlencoded POST whose dimensions field is Java-map text such as
// {instanceId=alikafka_post-cn-x, consumerGroup=billing, topic=orders}.
//
// The callback's top-level groupId field is CloudMonitor's application group, never a consumer
// group: it is kept as a field a rule may match on, and only dimensions name the consumer group.
//
// Decoding costs time and memory linear in the body: a callback has about 25 fields, and one with
// more than MaxFormFields fields or more than alert.MaxLabels dimensions is refused before they
// are decoded.
package cloudmonitor

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"offsetreset/shared/trigger/alert"
)

// fieldNames are the callback fields kept for matching (besides alertName and the dimensions).
var fieldNames = []string{"metricName", "rawMetricName", "metricProject", "namespace", "expression", "curValue", "unit",
	"instanceName", "regionId", "regionName", "triggerLevel", "preTriggerLevel", "ruleId", "userId", "groupId",
	"productGroupName", "timestamp", "lastTime"}

// MaxFormFields bounds the form fields of one callback.
const MaxFormFields = 1000

// Decode reads one callback body. alertName and alertState are required.
//
// The alert's Key is ruleId (alertName when there is none), the dimensions sorted by name, and
// "@" + timestamp (RFC 3339, UTC): the rule and the object it fired for name the alarm, and
// timestamp, when CloudMonitor generated the notification, tells one notification from the next.
// CloudMonitor's own retries (up to 3, the same request) carry the same fields. Neither lastTime
// (how long the alarm has lasted, as text such as "15分钟": not unique) nor transId (undocumented;
// it may differ per attempt) is used; transId stands in for the time only when timestamp is
// missing.
func Decode(body []byte) ([]alert.Alert, error) {
	text := strings.TrimSpace(string(body))
	if len(text) == 0 {
		return nil, errors.New("the request body is empty; CloudMonitor sends the alert as form fields (alertName, alertState, dimensions, …)")
	}
	if n := strings.Count(text, "&") + 1; n > MaxFormFields {
		return nil, fmt.Errorf("the form has %d fields, more than the %d accepted; this route takes CloudMonitor threshold-alert callbacks (about 25 fields)", n, MaxFormFields)
	}
	form, err := url.ParseQuery(text)
	if err != nil {
		return nil, fmt.Errorf("the request body is not form-encoded (%v); CloudMonitor callbacks are application/x-www-form-urlencoded", err)
	}
	name := value(form, "alertName")
	state := value(form, "alertState")
	if name == "" || state == "" {
		return nil, errors.New("the form has no alertName or alertState; this route takes CloudMonitor threshold-alert callbacks")
	}
	dims, err := ParseDimensions(value(form, "dimensions"))
	if err != nil {
		return nil, err
	}
	fields := map[string]string{}
	for _, f := range fieldNames {
		if v := value(form, f); v != "" {
			fields[f] = v
		}
	}
	return []alert.Alert{{
		Source: "cloudmonitor",
		Name:   name,
		Firing: strings.EqualFold(state, "ALERT"),
		State:  state,
		Labels: dims,
		Fields: fields,
		ID:     value(form, "transId"),
		Key:    key(form, name, dims),
	}}, nil
}

// key is the Key of Decode's doc: ruleId{k=v, …}@timestamp.
func key(form url.Values, name string, dims map[string]string) string {
	id := value(form, "ruleId")
	if id == "" {
		id = name
	}
	names := make([]string, 0, len(dims))
	for k := range dims {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(id + "{")
	for i, k := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + "=" + dims[k])
	}
	at := alert.KeyTime(value(form, "timestamp"))
	if at == "" {
		at = value(form, "transId")
	}
	b.WriteString("}@" + at)
	return alert.BoundKey(b.String())
}

// value is the trimmed first value; CloudMonitor writes the literal "null" for unset fields.
func value(form url.Values, key string) string {
	v := strings.TrimSpace(form.Get(key))
	if v == "null" {
		return ""
	}
	return v
}

// ParseDimensions reads the dimensions field: Java-map text {k=v, k2=v2} (what CloudMonitor
// sends), or the JSON object or array of objects older documentation shows. More than
// alert.MaxLabels parts are refused before they are read.
func ParseDimensions(s string) (map[string]string, error) {
	s = strings.TrimSpace(s)
	out := map[string]string{}
	if s == "" || s == "{}" || s == "[]" {
		return out, nil
	}
	if n := strings.Count(s, ","); n >= alert.MaxLabels {
		return nil, fmt.Errorf("dimensions %q has %d comma-separated parts, more than the %d accepted; CloudMonitor sends a few (instanceId, consumerGroup, topic, …)", trunc(s, 80), n+1, alert.MaxLabels)
	}
	switch {
	case strings.HasPrefix(s, "[") || strings.HasPrefix(s, `{"`):
		return parseJSONDimensions(s)
	case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
		s = s[1 : len(s)-1]
	default:
		return nil, fmt.Errorf("dimensions %q is not {key=value, …}", trunc(s, 80))
	}
	// A ", " inside a value belongs to the previous pair: the value is built in a Builder, so a
	// long run of them costs their length, not its square.
	var last string
	var val strings.Builder
	flush := func() {
		if last != "" {
			out[last] = val.String()
		}
	}
	for rest := s; ; {
		part, after, more := strings.Cut(rest, ", ")
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, "{}") {
			if last == "" {
				return nil, fmt.Errorf("dimensions %q is not {key=value, …}", trunc(s, 80))
			}
			val.WriteString(", " + part)
		} else {
			flush()
			last = k
			val.Reset()
			val.WriteString(strings.TrimSpace(v))
		}
		if !more {
			break
		}
		rest = after
	}
	flush()
	return out, nil
}

func parseJSONDimensions(s string) (map[string]string, error) {
	var list []map[string]any
	if strings.HasPrefix(s, "[") {
		if err := json.Unmarshal([]byte(s), &list); err != nil {
			return nil, fmt.Errorf("dimensions %q is not valid JSON: %v", trunc(s, 80), err)
		}
	} else {
		var one map[string]any
		if err := json.Unmarshal([]byte(s), &one); err != nil {
			return nil, fmt.Errorf("dimensions %q is not valid JSON: %v", trunc(s, 80), err)
		}
		list = append(list, one)
	}
	out := map[string]string{}
	for _, m := range list {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			switch v := m[k].(type) {
			case string:
				out[k] = v
			case nil:
			default:
				b, _ := json.Marshal(v)
				out[k] = string(b)
			}
		}
	}
	return out, nil
}

func trunc(s string, n int) string {
	if len(s) > n {
		s = s[:n]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		return s + "…"
	}
	return s
}
