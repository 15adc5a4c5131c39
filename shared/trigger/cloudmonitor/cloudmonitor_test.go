package cloudmonitor

import (
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"offsetreset/events"
	"offsetreset/shared/internal/hostile"
	"offsetreset/shared/trigger/alert"
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
	want := "alarmRule_uuid_3f1c2b9a0d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a{consumerGroup=orders-etl, instanceId=alikafka_post-cn-demo0001, topic=orders, userId=1270000000000000}@2026-11-21T19:00:00Z"
	if a.Key != want {
		t.Fatalf("key %q\nwant %q", a.Key, want)
	}
}

func TestKey(t *testing.T) {
	base := map[string]string{"alertName": "lag", "alertState": "ALERT", "dimensions": "{topic=orders, consumerGroup=billing}"}
	with := func(kv ...string) []byte {
		f := map[string]string{}
		for k, v := range base {
			f[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			f[kv[i]] = kv[i+1]
		}
		return hostile.Form(f)
	}
	for _, c := range []struct {
		name string
		body []byte
		want string
	}{
		{"no rule id: the name", with("timestamp", "1795287600000"), "lag{consumerGroup=billing, topic=orders}@2026-11-21T19:00:00Z"},
		{"seconds", with("timestamp", "1795287600", "ruleId", "r1"), "r1{consumerGroup=billing, topic=orders}@2026-11-21T19:00:00Z"},
		{"dimension order does not matter", with("timestamp", "1795287600000", "dimensions", "{consumerGroup=billing, topic=orders}"), "lag{consumerGroup=billing, topic=orders}@2026-11-21T19:00:00Z"},
		{"no timestamp: transId", with("transId", "t-1"), "lag{consumerGroup=billing, topic=orders}@t-1"},
		{"neither", with(), "lag{consumerGroup=billing, topic=orders}@"},
		{"lastTime is not part of it", with("timestamp", "1795287600000", "lastTime", "30分钟"), "lag{consumerGroup=billing, topic=orders}@2026-11-21T19:00:00Z"},
	} {
		a, err := Decode(c.body)
		if err != nil || a[0].Key != c.want {
			t.Errorf("%s: %q %v\nwant %q", c.name, a[0].Key, err, c.want)
		}
	}
	long := with("timestamp", "1", "dimensions", "{a="+strings.Repeat("x", 300)+"}")
	if a, _ := Decode(long); len(a[0].Key) > alert.MaxKeyLen || !strings.HasPrefix(a[0].Key, "sha256:") {
		t.Fatalf("long key %q", a[0].Key)
	}
}

func TestLimits(t *testing.T) {
	pairs := func(n int) string { return "{" + strings.TrimSuffix(strings.Repeat("a=b, ", n), ", ") + "}" }
	if _, err := ParseDimensions(pairs(alert.MaxLabels)); err != nil {
		t.Fatalf("256 pairs: %v", err)
	}
	if d, err := ParseDimensions("{a=b" + strings.Repeat(", x", alert.MaxLabels-1) + "}"); err != nil || len(d["a"]) != 3*alert.MaxLabels-2 {
		t.Fatalf("255 continuations: %d bytes, %v", len(d["a"]), err)
	}
	jsonList := "[" + strings.Repeat(`{"a":"b"},`, 300) + "{}]"
	for in, parts := range map[string]int{pairs(alert.MaxLabels + 1): 257, jsonList: 301} {
		want := fmt.Sprintf("dimensions %q has %d comma-separated parts, more than the 256 accepted; CloudMonitor sends a few (instanceId, consumerGroup, topic, …)", in[:80]+"…", parts)
		if _, err := ParseDimensions(in); err == nil || err.Error() != want {
			t.Errorf("ParseDimensions(%.30q) = %v\nwant %s", in, err, want)
		}
	}
	form := "alertName=x&alertState=ALERT" + strings.Repeat("&a=", MaxFormFields)
	if _, err := Decode([]byte(form)); err == nil || err.Error() != "the form has 1002 fields, more than the 1000 accepted; this route takes CloudMonitor threshold-alert callbacks (about 25 fields)" {
		t.Fatalf("many fields: %v", err)
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
	hostile.Seeds(f, hostile.CloudMonitor, 8<<10)
	f.Fuzz(func(t *testing.T, b []byte) {
		alerts, err := Decode(b)
		if err != nil {
			return
		}
		for _, a := range alerts {
			_ = a.Group()
			if a.Key == "" || len(a.Key) > alert.MaxKeyLen || len(a.Labels) > alert.MaxLabels {
				t.Fatalf("key %q, %d labels", a.Key, len(a.Labels))
			}
		}
	})
}

func FuzzParseDimensions(f *testing.F) {
	for _, s := range []string{"{instanceId=i-1, consumerGroup=billing}", `[{"a":"b"}]`, "{a=b, c}", "{}",
		"{a=b" + strings.Repeat(", x", 2000) + "}", "{" + strings.Repeat("k=v, ", 2000) + "}", "[" + strings.Repeat(`{"k":"v"},`, 500) + "{}]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseDimensions(s)
	})
}
