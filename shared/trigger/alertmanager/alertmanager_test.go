package alertmanager

import (
	"offsetreset/events"
	"reflect"
	"testing"
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
	f.Fuzz(func(t *testing.T, b []byte) {
		alerts, err := Decode(b)
		if err != nil {
			return
		}
		for _, a := range alerts {
			_, _ = a.Lookup("alertname")
			_ = a.Group()
			_ = a.Describe(3)
		}
	})
}
