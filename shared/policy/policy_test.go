package policy

import (
	"testing"

	"offsetreset/shared/config"
	"offsetreset/shared/reset"
)

func plan(skips ...int64) *reset.Result {
	r := &reset.Result{}
	for i, s := range skips {
		r.Partitions = append(r.Partitions, reset.PartitionResult{Topic: "orders", Partition: int32(i), Skipped: reset.Int64(s), Status: reset.StatusPlanned})
	}
	return r
}

func TestDefaultsWithoutRules(t *testing.T) {
	cmd := reset.Command{Target: "prod-kafka", Group: "billing", To: "latest"}
	for trig, want := range map[string]string{
		"api":      "",
		"schedule": "",
		"alert":    "no policy rule allows alert triggers; add a rule with triggers: [alert] naming the targets and groups it may move",
		"chat":     "no policy rule allows chat triggers; add a rule with triggers: [chat] naming the targets and groups it may move",
	} {
		err := Check(nil, Request{Trigger: trig, Principal: "slack:U1", Command: cmd, Form: reset.FormLatest})
		if got := errText(err); got != want {
			t.Errorf("%s: %q, want %q", trig, got, want)
		}
		if err != nil && (reset.StatusOf(err) != reset.StatusRefused || err.(*reset.Error).RefusedBy != "policy") {
			t.Errorf("%s: not a policy refusal: %#v", trig, err)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestRuleMatrix(t *testing.T) {
	no := false
	rules := []config.PolicyRule{
		{Name: "oncall-chat", Triggers: []string{"chat"}, Principals: []string{"slack:U024BE7LH", "dingtalk:manager4711"}, Targets: []string{"prod-*"}, Groups: []string{"*"}, Topics: []string{"*"}, To: []string{"latest", "earliest", "time", "ago"}, MaxSkip: 100},
		{Name: "viewers", Triggers: []string{"chat"}, Principals: []string{"*"}, Targets: []string{"*"}, Groups: []string{"*"}, Topics: []string{"*"}, Apply: &no},
		{Name: "lag", Triggers: []string{"alert"}, Targets: []string{"prod-kafka"}, Groups: []string{"orders-*"}, Topics: []string{"orders"}, To: []string{"latest", "ago"}},
		{Name: "nightly-only-analytics", Triggers: []string{"schedule"}, Targets: []string{"*"}, Groups: []string{"analytics-*"}, Topics: []string{"*"}},
	}
	cmd := func(target, group string, dry bool, topics ...string) reset.Command {
		return reset.Command{Target: target, Group: group, Topics: topics, To: "latest", DryRun: dry}
	}
	cases := []struct {
		name string
		req  Request
		want string
	}{
		{"chat oncall apply", Request{Trigger: "chat", Principal: "slack:U024BE7LH", Command: cmd("prod-kafka", "billing", false), Form: reset.FormLatest, Plan: plan(60, 40)}, ""},
		{"maxSkip boundary", Request{Trigger: "chat", Principal: "slack:U024BE7LH", Command: cmd("prod-kafka", "billing", false), Form: reset.FormLatest, Plan: plan(100)}, ""},
		{"maxSkip +1", Request{Trigger: "chat", Principal: "slack:U024BE7LH", Command: cmd("prod-kafka", "billing", false), Form: reset.FormLatest, Plan: plan(101)},
			"refused by policy: rule oncall-chat: the reset would skip or replay 101 messages, more than its maxSkip 100; rule viewers: it allows planning only (apply: false)"},
		{"maxSkip counts replays", Request{Trigger: "chat", Principal: "slack:U024BE7LH", Command: cmd("prod-kafka", "billing", false), Form: reset.FormLatest, Plan: plan(50, -51)},
			"refused by policy: rule oncall-chat: the reset would skip or replay 101 messages, more than its maxSkip 100; rule viewers: it allows planning only (apply: false)"},
		{"maxSkip -1", Request{Trigger: "chat", Principal: "slack:U024BE7LH", Command: cmd("prod-kafka", "billing", false), Form: reset.FormLatest, Plan: plan(99)}, ""},
		{"unknown skip with maxSkip", Request{Trigger: "chat", Principal: "slack:U024BE7LH", Command: cmd("prod-kafka", "billing", false), Form: reset.FormLatest, Plan: &reset.Result{Partitions: []reset.PartitionResult{{Status: reset.StatusPlanned}}}},
			"refused by policy: rule oncall-chat: it limits a reset to 100 messages, and how many this reset skips is unknown for this backend and target; rule viewers: it allows planning only (apply: false)"},
		{"other user may plan", Request{Trigger: "chat", Principal: "slack:UOTHER", Command: cmd("dev-kafka", "billing", true), Form: reset.FormShift}, ""},
		{"other user may not apply", Request{Trigger: "chat", Principal: "slack:UOTHER", Command: cmd("prod-kafka", "billing", false), Form: reset.FormLatest},
			"refused by policy: rule oncall-chat: user slack:UOTHER is not among its principals; rule viewers: it allows planning only (apply: false)"},
		{"target glob miss", Request{Trigger: "chat", Principal: "dingtalk:manager4711", Command: cmd("staging-kafka", "billing", false), Form: reset.FormLatest},
			"refused by policy: rule oncall-chat: target staging-kafka does not match [prod-*]; rule viewers: it allows planning only (apply: false)"},
		{"form not allowed", Request{Trigger: "chat", Principal: "slack:U024BE7LH", Command: cmd("prod-kafka", "billing", false), Form: reset.FormShift},
			"refused by policy: rule oncall-chat: to form shift is not among [latest earliest time ago]; rule viewers: it allows planning only (apply: false)"},
		{"alert allowed", Request{Trigger: "alert", Command: cmd("prod-kafka", "orders-etl", false, "orders"), Form: reset.FormLatest}, ""},
		{"alert group miss", Request{Trigger: "alert", Command: cmd("prod-kafka", "billing", false, "orders"), Form: reset.FormLatest}, "refused by policy: rule lag: group billing does not match [orders-*]"},
		{"alert topic from plan", Request{Trigger: "alert", Command: cmd("prod-kafka", "orders-etl", false), Form: reset.FormLatest, Plan: &reset.Result{Partitions: []reset.PartitionResult{{Topic: "payments", Status: reset.StatusPlanned, Skipped: reset.Int64(1)}}}},
			"refused by policy: rule lag: topic payments does not match [orders]"},
		{"schedule named by a rule", Request{Trigger: "schedule", Command: cmd("prod-kafka", "billing", false), Form: reset.FormLatest}, "refused by policy: rule nightly-only-analytics: group billing does not match [analytics-*]"},
		{"api keeps its default", Request{Trigger: "api", Command: cmd("prod-kafka", "billing", false), Form: reset.FormShift}, ""},
	}
	for _, c := range cases {
		if got := errText(Check(rules, c.req)); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

func TestChannels(t *testing.T) {
	rules := []config.PolicyRule{{Name: "ops-room", Triggers: []string{"chat"}, Principals: []string{"*"}, Channels: []string{"slack:COPS"}, Targets: []string{"*"}, Groups: []string{"*"}, Topics: []string{"*"}}}
	cmd := reset.Command{Target: "prod-kafka", Group: "billing", To: "latest"}
	if err := Check(rules, Request{Trigger: "chat", Principal: "slack:U1", Channel: "slack:COPS", Command: cmd, Form: reset.FormLatest}); err != nil {
		t.Fatal(err)
	}
	err := Check(rules, Request{Trigger: "chat", Principal: "slack:U1", Channel: "slack:CRANDOM", Command: cmd, Form: reset.FormLatest})
	if errText(err) != "refused by policy: rule ops-room: channel slack:CRANDOM is not among its channels" {
		t.Fatal(err)
	}
}
