package cloudeye

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"offsetreset/shared/trigger/alert"
)

// The message of a Cloud Eye notification is whatever its message template makes of the alarm:
// JSON (recommended; see docs/triggers.md) or "key: value" lines. These are the keys read, after
// lowercasing and dropping '_', '-' and spaces.
var (
	nameKeys   = []string{"alarmname", "alarm", "name", "rulename", "告警名称"}
	stateKeys  = []string{"alarmstatus", "alarmstate", "status", "state", "告警状态"}
	dimKeys    = []string{"dimensions", "dimension", "resources", "维度"}
	labelKeys  = []string{"consumergroup", "groupid", "group", "topic", "topicname"}
	firingVals = []string{"alarm", "alarming", "firing", "triggered", "告警中", "触发"}
)

func norm(k string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(k)) {
		if r == ' ' || r == '_' || r == '-' || r == '.' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// MaxFields bounds the fields of one alarm message (JSON members and array elements at any
// depth, "key: value" lines, dimension pairs): a Cloud Eye message template has tens. A bigger
// message is refused before it is decoded, so reading one costs time and memory linear in it.
const MaxFields = 256

// ErrNoAlarm is ParseAlarm's answer for a message that names no alarm.
var ErrNoAlarm = errors.New("the SMN message names no alarm (no alarm_name in its message); use a Cloud Eye message template that includes the alarm name and status")

// errTooBig is the answer for a message with more than MaxFields fields.
func errTooBig(what string) error {
	return fmt.Errorf("the SMN message has more than %d %s; a Cloud Eye message template has tens: check the template of the SMN topic", MaxFields, what)
}

// Alarm reads the alarm of a notification message. ok is false when the message names no alarm
// or is too big to read (ParseAlarm says which).
func Alarm(m Message) (a alert.Alert, ok bool) {
	a, err := ParseAlarm(m)
	return a, err == nil
}

// ParseAlarm reads the alarm of a notification message: ErrNoAlarm when it names none, an error
// saying so when it has more than MaxFields fields.
//
// The alarm's Key is the SMN message_id: SMN keeps it across its delivery retries, and a new
// notification of the same alarm gets a new one.
func ParseAlarm(m Message) (a alert.Alert, err error) {
	flat := map[string]string{}
	var dims map[string]string
	var obj map[string]any
	msg := strings.TrimSpace(m.Message)
	isJSON := false
	if strings.HasPrefix(msg, "{") {
		if alert.CountEntries(msg) > MaxFields {
			return alert.Alert{}, errTooBig("JSON fields")
		}
		isJSON = json.Unmarshal([]byte(msg), &obj) == nil
	}
	if isJSON {
		flatten("", obj, flat)
		for k, v := range obj {
			if in(norm(k), dimKeys) {
				if dims, err = dimensions(v); err != nil {
					return alert.Alert{}, err
				}
			}
			if mm, isMap := v.(map[string]any); isMap && norm(k) == "metric" {
				for k2, v2 := range mm {
					if in(norm(k2), dimKeys) {
						if dims, err = dimensions(v2); err != nil {
							return alert.Alert{}, err
						}
					}
				}
			}
		}
	} else {
		lines := 0
		for rest := m.Message; rest != ""; {
			var line string
			line, rest = cutLine(rest)
			k, v, found := cutAny(line, ":", "：", "=")
			if !found {
				continue
			}
			if lines++; lines > MaxFields {
				return alert.Alert{}, errTooBig("lines")
			}
			flat[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		for k, v := range flat {
			if in(norm(k), dimKeys) {
				if dims, err = dimensions(v); err != nil {
					return alert.Alert{}, err
				}
			}
		}
	}
	labels := map[string]string{}
	for k, v := range dims {
		labels[k] = v
	}
	fields := map[string]string{}
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := flat[k]
		n := norm(k)
		switch {
		case a.Name == "" && in(n, nameKeys):
			a.Name = v
		case a.State == "" && in(n, stateKeys):
			a.State = v
		}
		if in(n, labelKeys) {
			if _, dup := labels[k]; !dup {
				labels[k] = v
			}
			continue
		}
		fields[k] = v
	}
	if m.Subject != "" {
		fields["subject"] = m.Subject
	}
	fields["topic_urn"] = m.TopicURN
	if a.Name == "" {
		return alert.Alert{}, ErrNoAlarm
	}
	a.Source = "cloudeye"
	a.Firing = in(strings.ToLower(strings.TrimSpace(a.State)), firingVals)
	a.Labels = labels
	a.Fields = fields
	a.ID = m.MessageID
	a.Key = alert.BoundKey(m.MessageID)
	return a, nil
}

// cutLine cuts the first line of a text message: lines end at '\n', ';' or '；'.
func cutLine(s string) (line, rest string) {
	for i, r := range s {
		if r == '\n' || r == ';' || r == '；' {
			return s[:i], s[i+len(string(r)):]
		}
	}
	return s, ""
}

func in(s string, list []string) bool {
	for _, v := range list {
		if s == v {
			return true
		}
	}
	return false
}

func cutAny(s string, seps ...string) (string, string, bool) {
	best := -1
	var sep string
	for _, c := range seps {
		if i := strings.Index(s, c); i >= 0 && (best < 0 || i < best) {
			best, sep = i, c
		}
	}
	if best < 0 {
		return "", "", false
	}
	return s[:best], s[best+len(sep):], true
}

// flatten keeps the scalar values of a JSON object, nested keys joined with '.'.
func flatten(prefix string, obj map[string]any, out map[string]string) {
	for k, v := range obj {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		switch t := v.(type) {
		case string:
			out[key] = t
		case float64, bool:
			b, _ := json.Marshal(t)
			out[key] = string(b)
		case map[string]any:
			if len(prefix) < 64 {
				flatten(key, t, out)
			}
		}
	}
}

// dimensions reads dimensions as a JSON object, a list of {name, value}, or text
// "name:value,name2:value2" / "name=value, …" (at most MaxFields pairs).
func dimensions(v any) (map[string]string, error) {
	out := map[string]string{}
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if s, ok := x.(string); ok {
				out[k] = s
			}
		}
	case []any:
		for _, item := range t {
			m, ok := item.(map[string]any)
			if !ok {
				continue
			}
			name, _ := m["name"].(string)
			value, _ := m["value"].(string)
			if name != "" {
				out[name] = value
				continue
			}
			for k, x := range m {
				if s, ok := x.(string); ok {
					out[k] = s
				}
			}
		}
	case string:
		s := strings.Trim(strings.TrimSpace(t), "{}[]")
		if strings.Count(s, ",")+strings.Count(s, "，") >= MaxFields {
			return nil, errTooBig("dimensions")
		}
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' }) {
			k, val, ok := cutAny(part, "=", ":", "：")
			if ok && strings.TrimSpace(k) != "" {
				out[strings.TrimSpace(k)] = strings.TrimSpace(val)
			}
		}
	}
	return out, nil
}
