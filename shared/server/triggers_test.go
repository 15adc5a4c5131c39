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
	"offsetreset/shared/demo"
	"reflect"
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
	ctx := context.Background()
	k, svc, err := samples.StartDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
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
	svc.DingTalkPost = (func(_ context.Context, hook string, body []byte) error {
		mu.Lock()
		defer mu.Unlock()
		f.posted = append(f.posted, hook, string(body))
		return nil
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

// TestSamplesEndToEnd sends every fc and http sample of events/ to a running server with the
// demo configuration, each against fresh demo data, and reads the committed offsets back.
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
			if a.code != 200 || m.MsgType != "markdown" || !strings.HasPrefix(m.Markdown.Text, "#### Plan for group analytics-web on demo to latest: 2 partitions, skipping 220 messages. Nothing has changed yet.\n\n- clickstream/0: 10 → 120 (skip 110) planned\n") ||
				!strings.Contains(m.Markdown.Text, "\n\nconfirm ") {
				t.Fatalf("%d %s", a.code, a.body)
			}
			var posted chat.DingTalkMessage
			if len(f.posted) != 2 || f.posted[0] != "https://oapi.dingtalk.com/robot/sendBySession?session=5b1c6f0e9a2d4c8e7f3a1b0d9c8e7f6a" ||
				json.Unmarshal([]byte(f.posted[1]), &posted) != nil || posted != m {
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
		{"http/slack-plan.form", func(t *testing.T, f *demoFix, a answer) {
			var m chat.SlackMessage
			json.Unmarshal([]byte(a.body), &m)
			if a.code != 200 || m.ResponseType != "ephemeral" || len(m.Blocks) < 3 ||
				m.Blocks[0].Text.Text != "*Plan for group billing on demo to latest: 6 partitions, skipping 525 messages. Nothing has changed yet.*" ||
				!strings.Contains(m.Blocks[2].Text.Text, "`/offsets confirm ") {
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
			f := newDemo(t)
			c.check(t, f, f.sendSample(t, c.file))
		})
	}
}

// TestSamplesInOrder fires every fc and http sample in manifest order at one server, as
// `make demo` does: each one acts (nothing is acknowledged or refused on the way).
func TestSamplesInOrder(t *testing.T) {
	f := newDemo(t)
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

func decodeResult(t *testing.T, a answer) reset.Result {
	t.Helper()
	var r reset.Result
	if err := json.Unmarshal([]byte(a.body), &r); err != nil {
		t.Fatalf("not a result: %v\n%s", err, a.body)
	}
	return r
}
