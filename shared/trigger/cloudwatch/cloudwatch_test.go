package cloudwatch

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"offsetreset/events"
	"offsetreset/shared/internal/hostile"
)

func TestDetect(t *testing.T) {
	for in, want := range map[string]string{
		string(events.Read("lambda/" + "sns-cloudwatch-alarm.json")):          KindSNS,
		string(events.Read("lambda/" + "eventbridge-cloudwatch-alarm.json")):  KindEventBridge,
		string(events.Read("lambda/" + "schedule.json")):                      "",
		string(events.Read("lambda/" + "function-url.json")):                  "",
		`{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`: "",
		`{"Records":[{"eventSource":"aws:sqs"}]}`:                             "",
		`{"target":"demo","group":"g","to":"latest"}`:                         "",
		`[`: "",
	} {
		if got := Detect([]byte(in)); got != want {
			t.Errorf("Detect(%.60q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeSNSSample(t *testing.T) {
	alerts, err := Decode(events.Read("lambda/" + "sns-cloudwatch-alarm.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 {
		t.Fatalf("%d alerts", len(alerts))
	}
	a := alerts[0]
	want := map[string]string{"Cluster Name": "demo-msk", "Consumer Group": "orders-etl", "Topic": "payments"}
	if a.Source != "cloudwatch" || a.Name != "orders-etl-payments-lag-critical" || !a.Firing || a.State != "ALARM" ||
		!reflect.DeepEqual(a.Labels, want) || a.Group() != "orders-etl" || a.Topic() != "payments" ||
		a.Fields["MetricName"] != "SumOffsetLag" || a.Fields["Namespace"] != "AWS/Kafka" ||
		a.ID != "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-etl-payments-lag-critical@2026-11-21T19:03:10.114+0000" ||
		a.Key != "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-etl-payments-lag-critical@2026-11-21T19:03:10.114Z" {
		t.Fatalf("%+v", a)
	}
	for _, k := range []string{"AlarmName", "alarmName"} {
		if v, _ := a.Lookup(k); v != a.Name {
			t.Errorf("Lookup(%s) = %q", k, v)
		}
	}
}

func TestDecodeEventBridgeSample(t *testing.T) {
	alerts, err := Decode(events.Read("lambda/" + "eventbridge-cloudwatch-alarm.json"))
	if err != nil {
		t.Fatal(err)
	}
	a := alerts[0]
	if a.Name != "orders-etl-payments-lag-warning" || !a.Firing || a.Group() != "orders-etl" || a.Topic() != "payments" ||
		a.Fields["AlarmName"] != a.Name || a.Fields["Region"] != "us-east-1" ||
		a.ID != "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-etl-payments-lag-warning@2026-11-21T19:04:40.989+0000" ||
		a.Key != "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-etl-payments-lag-warning@2026-11-21T19:04:40.989Z" {
		t.Fatalf("%+v", a)
	}
}

// The alarm of aws-lambda-go's own test data: an EC2 metric (no consumer group), from
// INSUFFICIENT_DATA to ALARM.
const awsSample = `{"AlarmName": "EXAMPLE","AlarmDescription": "EXAMPLE","AWSAccountId": "123456789012","NewStateValue": "ALARM","NewStateReason": "Threshold Crossed","StateChangeTime": "2015-06-03T17:43:27.123+0000","Region": "EXAMPLE","AlarmArn": "arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE","OldStateValue": "INSUFFICIENT_DATA","Trigger": {"MetricName": "NetworkOut","Namespace": "AWS/EC2","StatisticType": "Statistic","Statistic": "AVERAGE","Unit": "Bytes","Dimensions": [{"value": "TestInstance","name": "InstanceId"}],"Period": 60,"EvaluationPeriods": 1,"ComparisonOperator": "GreaterThanThreshold","Threshold": 0.0,"TreatMissingData": "- TreatMissingData:                    missing","EvaluateLowSampleCountPercentile": ""}}`

func TestDecodeAlarmShapes(t *testing.T) {
	a, err := DecodeAlarm([]byte(awsSample))
	if err != nil || a.Group() != "" || a.Labels["InstanceId"] != "TestInstance" || !a.Firing {
		t.Fatalf("%+v %v", a, err)
	}
	// Metric math alarms carry their dimensions in Trigger.Metrics.
	mm := `{"AlarmName":"m","NewStateValue":"OK","Trigger":{"Metrics":[{"Id":"e1","Expression":"m1+m2"},{"Id":"m1","MetricStat":{"Metric":{"MetricName":"MaxOffsetLag","Namespace":"AWS/Kafka","Dimensions":[{"name":"Consumer Group","value":"billing"},{"name":"Topic","value":"orders"}]}}}]}}`
	a, err = DecodeAlarm([]byte(mm))
	if err != nil || a.Firing || a.State != "OK" || a.Group() != "billing" || a.Fields["MetricName"] != "MaxOffsetLag" {
		t.Fatalf("%+v %v", a, err)
	}
}

func TestKey(t *testing.T) {
	// SNS: the ARN, else the name; no state change time: the SNS message id.
	sns := func(alarm string) []byte {
		return []byte(fmt.Sprintf(`{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"m-1","Message":%q}}]}`, alarm))
	}
	for alarm, want := range map[string]string{
		`{"AlarmName":"a","NewStateValue":"ALARM","AlarmArn":"arn:x","StateChangeTime":"2026-11-21T19:03:10.114+0000"}`: "arn:x@2026-11-21T19:03:10.114Z",
		`{"AlarmName":"a","NewStateValue":"ALARM","StateChangeTime":"2026-11-21T19:03:10.000+0000"}`:                    "a@2026-11-21T19:03:10Z",
		`{"AlarmName":"a","NewStateValue":"ALARM","AlarmArn":"arn:x"}`:                                                  "sns:m-1",
	} {
		alerts, err := Decode(sns(alarm))
		if err != nil || alerts[0].Key != want {
			t.Errorf("%s: %+v %v\nwant key %q", alarm, alerts, err, want)
		}
	}
	// EventBridge: resources[0], else detail.alarmName; detail.state.timestamp, else time.
	eb := func(resources, stateTime string) []byte {
		return []byte(`{"source":"aws.cloudwatch","detail-type":"CloudWatch Alarm State Change","time":"2026-11-21T19:04:41Z","resources":` + resources +
			`,"detail":{"alarmName":"a","state":{"value":"ALARM","timestamp":"` + stateTime + `"}}}`)
	}
	for body, want := range map[string]string{
		string(eb(`["arn:y"]`, "2026-11-21T19:04:40.989+0000")): "arn:y@2026-11-21T19:04:40.989Z",
		string(eb(`[]`, "2026-11-21T19:04:40.989+0000")):        "a@2026-11-21T19:04:40.989Z",
		string(eb(`["arn:y"]`, "")):                             "arn:y@2026-11-21T19:04:41Z",
	} {
		alerts, err := Decode([]byte(body))
		if err != nil || alerts[0].Key != want {
			t.Errorf("%s: %+v %v\nwant key %q", body, alerts, err, want)
		}
	}
}

func TestLimits(t *testing.T) {
	records := `{"Records":[` + strings.TrimSuffix(strings.Repeat(`{"EventSource":"aws:sns"},`, MaxRecords+1), ",") + `]}`
	if _, err := Decode([]byte(records)); err == nil || err.Error() != "the SNS event has 101 records, more than 100" {
		t.Errorf("records: %v", err)
	}
	dims := func(n int) string {
		return `{"AlarmName":"a","NewStateValue":"ALARM","Trigger":{"Dimensions":[` + strings.TrimSuffix(strings.Repeat(`{"name":"n","value":"v"},`, n), ",") + `]}}`
	}
	if _, err := DecodeAlarm([]byte(dims(MaxValues / 4))); err != nil {
		t.Errorf("256 dimensions: %v", err)
	}
	if _, err := DecodeAlarm([]byte(dims(MaxValues / 2))); err == nil ||
		err.Error() != "the alarm has 1026 JSON values, more than the 1024 accepted; CloudWatch's have tens" {
		t.Errorf("dimensions: %v", err)
	}
	res := `{"source":"aws.cloudwatch","detail-type":"CloudWatch Alarm State Change","resources":[` + strings.TrimSuffix(strings.Repeat(`"r",`, MaxValues), ",") + `],"detail":{"alarmName":"a","state":{"value":"ALARM"}}}`
	if _, err := Decode([]byte(res)); err == nil || err.Error() != "the EventBridge event has 1028 JSON values, more than the 1024 accepted; CloudWatch's have tens" {
		t.Errorf("resources: %v", err)
	}
	if Detect([]byte(records)) != KindSNS {
		t.Error("Detect reads the first record only, whatever follows")
	}
}

func TestDecodeErrors(t *testing.T) {
	for in, want := range map[string]string{
		`{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"m1","Message":"Hello from SNS!"}}]}`: "SNS message m1: the message is not a CloudWatch alarm: the request body is not a JSON object; send the webhook JSON",
		`{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"m2","Message":"{\"a\":1}"}}]}`:       "SNS message m2: the message is not a CloudWatch alarm (it has no AlarmName or NewStateValue)",
		`{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"m3"}}, {"EventSource":"aws:sqs"}]}`:  "SNS message m3: the message is not a CloudWatch alarm: the request body is empty; send the webhook JSON",
		`{"source":"aws.cloudwatch","detail-type":"CloudWatch Alarm State Change","detail":{}}`:        "the EventBridge event has no detail.alarmName or detail.state.value",
		`{"source":"aws.events"}`: "the event is neither an SNS event nor an EventBridge CloudWatch Alarm State Change",
	} {
		if _, err := Decode([]byte(in)); err == nil || err.Error() != want {
			t.Errorf("Decode(%.60q) = %v\nwant %s", in, err, want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(events.Read("lambda/" + "sns-cloudwatch-alarm.json"))
	f.Add(events.Read("lambda/" + "eventbridge-cloudwatch-alarm.json"))
	f.Add([]byte(`{"Records":[{"EventSource":"aws:sns","Sns":{"Message":"` + "{}" + `"}}]}`))
	hostile.Seeds(f, hostile.CloudWatch, 8<<10)
	f.Fuzz(func(t *testing.T, b []byte) {
		alerts, err := Decode(b)
		if err != nil {
			return
		}
		for _, a := range alerts {
			_ = a.Group()
			_, _ = a.Lookup("AlarmName")
		}
	})
}
