package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"offsetreset/events"
	"offsetreset/shared/config"
	"offsetreset/shared/demo"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"offsetreset/shared/provider/kafka/kafkatest"
	"offsetreset/shared/reset"
	"offsetreset/shared/server"
	"offsetreset/shared/trigger/chat"
	"offsetreset/shared/trigger/cloudeye"
	"offsetreset/shared/trigger/samples"
)

// trSecrets are the secrets of the trigger tests; the samples are signed with them at send time.
var trSecrets = server.Secrets{APIToken: "t-api-token", WebhookToken: "t-webhook-token", WebhookHMAC: "t-hmac-secret",
	SlackSigning: "t-slack-signing", DingTalkApp: "t-dingtalk-app", ConfirmSecret: "t-confirm-secret"}

// demoFix is the demo data on a kfake cluster, served by Handler(server.Local) with
// events/demo.yaml as the configuration.
type demoFix struct {
	k         *kafkatest.Cluster
	svc       *server.Service
	srv       *httptest.Server
	audit     *syncBuf
	confirmed []string // URLs the SMN client was asked to GET
	posted    []string // DingTalk session webhook posts: URL, then body
	initial   offsets
}

// offsets is group → topic → partition → committed offset.
type offsets map[string]map[string]map[int32]int64

func newDemo(t *testing.T) *demoFix {
	t.Helper()
	k, svc, err := samples.StartDemo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	return serveDemo(t, k, svc)
}

// newEmbeddedDemo is newDemo on every embedded backend — the demo broker and the cloud
// emulators — with events/demo.yaml's policy and alert rules, as `offsetreset serve -policy
// events/demo.yaml` (and so make demo) serves them.
func newEmbeddedDemo(t *testing.T) *demoFix {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	env, err := demo.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	p, err := config.Parse(events.Read("demo.yaml"))
	if err == nil {
		err = env.UsePolicy(p)
	}
	if err != nil {
		t.Fatal(err)
	}
	svc, err := server.New(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	return serveDemo(t, env.Kafka, svc)
}

// serveDemo serves a demo service with the trigger tests' secrets, recording SMN confirmations
// and DingTalk posts, and notes the broker's initial offsets.
func serveDemo(t *testing.T, k *kafkatest.Cluster, svc *server.Service) *demoFix {
	t.Helper()
	f := &demoFix{k: k, svc: svc, audit: &syncBuf{}}
	svc.Log = slog.New(slog.NewJSONHandler(f.audit, nil))
	svc.Secrets = trSecrets
	var mu sync.Mutex
	svc.CloudEye = (&cloudeye.Client{Get: func(_ context.Context, u string) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		f.confirmed = append(f.confirmed, u)
		return []byte("<html>subscription confirmed</html>"), nil
	}})
	svc.ReplyTransport = recordReplies(func(hook string, body []byte) {
		mu.Lock()
		defer mu.Unlock()
		f.posted = append(f.posted, hook, string(body))
	})
	f.srv = httptest.NewServer(svc.Handler(server.Local))
	t.Cleanup(f.srv.Close)
	f.initial = f.offsets(t)
	return f
}

func (f *demoFix) offsets(t *testing.T) offsets {
	t.Helper()
	out := offsets{}
	for _, g := range []string{"billing", "analytics-web", "orders-etl"} {
		c, err := f.k.Committed(context.Background(), g)
		if err != nil {
			t.Fatal(err)
		}
		out[g] = c
	}
	return out
}

// want is the initial offsets with some (group, topic) pairs moved to one offset.
func (f *demoFix) want(moves ...any) offsets {
	out := offsets{}
	for g, topics := range f.initial {
		out[g] = map[string]map[int32]int64{}
		for tp, parts := range topics {
			out[g][tp] = map[int32]int64{}
			for p, o := range parts {
				out[g][tp][p] = o
			}
		}
	}
	for i := 0; i+2 < len(moves); i += 3 {
		g, tp, to := moves[i].(string), moves[i+1].(string), moves[i+2].(int64)
		for p := range out[g][tp] {
			out[g][tp][p] = to
		}
	}
	return out
}

func (f *demoFix) expect(t *testing.T, want offsets) {
	t.Helper()
	if got := f.offsets(t); !reflect.DeepEqual(got, want) {
		t.Fatalf("committed offsets\n got %v\nwant %v", got, want)
	}
}

func (f *demoFix) unchanged(t *testing.T) {
	t.Helper()
	f.expect(t, f.initial)
}

type answer struct {
	code   int
	header http.Header
	body   string
}

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func send(t *testing.T, method, url string, body []byte, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

// sendSample sends a sample of events/ the way its sender does, signed with trSecrets now.
func (f *demoFix) sendSample(t *testing.T, file string) answer {
	t.Helper()
	list, err := samples.Load(events.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.File == file {
			req, err := s.Request(context.Background(), events.FS, f.srv.URL, trSecrets, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			return do(t, req)
		}
	}
	t.Fatalf("%s is not in the manifest", file)
	return answer{}
}

func alertReport(t *testing.T, a answer) server.AlertReport {
	t.Helper()
	var rep server.AlertReport
	if err := json.Unmarshal([]byte(a.body), &rep); err != nil || a.code != http.StatusOK {
		t.Fatalf("%d %s", a.code, a.body)
	}
	return rep
}

type outcome struct{ alert, outcome, status string }

func outcomes(rep server.AlertReport) []outcome {
	var out []outcome
	for _, o := range rep.Alerts {
		st := ""
		if o.Result != nil {
			st = string(o.Result.Status)
		}
		out = append(out, outcome{o.Alert, o.Outcome, st})
	}
	return out
}

// TestSamplesEndToEnd sends every fc and http sample of events/ to a running server on the
// embedded backends with the demo configuration, each against fresh demo data, and reads the
// committed offsets back from the broker or the emulator.
func TestSamplesEndToEnd(t *testing.T) {
	ago6, ago2 := demo.OffsetAgo(6), demo.OffsetAgo(2)
	end := int64(demo.DemoMessages)
	cases := []struct {
		file  string
		check func(t *testing.T, f *demoFix, a answer)
	}{
		{"fc/timer.json", func(t *testing.T, f *demoFix, a answer) {
			r := decodeResult(t, a)
			if a.code != 200 || r.Status != reset.StatusApplied {
				t.Fatalf("%d %s", a.code, a.body)
			}
			f.expect(t, f.want("orders-etl", "orders", ago2))
			if !strings.Contains(f.audit.String(), `"principal":"timer:nightly-orders-etl"`) {
				t.Fatal(f.audit.String())
			}
		}},
		{"fc/timer-analytics.json", func(t *testing.T, f *demoFix, a answer) {
			var results []reset.Result
			if err := json.Unmarshal([]byte(a.body), &results); err != nil || a.code != 200 || len(results) != 2 ||
				results[0].Group != "analytics-batch" || results[1].Group != "analytics-web" ||
				results[0].Status != reset.StatusApplied || results[1].Status != reset.StatusApplied {
				t.Fatalf("%d %s", a.code, a.body)
			}
			f.expect(t, f.want("analytics-web", "clickstream", int64(demo.DemoMessages)))
			if c, _ := f.k.Committed(context.Background(), "analytics-batch"); c["clickstream"][0] != demo.DemoMessages || c["clickstream"][3] != demo.DemoMessages {
				t.Fatalf("analytics-batch %v", c)
			}
		}},
		{"http/alertmanager.json", func(t *testing.T, f *demoFix, a answer) {
			rep := alertReport(t, a)
			want := []outcome{{"KafkaConsumerLagHigh", "acted", "applied"}, {"KafkaConsumerLagHigh", "acted", "applied"}, {"KafkaConsumerLagHigh", "acknowledged", ""}}
			if got := outcomes(rep); !reflect.DeepEqual(got, want) || rep.Alerts[2].Reason != "state resolved: only firing alerts act; nothing changed" {
				t.Fatalf("%v\n%s", got, a.body)
			}
			f.expect(t, f.want("billing", "orders", ago6, "analytics-web", "clickstream", ago6))
			if !strings.Contains(f.audit.String(), `"principal":"alert:alertmanager:lag-high-replay-window"`) {
				t.Fatal(f.audit.String())
			}
		}},
		{"http/api-reset.json", func(t *testing.T, f *demoFix, a answer) {
			r := decodeResult(t, a)
			if a.code != 200 || r.Status != reset.StatusPlanned || *r.Partitions[0].After != ago6 {
				t.Fatalf("%d %s", a.code, a.body)
			}
			f.unchanged(t)
		}},
		{"http/cloudeye-notification.json", func(t *testing.T, f *demoFix, a answer) {
			if got := outcomes(alertReport(t, a)); !reflect.DeepEqual(got, []outcome{{"dms-kafka-analytics-web-lag", "acted", "applied"}}) {
				t.Fatalf("%v %s", got, a.body)
			}
			f.expect(t, f.want("analytics-web", "clickstream", end))
		}},
		{"http/cloudeye-subscription.json", func(t *testing.T, f *demoFix, a answer) {
			if a.code != 200 || !strings.Contains(a.body, `"confirmed":true`) || len(f.confirmed) != 1 ||
				!strings.HasPrefix(f.confirmed[0], "https://smn.cn-north-4.myhuaweicloud.com/smn/subscription/confirm?") {
				t.Fatalf("%d %s %v", a.code, a.body, f.confirmed)
			}
			f.unchanged(t)
		}},
		{"http/cloudmonitor.form", func(t *testing.T, f *demoFix, a answer) {
			if got := outcomes(alertReport(t, a)); !reflect.DeepEqual(got, []outcome{{"orders-etl backlog on orders", "acted", "applied"}}) {
				t.Fatalf("%v %s", got, a.body)
			}
			f.expect(t, f.want("orders-etl", "orders", end))
		}},
		{"http/dingtalk-plan.json", func(t *testing.T, f *demoFix, a answer) {
			var m chat.DingTalkMessage
			json.Unmarshal([]byte(a.body), &m)
			if a.code != 200 || m.MsgType != "actionCard" || !strings.HasPrefix(m.Text(), "#### Plan for group analytics-web on demo to latest: 2 partitions, skipping 220 messages. Nothing has changed yet.\n\n- clickstream/0: 10 → 120 (skip 110) planned\n") ||
				!strings.Contains(m.Text(), "\n\nconfirm ") {
				t.Fatalf("%d %s", a.code, a.body)
			}
			var posted chat.DingTalkMessage
			if len(f.posted) != 2 || f.posted[0] != "https://oapi.dingtalk.com/robot/sendBySession?session=5b1c6f0e9a2d4c8e7f3a1b0d9c8e7f6a" ||
				json.Unmarshal([]byte(f.posted[1]), &posted) != nil || !reflect.DeepEqual(posted, m) {
				t.Fatalf("session webhook: %q", f.posted)
			}
			f.unchanged(t)
		}},
		{"http/grafana.json", func(t *testing.T, f *demoFix, a answer) {
			if got := outcomes(alertReport(t, a)); !reflect.DeepEqual(got, []outcome{{"KafkaConsumerLagHigh", "acted", "applied"}}) {
				t.Fatalf("%v %s", got, a.body)
			}
			f.expect(t, f.want("billing", "orders", end))
		}},
		// One sample per cloud emulator: each moves its group, read back from the emulator.
		{"fc/timer-ali-kafka.json", func(t *testing.T, f *demoFix, a answer) {
			f.appliedOnBackend(t, a, 6)
			if !strings.Contains(f.audit.String(), `"principal":"timer:nightly-ali-orders-etl"`) {
				t.Fatal(f.audit.String())
			}
		}},
		{"http/api-ali-rmq.json", func(t *testing.T, f *demoFix, a answer) { f.appliedOnBackend(t, a, 1) }},
		{"http/api-ali-rmq5.json", func(t *testing.T, f *demoFix, a answer) { f.appliedOnBackend(t, a, 1) }},
		{"http/api-hw-kafka.json", func(t *testing.T, f *demoFix, a answer) {
			if r := f.appliedOnBackend(t, a, 2); *r.Partitions[1].After != 3_000_000_120 {
				t.Fatalf("%s", a.body)
			}
		}},
		{"fc/timer-hw-rmq.json", func(t *testing.T, f *demoFix, a answer) { f.appliedOnBackend(t, a, 8) }},
		{"http/slack-plan.form", func(t *testing.T, f *demoFix, a answer) {
			var m chat.SlackMessage
			json.Unmarshal([]byte(a.body), &m)
			if a.code != 200 || m.ResponseType != "ephemeral" || len(m.Blocks) < 4 ||
				m.Blocks[0].Text.Text != "*Plan for group billing on demo to latest: 6 partitions, skipping 525 messages. Nothing has changed yet.*" ||
				m.Blocks[3].Type != "actions" || m.Blocks[3].Elements[0].ActionID != chat.ActionApply || m.Blocks[3].Elements[0].Value == "" {
				t.Fatalf("%d %s", a.code, a.body)
			}
			f.unchanged(t)
		}},
	}
	list, err := samples.Load(events.FS)
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.file] = true
	}
	for _, s := range list {
		if s.Platform != samples.PlatformLambda && !covered[s.File] {
			t.Errorf("sample %s has no end-to-end case", s.File)
		}
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			f := newEmbeddedDemo(t)
			c.check(t, f, f.sendSample(t, c.file))
		})
	}
}

// TestSamplesInOrder fires every fc and http sample in manifest order at one server on the
// embedded backends (make demo gives each sample fresh ones): each one acts all the same
// (nothing is acknowledged or refused on the way).
func TestSamplesInOrder(t *testing.T) {
	f := newEmbeddedDemo(t)
	list, err := samples.Load(events.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.Platform == samples.PlatformLambda {
			continue
		}
		a := f.sendSample(t, s.File)
		if a.code != 200 || strings.Contains(a.body, `"refused"`) || strings.Contains(a.body, `"ignored"`) {
			t.Fatalf("%s: %d %s", s.File, a.code, a.body)
		}
	}
	end := int64(demo.DemoMessages)
	f.expect(t, f.want("billing", "orders", end, "analytics-web", "clickstream", end, "orders-etl", "orders", end))
}

// appliedOnBackend checks a sample's applied result with rows rows on a cloud emulator against
// the emulator: every row moved, and a dry run of "current" reads each row's after offset back
// as committed (or, where the backend tells only a whole topic's lag, finds none left after a
// reset to latest). The demo broker is untouched.
func (f *demoFix) appliedOnBackend(t *testing.T, a answer, rows int) reset.Result {
	t.Helper()
	r := decodeResult(t, a)
	if a.code != 200 || r.Status != reset.StatusApplied || len(r.Partitions) != rows {
		t.Fatalf("%d %s", a.code, a.body)
	}
	now := f.svc.Planner.Run(context.Background(), reset.Command{Target: r.Target, Group: r.Group, To: "current", DryRun: true}, reset.Options{})
	type key struct {
		topic string
		part  int32
	}
	read := map[key]reset.PartitionResult{}
	for _, p := range now.Partitions {
		read[key{p.Topic, p.Partition}] = p
	}
	for _, p := range r.Partitions {
		c, ok := read[key{p.Topic, p.Partition}]
		switch {
		case !ok:
			t.Fatalf("%s/%d is not on the emulator: %+v", p.Topic, p.Partition, now)
		case p.After != nil:
			if p.Before == nil || *p.After <= *p.Before || c.Before == nil || *c.Before != *p.After {
				t.Fatalf("%s/%d: applied %s → %s, the emulator has %s\n%s", p.Topic, p.Partition, i64(p.Before), i64(p.After), i64(c.Before), a.body)
			}
		case r.To != "latest" || p.Skipped == nil || *p.Skipped <= 0 || c.Lag == nil || *c.Lag != 0:
			t.Fatalf("%s: skipped %s, lag left on the emulator %s\n%s", p.Topic, i64(p.Skipped), i64(c.Lag), a.body)
		}
	}
	f.unchanged(t)
	return r
}

func i64(v *int64) string {
	if v == nil {
		return "null"
	}
	return strconv.FormatInt(*v, 10)
}

func decodeResult(t *testing.T, a answer) reset.Result {
	t.Helper()
	var r reset.Result
	if err := json.Unmarshal([]byte(a.body), &r); err != nil {
		t.Fatalf("not a result: %v\n%s", err, a.body)
	}
	return r
}
