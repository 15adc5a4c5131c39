package alertmanager

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"offsetreset/events"
	"offsetreset/shared/internal/hostile"
	"offsetreset/shared/trigger/alert"
)

func TestDecodeSample(t *testing.T) {
	alerts, err := Decode(events.Read("http/alertmanager.json"))
	if err != nil {
		t.Fatal(err)
	}
	type short struct {
		name, state, group, topic, id string
		firing                        bool
	}
	var got []short
	for _, a := range alerts {
		if a.Source != "alertmanager" {
			t.Errorf("source %q", a.Source)
		}
		got = append(got, short{a.Name, a.State, a.Group(), a.Topic(), a.ID, a.Firing})
	}
	want := []short{
		{"KafkaConsumerLagHigh", "firing", "billing", "orders", "5d3bd0a1c2f95a7e", true},
		{"KafkaConsumerLagHigh", "firing", "analytics-web", "clickstream", "9a0e4c1f7b2d3e60", true},
		{"KafkaConsumerLagHigh", "resolved", "orders-etl", "payments", "c7e2a9d04b1f8653", false},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if alerts[0].Labels["severity"] != "warning" || alerts[0].Fields["receiver"] != "offsetreset" {
		t.Fatalf("labels %v fields %v", alerts[0].Labels, alerts[0].Fields)
	}
	var keys []string
	for _, a := range alerts {
		keys = append(keys, a.Key)
	}
	if want := []string{"5d3bd0a1c2f95a7e@2026-11-21T18:52:30Z", "9a0e4c1f7b2d3e60@2026-11-21T18:53:00Z", "c7e2a9d04b1f8653@2026-11-21T17:40:00Z"}; !reflect.DeepEqual(keys, want) {
		t.Fatalf("keys %q\nwant %q", keys, want)
	}
}

func TestKey(t *testing.T) {
	for startsAt, want := range map[string]string{
		"2026-11-21T18:52:30.000Z":       "fp@2026-11-21T18:52:30Z",
		"2026-11-21T19:52:30+01:00":      "fp@2026-11-21T18:52:30Z", // an HA peer that writes another zone
		"2026-11-21T18:52:30.123456789Z": "fp@2026-11-21T18:52:30.123456789Z",
		"yesterday":                      "fp@yesterday",
		"":                               "fp@",
	} {
		body := fmt.Sprintf(`{"alerts":[{"status":"firing","fingerprint":"fp","startsAt":%q}]}`, startsAt)
		alerts, err := Decode([]byte(body))
		if err != nil || alerts[0].Key != want {
			t.Errorf("startsAt %q: key %q, %v; want %q", startsAt, alerts[0].Key, err, want)
		}
	}
	alerts, err := Decode([]byte(`{"alerts":[{"status":"firing","startsAt":"2026-11-21T18:52:30Z"}]}`))
	if err != nil || alerts[0].Key != "" {
		t.Fatalf("no fingerprint: %+v %v", alerts, err)
	}
	long := strings.Repeat("f", 300)
	alerts, _ = Decode([]byte(`{"alerts":[{"fingerprint":"` + long + `"}]}`))
	if k := alerts[0].Key; len(k) > alert.MaxKeyLen || !strings.HasPrefix(k, "sha256:") {
		t.Fatalf("a long key is bounded: %q", k)
	}
}

// commonLabels are shared by the alerts, not copied into each, and an alert's own labels win.
func TestCommonLabels(t *testing.T) {
	body := `{"status":"firing","commonLabels":{"alertname":"KafkaConsumerLagHigh","consumergroup":"billing","topic":"orders"},
		"alerts":[{"labels":{"topic":"payments"}},{"status":"resolved"}]}`
	alerts, err := Decode([]byte(body))
	if err != nil || len(alerts) != 2 {
		t.Fatalf("%+v %v", alerts, err)
	}
	a, b := alerts[0], alerts[1]
	if a.Name != "KafkaConsumerLagHigh" || a.Group() != "billing" || a.Topic() != "payments" || !a.Firing {
		t.Fatalf("first: %+v group %q topic %q", a, a.Group(), a.Topic())
	}
	if b.Name != "KafkaConsumerLagHigh" || b.Topic() != "orders" || b.Firing || b.State != "resolved" {
		t.Fatalf("second: %+v", b)
	}
	if reflect.ValueOf(a.Common).UnsafePointer() != reflect.ValueOf(b.Common).UnsafePointer() {
		t.Fatal("commonLabels must be one map shared by the alerts")
	}
	if got := a.Describe(8); got != "alertname=KafkaConsumerLagHigh, consumergroup=billing, topic=payments" {
		t.Fatalf("Describe = %q", got)
	}
	if v, ok := a.Lookup("CONSUMERGROUP"); !ok || v != "billing" {
		t.Fatalf("Lookup of a common label: %q %v", v, ok)
	}
}

func TestLimits(t *testing.T) {
	labels := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(`"l%d":"v"`, i)
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	alertsOf := func(n int) string { return "[" + strings.TrimSuffix(strings.Repeat(`{},`, n), ",") + "]" }
	for _, c := range []struct {
		name, body, err string
	}{
		{"most labels", `{"commonLabels":` + labels(alert.MaxLabels) + `,"alerts":[{"labels":` + labels(alert.MaxLabels) + `}]}`, ""},
		{"most alerts", `{"alerts":` + alertsOf(MaxAlerts) + `}`, ""},
		{"commonLabels", `{"commonLabels":` + labels(alert.MaxLabels+1) + `,"alerts":[]}`,
			"a label set of the webhook has 257 labels, more than the 256 accepted; drop the labels no alert rule needs (Prometheus alert_relabel_configs, Grafana label templates)"},
		{"alert labels", `{"alerts":[{},{"labels":` + labels(1000) + `}]}`,
			"a label set of the webhook has 1000 labels, more than the 256 accepted; drop the labels no alert rule needs (Prometheus alert_relabel_configs, Grafana label templates)"},
		{"alerts", `{"alerts":` + alertsOf(MaxAlerts+1) + `}`, "the webhook carries 1001 alerts, more than the 1000 accepted; lower max_alerts of the receiver"},
		{"label of the wrong type", `{"alerts":[{"labels":{"a":1}}]}`, `field "alerts.labels" has the wrong type (number, expected string)`},
		{"null alerts", `{"alerts":null}`, "the body has no alerts array; this route takes the webhook payload of Alertmanager (version 4) or Grafana"},
	} {
		_, err := Decode([]byte(c.body))
		if (err == nil) != (c.err == "") || (err != nil && err.Error() != c.err) {
			t.Errorf("%s: %v\nwant %q", c.name, err, c.err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for in, want := range map[string]string{
		`{"version":"4","status":"firing"}`:                 "the body has no alerts array; this route takes the webhook payload of Alertmanager (version 4) or Grafana",
		`{"alerts":{}}`:                                     `field "alerts" has the wrong type (object, expected []alertmanager.Alert)`,
		string(events.Read("http/alertmanager.json")[:200]): "the request body ends in the middle of the JSON; send the whole payload",
	} {
		if _, err := Decode([]byte(in)); err == nil || err.Error() != want {
			t.Errorf("Decode(%.40q) = %v\nwant %s", in, err, want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(events.Read("http/alertmanager.json"))
	f.Add([]byte(`{"alerts":[{"status":"firing","labels":{"alertname":"x","consumergroup":"g"}}]}`))
	f.Add([]byte(`{"alerts":[`))
	hostile.Seeds(f, hostile.Alertmanager, 8<<10)
	f.Fuzz(func(t *testing.T, b []byte) {
		alerts, err := Decode(b)
		if err != nil {
			return
		}
		if len(alerts) > MaxAlerts {
			t.Fatalf("%d alerts decoded", len(alerts))
		}
		for _, a := range alerts {
			_, _ = a.Lookup("alertname")
			_ = a.Group()
			_ = a.Describe(3)
			if len(a.Labels) > alert.MaxLabels || len(a.Common) > alert.MaxLabels || len(a.Key) > alert.MaxKeyLen {
				t.Fatalf("unbounded alert: %d labels, %d common, key %d bytes", len(a.Labels), len(a.Common), len(a.Key))
			}
		}
	})
}
