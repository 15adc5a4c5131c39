package config

import (
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	cases := map[string]string{
		"":                                "the file is empty; it needs at least a targets section",
		"targets: {}":                     "no targets: add a targets section naming at least one backend",
		"targets:\n  a: {brokers: [x:1]}": "targets.a: provider is missing",
		"targets:\n  a: {provider: kafka, brokr: 1}":                                                                                        `line 2: unknown key "brokr" in a target; check its spelling against the configuration reference`,
		"targts:\n  a: {provider: kafka}":                                                                                                   `line 1: unknown key "targts" at the top level; check its spelling against the configuration reference`,
		"targets:\n  'a b': {provider: kafka}":                                                                                              "targets.a b: a target name uses letters, digits, '.', '_' and '-' (at most 64)",
		"targets:\n  a: {provider: alikafka, qps: -1}":                                                                                      "targets.a: qps -1 is out of range (0 < qps ≤ 1000; leave it out for the default 10)",
		"targets:\n  a: {provider: kafka}\npolicy:\n  - {name: x, triggers: [webhook]}":                                                     `policy "x": unknown trigger "webhook"; use api, schedule, alert, chat, cli`,
		"targets:\n  a: {provider: kafka}\npolicy:\n  - {name: x, triggers: [chat], to: [newest]}":                                          `policy "x": unknown to form "newest"; use latest, earliest, offset (also explicit offsets), shift, time, ago, group, current`,
		"targets:\n  a: {provider: kafka}\nalerts:\n  - {name: r, source: grafana, target: a, to: shift:+100, match: {a: b}}":               `alert rule "r": to "shift:+100" is not allowed in an alert rule: a re-sent or repeated alert would move the group again; use latest, earliest, time:T or ago:D`,
		"targets:\n  a: {provider: kafka}\nalerts:\n  - {name: r, source: grafana, target: a, to: offset:5, match: {a: b}}":                 `alert rule "r": to "offset:5" is not allowed in an alert rule: a re-sent or repeated alert would move the group again; use latest, earliest, time:T or ago:D`,
		"targets:\n  a: {provider: kafka}\nalerts:\n  - {name: r, source: grafana, target: a, to: latest, sameDelivery: 2d, match: {a: b}}": `alert rule "r": sameDelivery "2d" is not a duration between 1s and 24h (e.g. 30m)`,
		"targets:\n  a: {provider: kafka}\nalerts:\n  - {name: r, source: nagios, target: a, to: latest, match: {a: b}}":                    `alert rule "r": source "nagios" is not one of alertmanager, grafana, cloudmonitor, cloudeye, cloudwatch`,
		"targets:\n  a: {provider: kafka}\nalerts:\n  - {name: r, source: grafana, target: b, to: latest, match: {a: b}}":                   `alert rule "r": target "b" is not configured; configured targets: a`,
		"targets:\n  a: {provider: kafka}\nalerts:\n  - {name: r, source: grafana, target: a, to: latest}":                                  `alert rule "r": match is empty; an alert rule must match at least the alert name`,
		"targets:\n  a: {provider: kafka}\nnotify:\n  - {kind: teams, urlEnv: X}":                                                           `notify[0]: kind "teams" is not one of slack, dingtalk, webhook`,
	}
	for in, want := range cases {
		_, err := Parse([]byte(in))
		if err == nil || err.Error() != want {
			t.Errorf("Parse(%q)\n got %v\nwant %s", in, err, want)
		}
	}
}

func TestPolicySet(t *testing.T) {
	c, err := Parse([]byte("targets:\n  a: {provider: kafka, brokers: ['h:1']}\npolicy: []\n"))
	if err != nil || !c.PolicySet {
		t.Fatalf("%v %v", c, err)
	}
	c, err = Parse([]byte("targets:\n  a: {provider: kafka, brokers: ['h:1'], accessKeyIdEnv: X}\n"))
	if err != nil || c.PolicySet || c.Targets["a"].AccessKeyIDEnv != "X" || !strings.Contains(c.Targets["a"].Brokers[0], "h:1") {
		t.Fatalf("%+v %v", c, err)
	}
}
