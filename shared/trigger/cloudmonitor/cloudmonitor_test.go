package cloudmonitor

import (
	"net/url"
	"offsetreset/events"
	"reflect"
	"testing"
)

func TestDecodeSample(t *testing.T) {
	alerts, err := Decode(events.Read("http/cloudmonitor.form"))
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 {
		t.Fatalf("%d alerts", len(alerts))
	}
	a := alerts[0]
	wantDims := map[string]string{"instanceId": "alikafka_post-cn-demo0001", "consumerGroup": "orders-etl", "topic": "orders", "userId": "1270000000000000"}
	if a.Source != "cloudmonitor" || a.Name != "orders-etl backlog on orders" || !a.Firing || a.State != "ALERT" ||
		a.ID != "0e9c6f2e-7b58-11ee-9d5e-00163e0a1b2c" || !reflect.DeepEqual(a.Labels, wantDims) {
		t.Fatalf("%+v", a)
	}
	// The application group is a field, never the consumer group.
	if a.Fields["groupId"] != "41263096" || a.Group() != "orders-etl" || a.Topic() != "orders" {
		t.Fatalf("fields %v group %q", a.Fields, a.Group())
	}
	if _, ok := a.Fields["preTriggerLevel"]; ok {
		t.Fatal("the literal null must be dropped")
	}
	if a.Fields["metricName"] != "message_accumulation_onetopic" || a.Fields["namespace"] != "acs_kafka" {
		t.Fatalf("fields %v", a.Fields)
	}
}

func TestStates(t *testing.T) {
	for state, firing := range map[string]bool{"ALERT": true, "OK": false, "INSUFFICIENT_DATA": false} {
		body := url.Values{"alertName": {"x"}, "alertState": {state}, "dimensions": {"{consumerGroup=g}"}}.Encode()
		a, err := Decode([]byte(body))
		if err != nil || a[0].Firing != firing {
			t.Errorf("%s: %+v %v", state, a, err)
		}
	}
}

func TestParseDimensions(t *testing.T) {
	cases := map[string]map[string]string{
		"{instanceId=i-1, consumerGroup=billing}": {"instanceId": "i-1", "consumerGroup": "billing"},
		"{userId=12****, instanceId=i-12****}":    {"userId": "12****", "instanceId": "i-12****"},
		"{}":                                      {},
		"":                                        {},
		"{note=a, b, groupId=GID_x}":              {"note": "a, b", "groupId": "GID_x"},
		"{a=1, {b=2}, c}":                         {"a": "1, {b=2}, c"},
		"{expr=a=b}":                              {"expr": "a=b"},
		`[{"userId":"12345","instanceId":"i-12345"}]`:            {"userId": "12345", "instanceId": "i-12345"},
		`{"consumerGroup":"billing","partition":3}`:              {"consumerGroup": "billing", "partition": "3"},
		"{instanceId=alikafka_x, consumerGroup=g, topic=orders}": {"instanceId": "alikafka_x", "consumerGroup": "g", "topic": "orders"},
	}
	for in, want := range cases {
		got, err := ParseDimensions(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseDimensions(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"instanceId=i-1": `dimensions "instanceId=i-1" is not {key=value, …}`,
		"{, x}":          `dimensions ", x" is not {key=value, …}`,
		`[{"a":}]`:       `dimensions "[{\"a\":}]" is not valid JSON: invalid character '}' looking for beginning of value`,
		"{justtext}":     `dimensions "justtext" is not {key=value, …}`,
		`{"unterminated`: `dimensions "{\"unterminated" is not valid JSON: unexpected end of JSON input`,
	} {
		_, err := ParseDimensions(in)
		if err == nil || err.Error() != want {
			t.Errorf("ParseDimensions(%q) = %v\nwant %s", in, err, want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "the request body is empty; CloudMonitor sends the alert as form fields (alertName, alertState, dimensions, …)",
		"alertName=x&alertState=%zz": `the request body is not form-encoded (invalid URL escape "%zz"); CloudMonitor callbacks are application/x-www-form-urlencoded`,
		`{"alertName":"x"}`:          "the form has no alertName or alertState; this route takes CloudMonitor threshold-alert callbacks",
		"alertName=x&alertState=ALERT&dimensions=oops":     `dimensions "oops" is not {key=value, …}`,
		string(events.Read("http/cloudmonitor.form")[:40]): "the form has no alertName or alertState; this route takes CloudMonitor threshold-alert callbacks",
	} {
		if _, err := Decode([]byte(in)); err == nil || err.Error() != want {
			t.Errorf("Decode(%.40q) = %v\nwant %s", in, err, want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(events.Read("http/cloudmonitor.form"))
	f.Add([]byte("alertName=x&alertState=ALERT&dimensions=%7Ba%3Db%2C+c%3Dd%7D"))
	f.Fuzz(func(t *testing.T, b []byte) {
		alerts, err := Decode(b)
		if err != nil {
			return
		}
		for _, a := range alerts {
			_ = a.Group()
		}
	})
}

func FuzzParseDimensions(f *testing.F) {
	for _, s := range []string{"{instanceId=i-1, consumerGroup=billing}", `[{"a":"b"}]`, "{a=b, c}", "{}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseDimensions(s)
	})
}
