// Package alert is the normalized form of every alert source (Alertmanager, Grafana, Alibaba
// CloudMonitor, Huawei Cloud Eye, AWS CloudWatch) and the rules that turn a firing alert into a
// reset command (config.AlertRule, SPEC §6).
package alert

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"offsetreset/shared/config"
	"offsetreset/shared/reset"
)

// Alert is one alert of one webhook or event, whatever its source.
type Alert struct {
	// Source is one of config.AlertSources.
	Source string `json:"source"`
	// Name is the alert or alarm name (Alertmanager's alertname label, CloudMonitor's alertName,
	// CloudWatch's AlarmName).
	Name string `json:"name"`
	// Firing is true only for states that act: firing (Alertmanager, Grafana), ALERT
	// (CloudMonitor), alarm (Cloud Eye), ALARM (CloudWatch).
	Firing bool `json:"firing"`
	// State is the source's own word for the state, shown in answers.
	State string `json:"state"`
	// Labels are the labels or metric dimensions; the consumer group and topic come from here.
	Labels map[string]string `json:"labels,omitempty"`
	// Common are labels every alert of one webhook shares (Alertmanager's commonLabels): one map,
	// shared by the alerts of the webhook and never copied into each, so a webhook's cost stays
	// linear in its size. A key in Labels wins over the same key here. Read labels through Label,
	// Lookup, Group, Topic and Describe, which see both. Treat it as read-only. It is not
	// marshalled: repeated in every alert it would make an answer cost alerts × labels.
	Common map[string]string `json:"-"`
	// Fields are other facts of the alert a rule may match on (metricName, namespace, the
	// CloudMonitor application groupId, …). They never name the consumer group.
	Fields map[string]string `json:"fields,omitempty"`
	// ID identifies the alert at its source (fingerprint, transId, message id), for the audit.
	ID string `json:"id,omitempty"`
	// Key is the identity of one notification, the same across webhook retries and Alertmanager HA peers.
	// (Unique within Source, at most MaxKeyLen bytes; each decoder's doc says what it is made of.)
	Key string `json:"key,omitempty"`
}

// nameKeys are the match keys that mean the alert's name when no label of that name exists.
var nameKeys = []string{"alertname", "alertName", "AlarmName", "alarmName", "alarm_name", "name"}

// groupKeys and topicKeys are the label/dimension names (compared after normalize) that carry the
// consumer group and the topic, in order of preference. "Consumer Group" (CloudWatch AWS/Kafka)
// normalizes to consumergroup; RocketMQ's groupId is its consumer group.
var (
	groupKeys = []string{"consumergroup", "groupid", "group"}
	topicKeys = []string{"topic", "topicname"}
)

// normalize lowercases a key and drops spaces, '_' and '-', so consumerGroup, consumer_group and
// "Consumer Group" are one key.
func normalize(k string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(k) {
		if r == ' ' || r == '_' || r == '-' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Lookup finds a match key: a label or dimension first, then a field, then the alert's name for
// the usual name keys; keys are compared exactly, then case-insensitively.
func (a Alert) Lookup(key string) (string, bool) {
	if v, ok := a.Label(key); ok {
		return v, true
	}
	if v, ok := a.Fields[key]; ok {
		return v, true
	}
	for _, n := range nameKeys {
		if key == n {
			return a.Name, true
		}
	}
	for k, v := range a.Labels {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	for k, v := range a.Common {
		if _, shadowed := a.Labels[k]; !shadowed && strings.EqualFold(k, key) {
			return v, true
		}
	}
	for k, v := range a.Fields {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	for _, n := range nameKeys {
		if strings.EqualFold(key, n) {
			return a.Name, true
		}
	}
	return "", false
}

// Label is the value of one label: from Labels, else from Common.
func (a Alert) Label(key string) (string, bool) {
	if v, ok := a.Labels[key]; ok {
		return v, true
	}
	v, ok := a.Common[key]
	return v, ok
}

// eachLabel calls f for every label the alert has (Labels, then the keys of Common that Labels
// does not have), in no particular order.
func (a Alert) eachLabel(f func(k, v string)) {
	for k, v := range a.Labels {
		f(k, v)
	}
	for k, v := range a.Common {
		if _, shadowed := a.Labels[k]; !shadowed {
			f(k, v)
		}
	}
}

// NumLabels is how many labels the alert has, Labels and Common together.
func (a Alert) NumLabels() int {
	n := len(a.Labels)
	for k := range a.Common {
		if _, shadowed := a.Labels[k]; !shadowed {
			n++
		}
	}
	return n
}

// normalizedIs reports whether normalize(k) == want (want is already normalized), without
// allocating for ASCII names.
func normalizedIs(k, want string) bool {
	i := 0
	for j := 0; j < len(k); j++ {
		c := k[j]
		switch {
		case c == ' ' || c == '_' || c == '-':
			continue
		case c >= 0x80:
			return normalize(k) == want
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		if i >= len(want) || want[i] != c {
			return false
		}
		i++
	}
	return i == len(want)
}

// label finds the label whose normalized name comes first in keys (the smallest name among
// equals) and whose value is not blank. It looks at each label once: no sorting, no copies.
func (a Alert) label(keys []string) string {
	best, bestName, bestValue := len(keys), "", ""
	a.eachLabel(func(k, v string) {
		if strings.TrimSpace(v) == "" {
			return
		}
		for i, want := range keys {
			if normalizedIs(k, want) {
				if i < best || (i == best && k < bestName) {
					best, bestName, bestValue = i, k, v
				}
				return
			}
		}
	})
	return strings.TrimSpace(bestValue)
}

// Group is the consumer group named by the alert's labels or dimensions, or "".
func (a Alert) Group() string { return a.label(groupKeys) }

// Topic is the topic named by the alert's labels or dimensions, or "".
func (a Alert) Topic() string { return a.label(topicKeys) }

// Matches reports whether the rule applies to the alert: same source, and every match key equal.
func Matches(rule config.AlertRule, a Alert) bool {
	if rule.Source != a.Source || len(rule.Match) == 0 {
		return false
	}
	for k, want := range rule.Match {
		got, ok := a.Lookup(k)
		if !ok || got != want {
			return false
		}
	}
	return true
}

// Find returns the first rule (in config order) that matches the alert. One alert runs at most
// one rule, so two overlapping rules cannot skip twice.
func Find(rules []config.AlertRule, a Alert) (config.AlertRule, bool) {
	for _, r := range rules {
		if Matches(r, a) {
			return r, true
		}
	}
	return config.AlertRule{}, false
}

// Command builds the reset command a matched rule makes of an alert. The group and topic come
// from the rule when it sets them, otherwise from the alert's labels or dimensions.
func Command(rule config.AlertRule, a Alert) (reset.Command, error) {
	cmd := reset.Command{Target: rule.Target, Group: rule.Group, Groups: append([]string(nil), rule.Groups...), Topics: append([]string(nil), rule.Topics...), To: rule.To}
	if cmd.Group == "" && len(cmd.Groups) == 0 {
		cmd.Group = a.Group()
	}
	if cmd.Group == "" {
		return cmd, fmt.Errorf("alert rule %s matched alert %s, but the alert has no consumer group label or dimension (consumergroup, consumerGroup, group or groupId) and the rule sets no group; add group to the rule or the label to the alert", rule.Name, a.Name)
	}
	if len(cmd.Topics) == 0 {
		if t := a.Topic(); t != "" {
			cmd.Topics = []string{t}
		}
	}
	reason := fmt.Sprintf("alert %s %s via rule %s", a.Source, a.Name, rule.Name)
	if a.ID != "" {
		reason += " (" + a.ID + ")"
	}
	if len(reason) > reset.MaxReasonLen {
		reason = strings.ToValidUTF8(reason[:reset.MaxReasonLen], "")
	}
	cmd.Reason = reason
	return cmd, nil
}

// Describe is a short text of the alert's labels for answers: k=v sorted, at most n pairs, each
// name and value cut at 64 bytes. It keeps only the n smallest names while it looks, so its cost
// is labels × n, not a sort of all.
func (a Alert) Describe(n int) string {
	n = max(n, 0)
	smallest := make([]string, 0, n+1)
	total := 0
	a.eachLabel(func(k, _ string) {
		total++
		if len(smallest) == n && (n == 0 || k > smallest[n-1]) {
			return
		}
		i := sort.SearchStrings(smallest, k)
		smallest = append(smallest, "")
		copy(smallest[i+1:], smallest[i:])
		smallest[i] = k
		if len(smallest) > n {
			smallest = smallest[:n]
		}
	})
	parts := make([]string, 0, len(smallest)+1)
	for _, k := range smallest {
		v, _ := a.Label(k)
		parts = append(parts, cut(k, 64)+"="+cut(v, 64))
	}
	if total > n {
		parts = append(parts, fmt.Sprintf("and %d more", total-n))
	}
	return strings.Join(parts, ", ")
}

// cut shortens s to at most n bytes (and "…"), on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// LimitReason is the reason to answer for an alert Limit dropped.
func LimitReason(max int) string {
	return fmt.Sprintf("the webhook carries more than %d firing alerts that a rule matches, the most one webhook acts on; this alert was not acted on and nothing changed for it (send fewer alerts per notification, e.g. with the receiver's max_alerts, or raise the limit)", max)
}
