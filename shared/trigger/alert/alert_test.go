package alert

import (
	"reflect"
	"testing"

	"offsetreset/shared/config"
	"offsetreset/shared/reset"
)

func TestLookupAndMatch(t *testing.T) {
	a := Alert{Source: "cloudwatch", Name: "lag", Firing: true,
		Labels: map[string]string{"Consumer Group": "orders-etl", "Topic": "payments"},
		Fields: map[string]string{"AlarmName": "lag", "alarmName": "lag", "MetricName": "SumOffsetLag", "groupId": "41263096"}}
	for _, c := range []struct {
		key, want string
		ok        bool
	}{
		{"Consumer Group", "orders-etl", true},
		{"consumer group", "orders-etl", true}, // case-insensitive fallback
		{"MetricName", "SumOffsetLag", true},
		{"alertname", "lag", true}, // the name, for every source
		{"AlarmName", "lag", true},
		{"nope", "", false},
	} {
		got, ok := a.Lookup(c.key)
		if got != c.want || ok != c.ok {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", c.key, got, ok, c.want, c.ok)
		}
	}
	rules := []config.AlertRule{
		{Name: "other-source", Source: "grafana", Match: map[string]string{"alertname": "lag"}},
		{Name: "wrong-metric", Source: "cloudwatch", Match: map[string]string{"alertname": "lag", "MetricName": "MaxOffsetLag"}},
		{Name: "hit", Source: "cloudwatch", Match: map[string]string{"AlarmName": "lag", "MetricName": "SumOffsetLag"}},
		{Name: "later-hit", Source: "cloudwatch", Match: map[string]string{"alarmName": "lag"}},
	}
	r, ok := Find(rules, a)
	if !ok || r.Name != "hit" {
		t.Fatalf("Find = %q, %v; want the first matching rule, hit", r.Name, ok)
	}
	if Matches(config.AlertRule{Source: "cloudwatch"}, a) {
		t.Fatal("a rule with an empty match must match nothing")
	}
}

func TestCommandGroupAndTopic(t *testing.T) {
	rule := config.AlertRule{Name: "skip", Source: "alertmanager", Target: "demo", To: "latest"}
	cases := []struct {
		name   string
		rule   config.AlertRule
		labels map[string]string
		fields map[string]string
		want   reset.Command
		err    string
	}{
		{name: "consumergroup label", rule: rule, labels: map[string]string{"consumergroup": "billing", "topic": "orders"},
			want: reset.Command{Target: "demo", Group: "billing", Topics: []string{"orders"}, To: "latest", Reason: "alert alertmanager KafkaConsumerLagHigh via rule skip (fp1)"}},
		{name: "consumerGroup dimension wins over group", rule: rule, labels: map[string]string{"group": "x", "consumerGroup": "billing"},
			want: reset.Command{Target: "demo", Group: "billing", To: "latest", Reason: "alert alertmanager KafkaConsumerLagHigh via rule skip (fp1)"}},
		{name: "RocketMQ groupId dimension", rule: rule, labels: map[string]string{"groupId": "GID_orders", "topic": "orders"},
			want: reset.Command{Target: "demo", Group: "GID_orders", Topics: []string{"orders"}, To: "latest", Reason: "alert alertmanager KafkaConsumerLagHigh via rule skip (fp1)"}},
		{name: "rule sets group and topics", rule: config.AlertRule{Name: "fixed", Target: "demo", To: "ago:10m", Group: "billing", Topics: []string{"orders", "payments"}},
			labels: map[string]string{"consumergroup": "other", "topic": "t"},
			want:   reset.Command{Target: "demo", Group: "billing", Topics: []string{"orders", "payments"}, To: "ago:10m", Reason: "alert alertmanager KafkaConsumerLagHigh via rule fixed (fp1)"}},
		{name: "groupId field is not a consumer group", rule: rule, labels: map[string]string{"instanceId": "i-1"}, fields: map[string]string{"groupId": "41263096"},
			err: "alert rule skip matched alert KafkaConsumerLagHigh, but the alert has no consumer group label or dimension (consumergroup, consumerGroup, group or groupId) and the rule sets no group; add group to the rule or the label to the alert"},
	}
	for _, c := range cases {
		a := Alert{Source: "alertmanager", Name: "KafkaConsumerLagHigh", Firing: true, Labels: c.labels, Fields: c.fields, ID: "fp1"}
		got, err := Command(c.rule, a)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%s: err = %v\nwant %s", c.name, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: Command = %+v, %v\nwant %+v", c.name, got, err, c.want)
		}
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	var v map[string]any
	for in, want := range map[string]string{
		"":                   "the request body is empty; send the webhook JSON",
		"alerts=1":           "the request body is not a JSON object; send the webhook JSON",
		`{"alerts":[`:        "the request body ends in the middle of the JSON; send the whole payload",
		`{"a":1} {"b":2}`:    "the request body has data after the JSON object",
		`{"a":tru}`:          "the request body is not valid JSON (at byte 9: invalid character '}' in literal true (expecting 'e'))",
		"[1]":                "the request body is not a JSON object; send the webhook JSON",
		"{\"a\":\"\x00\"}":   "the request body is not valid JSON (at byte 7: invalid character '\\x00' in string literal)",
		`{"status":"firing"`: "the request body ends in the middle of the JSON; send the whole payload",
	} {
		err := DecodeJSON([]byte(in), &v)
		if err == nil || err.Error() != want {
			t.Errorf("DecodeJSON(%q) = %v\nwant %s", in, err, want)
		}
	}
}
