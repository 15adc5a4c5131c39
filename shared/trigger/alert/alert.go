// Package alert is the normalized form of every alert source (Alertmanager, Grafana, Alibaba
// CloudMonitor, Huawei Cloud Eye, AWS CloudWatch) and the rules that turn a firing alert into a
// reset command (config.AlertRule, SPEC §6).
package alert

import (
	"fmt"
	"sort"
	"strings"

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
	// Fields are other facts of the alert a rule may match on (metricName, namespace, the
	// CloudMonitor application groupId, …). They never name the consumer group.
	Fields map[string]string `json:"fields,omitempty"`
	// ID identifies the alert at its source (fingerprint, transId, message id), for the audit.
	ID string `json:"id,omitempty"`
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
	if v, ok := a.Labels[key]; ok {
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
	for _, m := range []map[string]string{a.Labels, a.Fields} {
		for k, v := range m {
			if strings.EqualFold(k, key) {
				return v, true
			}
		}
	}
	for _, n := range nameKeys {
		if strings.EqualFold(key, n) {
			return a.Name, true
		}
	}
	return "", false
}

// label finds the first label whose normalized name is one of keys.
func (a Alert) label(keys []string) string {
	names := make([]string, 0, len(a.Labels))
	for k := range a.Labels {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, want := range keys {
		for _, k := range names {
			if normalize(k) == want && strings.TrimSpace(a.Labels[k]) != "" {
				return strings.TrimSpace(a.Labels[k])
			}
		}
	}
	return ""
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
	cmd := reset.Command{Target: rule.Target, Group: rule.Group, Topics: append([]string(nil), rule.Topics...), To: rule.To}
	if cmd.Group == "" {
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

// Describe is a short text of the alert's labels for answers: k=v sorted, at most n pairs.
func (a Alert) Describe(n int) string {
	keys := make([]string, 0, len(a.Labels))
	for k := range a.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for i, k := range keys {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(keys)-n))
			break
		}
		parts = append(parts, k+"="+a.Labels[k])
	}
	return strings.Join(parts, ", ")
}
