package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"offsetreset/events"
	"offsetreset/shared/demo"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"offsetreset/shared/provider/kafka/kafkatest"
	"offsetreset/shared/reset"
	"offsetreset/shared/server"
	"offsetreset/shared/trigger/samples"
)

var testSecrets = server.Secrets{APIToken: "l-api-token", WebhookToken: "l-webhook-token", WebhookHMAC: "l-hmac", SlackSigning: "l-slack", DingTalkApp: "l-ding"}

type fixture struct {
	k *kafkatest.Cluster
	h *handler
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	k, svc, err := samples.StartDemo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	svc.Secrets = server.Secrets{APIToken: testSecrets.APIToken, WebhookToken: testSecrets.WebhookToken}
	svc.Log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	h := newHandler(svc)
	h.metrics = io.Discard
	return &fixture{k: k, h: h}
}

func (f *fixture) committed(t *testing.T, group, topic string) map[int32]int64 {
	t.Helper()
	c, err := f.k.Committed(context.Background(), group)
	if err != nil {
		t.Fatal(err)
	}
	return c[topic]
}

func all(m map[int32]int64, want int64) bool {
	for _, v := range m {
		if v != want {
			return false
		}
	}
	return len(m) > 0
}

func event(t *testing.T, file string) []byte {
	t.Helper()
	list, err := samples.Load(events.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.File == file {
			b, err := s.LambdaEvent(events.FS, testSecrets, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("%s not in the manifest", file)
	return nil
}

func TestClassify(t *testing.T) {
	for file, want := range map[string]string{
		"lambda/schedule.json":                     kindCommands,
		"lambda/sns-cloudwatch-alarm.json":         kindSNS,
		"lambda/eventbridge-cloudwatch-alarm.json": kindEventBridge,
		"lambda/function-url.json":                 kindHTTP,
		"lambda/apigateway-v2-alertmanager.json":   kindHTTP,
	} {
		if got := classify(event(t, file)); got != want {
			t.Errorf("%s: %s, want %s", file, got, want)
		}
	}
	for in, want := range map[string]string{
		`{"target":"demo","group":"g","to":"latest"}`:                         kindCommands,
		`{"resource":"/","httpMethod":"POST","requestContext":{},"body":""}`:  kindHTTPv1,
		`{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`: kindOtherEvent,
		`{"Records":[{"eventSource":"aws:sqs","body":"x"}]}`:                  kindSNS,
		`garbage`: kindCommands,
	} {
		if got := classify([]byte(in)); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

func TestInvokeSamples(t *testing.T) {
	f := newFixture(t)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	end := int64(demo.DemoMessages)

	out, err := f.h.Invoke(ctx, event(t, "lambda/schedule.json"))
	var results []reset.Result
	if err != nil || json.Unmarshal(out, &results) != nil || len(results) != 2 || results[0].Status != reset.StatusApplied || results[1].Status != reset.StatusPlanned {
		t.Fatalf("schedule: %v %s", err, out)
	}
	if !all(f.committed(t, "analytics-web", "clickstream"), end) || f.committed(t, "billing", "orders")[0] != 20 {
		t.Fatal("schedule did not apply")
	}

	out, err = f.h.Invoke(ctx, event(t, "lambda/eventbridge-cloudwatch-alarm.json"))
	var rep server.AlertReport
	if err != nil || json.Unmarshal(out, &rep) != nil || rep.Source != "cloudwatch" || rep.Alerts[0].Rule != "cloudwatch-warning-replay-window" || rep.Alerts[0].Result.Status != reset.StatusApplied {
		t.Fatalf("eventbridge: %v %s", err, out)
	}
	if !all(f.committed(t, "orders-etl", "payments"), demo.OffsetAgo(6)) {
		t.Fatalf("eventbridge: %v", f.committed(t, "orders-etl", "payments"))
	}

	out, err = f.h.Invoke(ctx, event(t, "lambda/sns-cloudwatch-alarm.json"))
	if err != nil || json.Unmarshal(out, &rep) != nil || rep.Alerts[0].Rule != "cloudwatch-critical-skip" || rep.Alerts[0].Result.Status != reset.StatusApplied {
		t.Fatalf("sns: %v %s", err, out)
	}
	if !all(f.committed(t, "orders-etl", "payments"), end) {
		t.Fatalf("sns: %v", f.committed(t, "orders-etl", "payments"))
	}

	out, err = f.h.Invoke(ctx, event(t, "lambda/function-url.json"))
	var resp httpResponse
	if err != nil || json.Unmarshal(out, &resp) != nil || resp.StatusCode != 200 || !strings.Contains(resp.Body, `"status":"planned"`) || resp.Headers["Content-Type"] != "application/json" {
		t.Fatalf("function url: %v %s", err, out)
	}

	out, err = f.h.Invoke(ctx, event(t, "lambda/apigateway-v2-alertmanager.json"))
	if err != nil || json.Unmarshal(out, &resp) != nil || resp.StatusCode != 200 || json.Unmarshal([]byte(resp.Body), &rep) != nil || rep.Alerts[0].Result.Status != reset.StatusApplied {
		t.Fatalf("api gateway: %v %s", err, out)
	}
	if !all(f.committed(t, "orders-etl", "orders"), end) {
		t.Fatalf("api gateway: %v", f.committed(t, "orders-etl", "orders"))
	}
}

func TestInvokeErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cases := []struct {
		name, event, typ, msg string
	}{
		{"not JSON", `reset everything`, "InvalidEvent", "invalid: the body must be a JSON object or an array of objects, e.g. {\"target\":\"prod\",\"group\":\"billing\",\"to\":\"latest\",\"dryRun\":true}"},
		{"scheduled event", `{"version":"0","source":"aws.events","detail-type":"Scheduled Event","detail":{}}`, "InvalidEvent",
			`EventBridge event "Scheduled Event" from aws.events is not handled: give the schedule or rule a command JSON as its input, or route CloudWatch Alarm State Change events here`},
		{"sns not an alarm", `{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"m1","Message":"Hello from SNS!"}}]}`, "InvalidEvent",
			"cloudwatch: SNS message m1: the message is not a CloudWatch alarm: the request body is not a JSON object; send the webhook JSON"},
	}
	for _, c := range cases {
		out, err := f.h.Invoke(ctx, []byte(c.event))
		var re *ResetError
		var ie *InvalidEvent
		typ := ""
		switch {
		case errors.As(err, &re):
			typ = "ResetError"
		case errors.As(err, &ie):
			typ = "InvalidEvent"
		}
		if typ != c.typ || err.Error() != c.msg || out != nil {
			t.Errorf("%s: %T %v %s", c.name, err, err, out)
		}
	}
	// An OK alarm is acknowledged and is no error.
	ok := `{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"m3","Message":"{\"AlarmName\":\"orders-etl-payments-lag-critical\",\"NewStateValue\":\"OK\"}"}}]}`
	if out, err := f.h.Invoke(ctx, []byte(ok)); err != nil || !strings.Contains(string(out), `"outcome":"acknowledged"`) {
		t.Fatalf("%v %s", err, out)
	}
	// HTTP errors are HTTP answers, not Lambda errors.
	out, err := f.h.Invoke(ctx, []byte(`{"version":"2.0","rawPath":"/v1/reset","headers":{},"requestContext":{"http":{"method":"POST"}},"body":"{}"}`))
	var resp httpResponse
	if err != nil || json.Unmarshal(out, &resp) != nil || resp.StatusCode != 401 {
		t.Fatalf("%v %s", err, out)
	}
	out, err = f.h.Invoke(ctx, []byte(`{"version":"2.0","rawPath":"/invoke","requestContext":{"http":{"method":"POST"}},"body":"{}"}`))
	if err != nil || json.Unmarshal(out, &resp) != nil || resp.StatusCode != 401 || !strings.Contains(resp.Body, "/invoke is not served over HTTP on Lambda") {
		t.Fatalf("%v %s", err, out)
	}
	out, err = f.h.Invoke(ctx, []byte(`{"resource":"/","httpMethod":"POST","requestContext":{},"body":""}`))
	if err != nil || json.Unmarshal(out, &resp) != nil || resp.StatusCode != 400 {
		t.Fatalf("%v %s", err, out)
	}
	for _, g := range []string{"billing", "orders-etl"} {
		c, _ := f.k.Committed(ctx, g)
		for tp, parts := range c {
			for p, o := range parts {
				want := int64(0)
				for _, dc := range demo.Commits {
					if dc.Group == g && dc.Topic == tp {
						want = dc.At(p)
					}
				}
				if o != want {
					t.Fatalf("%s/%s/%d moved to %d", g, tp, p, o)
				}
			}
		}
	}
}

// Outcomes a retry cannot change (invalid, refused, an alert rule that makes no command) return
// normally, so Lambda does not retry them, and are counted in an embedded-metric-format line.
func TestInvokeCountsWhatRetriesCannotFix(t *testing.T) {
	f := newFixture(t)
	var metrics strings.Builder
	f.h.metrics = &metrics
	ctx := context.Background()
	out, err := f.h.Invoke(ctx, []byte(`[{"target":"demo","group":"billing","topics":["orders"],"to":"latest","dryRun":true},{"target":"nope","group":"g","to":"latest"}]`))
	var results []reset.Result
	if err != nil || json.Unmarshal(out, &results) != nil || len(results) != 2 || results[1].Status != reset.StatusInvalid ||
		results[1].Error != `unknown target "nope"; configured targets: demo` {
		t.Fatalf("%v %s", err, out)
	}
	var line struct {
		Trigger                   string
		Planned, Invalid, NotDone int
		AWS                       struct {
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
	}
	if err := json.Unmarshal([]byte(metrics.String()), &line); err != nil || line.Trigger != "schedule" || line.Planned != 1 || line.Invalid != 1 || line.NotDone != 1 ||
		len(line.AWS.CloudWatchMetrics) != 1 || line.AWS.CloudWatchMetrics[0].Namespace != "offsetreset" || len(line.AWS.CloudWatchMetrics[0].Metrics) != 8 {
		t.Fatalf("%v %s", err, metrics.String())
	}
	metrics.Reset()
	out, err = f.h.Invoke(ctx, []byte(`{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"m2","Message":"{\"AlarmName\":\"orders-etl-payments-lag-critical\",\"NewStateValue\":\"ALARM\"}"}}]}`))
	if err != nil || !strings.Contains(string(out), `"outcome":"invalid"`) || !strings.Contains(string(out), "the alert has no consumer group label or dimension") {
		t.Fatalf("%v %s", err, out)
	}
}

// Lambda retries an asynchronous event with the same request id. After a commit the broker
// answered REQUEST_TIMED_OUT but applied, the same event delivered again — to the same instance
// and to a fresh one — leaves the group where one delivery put it, with one applied audit line.
func TestLambdaEventDeliveredTwice(t *testing.T) {
	f := newFixture(t)
	var logs1, logs2 strings.Builder
	f.h.svc.Log = slog.New(slog.NewJSONHandler(&logs1, nil))
	timedOut := f.k.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Err: kerr.RequestTimedOut})
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "async-req-7"})
	event := []byte(`{"target":"demo","group":"billing","topics":["orders"],"to":"shift:+10"}`)
	before := f.committed(t, "billing", "orders")

	out, err := f.h.Invoke(ctx, event)
	var r reset.Result
	if err != nil || json.Unmarshal(out, &r) != nil || r.Status != reset.StatusApplied || timedOut.Hits() != 1 {
		t.Fatalf("%v %s", err, out)
	}
	if _, err := f.h.Invoke(ctx, event); err != nil {
		t.Fatal(err)
	}
	svc, err := server.New(f.h.svc.Config)
	if err != nil {
		t.Fatal(err)
	}
	svc.Log = slog.New(slog.NewJSONHandler(&logs2, nil))
	fresh := newHandler(svc)
	fresh.metrics = io.Discard
	out, err = fresh.Invoke(ctx, event)
	if err != nil || json.Unmarshal(out, &r) != nil || r.Status != reset.StatusApplied || r.Duplicate == "" {
		t.Fatalf("%v %s", err, out)
	}
	after := f.committed(t, "billing", "orders")
	for p, o := range before {
		if after[p] != min(o+10, int64(demo.DemoMessages)) {
			t.Fatalf("partition %d: %d → %d, want +10 once", p, o, after[p])
		}
	}
	all := logs1.String() + logs2.String()
	if n := strings.Count(all, `"msg":"offsetreset.audit"`); n != 1 || strings.Count(all, `"msg":"offsetreset.duplicate"`) != 2 {
		t.Fatalf("%d audit lines:\n%s", n, all)
	}
}

// The request id in audit lines is Lambda's own: a caller's x-fc-request-id or X-Request-Id
// header on an API Gateway request cannot choose it.
func TestLambdaAuditUsesLambdasRequestID(t *testing.T) {
	f := newFixture(t)
	var logs strings.Builder
	f.h.svc.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req-42"})
	ev := `{"version":"2.0","rawPath":"/v1/reset","headers":{"authorization":"Bearer ` + testSecrets.APIToken +
		`","x-fc-request-id":"forged-1","x-request-id":"forged-2","content-type":"application/json"},"requestContext":{"requestId":"apigw-1","http":{"method":"POST"}},` +
		`"body":"{\"target\":\"demo\",\"group\":\"billing\",\"topics\":[\"orders\"],\"to\":\"latest\"}"}`
	out, err := f.h.Invoke(ctx, []byte(ev))
	var resp httpResponse
	if err != nil || json.Unmarshal(out, &resp) != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %s", err, out)
	}
	if l := logs.String(); !strings.Contains(l, `"requestId":"lambda-req-42"`) || strings.Contains(l, "forged") {
		t.Fatalf("%s", l)
	}
}
