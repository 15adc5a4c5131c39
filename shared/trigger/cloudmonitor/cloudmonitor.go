// Package cloudmonitor decodes Alibaba Cloud CloudMonitor threshold-alert callbacks: an
// application/x-www-form-urlencoded POST whose dimensions field is Java-map text such as
// {instanceId=alikafka_post-cn-x, consumerGroup=billing, topic=orders}.
//
// The callback's top-level groupId field is CloudMonitor's application group, never a consumer
// group: it is kept as a field a rule may match on, and only dimensions name the consumer group.
package cloudmonitor

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"offsetreset/shared/trigger/alert"
)

// fieldNames are the callback fields kept for matching (besides alertName and the dimensions).
var fieldNames = []string{"metricName", "rawMetricName", "metricProject", "namespace", "expression", "curValue", "unit",
	"instanceName", "regionId", "regionName", "triggerLevel", "preTriggerLevel", "ruleId", "userId", "groupId",
	"productGroupName", "timestamp", "lastTime"}

// Decode reads one callback body. alertName and alertState are required.
func Decode(body []byte) ([]alert.Alert, error) {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, errors.New("the request body is empty; CloudMonitor sends the alert as form fields (alertName, alertState, dimensions, …)")
	}
	form, err := url.ParseQuery(strings.TrimSpace(string(body)))
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
	}}, nil
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
// sends), or the JSON object or array of objects older documentation shows.
func ParseDimensions(s string) (map[string]string, error) {
	s = strings.TrimSpace(s)
	out := map[string]string{}
	if s == "" || s == "{}" || s == "[]" {
		return out, nil
	}
	switch {
	case strings.HasPrefix(s, "[") || strings.HasPrefix(s, `{"`):
		return parseJSONDimensions(s)
	case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
		s = s[1 : len(s)-1]
	default:
		return nil, fmt.Errorf("dimensions %q is not {key=value, …}", trunc(s, 80))
	}
	var last string
	for _, part := range strings.Split(s, ", ") {
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, "{}") {
			// A ", " inside a value: it belongs to the previous pair.
			if last == "" {
				return nil, fmt.Errorf("dimensions %q is not {key=value, …}", trunc(s, 80))
			}
			out[last] += ", " + part
			continue
		}
		out[k] = strings.TrimSpace(v)
		last = k
	}
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
		return s[:n] + "…"
	}
	return s
}
