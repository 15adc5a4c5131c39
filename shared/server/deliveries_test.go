package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"offsetreset/shared/config"
	"offsetreset/shared/demo"
	"offsetreset/shared/notify"
	"offsetreset/shared/reset"
	"offsetreset/shared/server"
	"offsetreset/shared/trigger/alert"
)

// another is a second instance of the function (a platform retry or an HA peer landing on a new
// FC or Lambda instance): same config, same broker, no memory of the first.
func (f *fixture) another(t *testing.T) (*server.Service, *syncBuf) {
	t.Helper()
	svc, err := server.New(f.svc.Config)
	if err != nil {
		t.Fatal(err)
	}
	buf := &syncBuf{}
	svc.Log = slog.New(slog.NewJSONHandler(buf, nil))
	svc.Secrets, svc.Now = f.svc.Secrets, f.svc.Now
	svc.Planner.Now = f.svc.Planner.Now
	return svc, buf
}

// auditCount counts the audit lines (main lines, not continuations) with the given status.
func auditCount(t *testing.T, logs ...*syncBuf) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, b := range logs {
		for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
			if l == "" {
				continue
			}
			var line struct{ Msg, Status string }
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatalf("log line is not JSON: %s", l)
			}
			switch line.Msg {
			case "offsetreset.audit":
				n[line.Status]++
			case "offsetreset.duplicate":
				n["duplicate"]++
			}
		}
	}
	return n
}

func fcInvoke(t *testing.T, url, requestID, retry, body string) (reply, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/invoke", strings.NewReader(body))
	req.Header.Set("x-fc-control-path", "/invoke")
	req.Header.Set("x-fc-request-id", requestID)
	if retry != "" {
		req.Header.Set("x-fc-retry-count", retry)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return reply{code: resp.StatusCode, body: b.String()}, resp.Header.Get("x-fc-status")
}

// FC delivers the same async event again (x-fc-request-id kept, x-fc-retry-count counting), to
// the same instance and to a fresh one: the shift is applied once, audited once.
func TestFCEventDeliveredTwiceShiftsOnce(t *testing.T) {
	f := newFixture(t)
	// The first commit is answered REQUEST_TIMED_OUT yet applied: FC would retry after 404.
	f.k.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Err: kerr.RequestTimedOut})
	srv := httptest.NewServer(f.svc.Handler(server.FC))
	defer srv.Close()
	cmd := `{"target":"prod-kafka","group":"billing","topics":["orders"],"to":"shift:+2"}`

	r, fcStatus := fcInvoke(t, srv.URL, "fc-req-1", "", cmd)
	if res := decode(t, r.body); r.code != 200 || res.Status != reset.StatusApplied || fcStatus != "" {
		t.Fatalf("%d %s %s", r.code, fcStatus, r.body)
	}
	if c := f.committed(t); c[0] != 5 || c[1] != 5 {
		t.Fatalf("committed %v", c)
	}
	// FC retries the same request on the same instance: answered from memory.
	r, _ = fcInvoke(t, srv.URL, "fc-req-1", "1", cmd)
	if res := decode(t, r.body); res.Status != reset.StatusApplied || res.Duplicate == "" {
		t.Fatalf("%s", r.body)
	}
	// And on a fresh instance: the commit markers say it was applied.
	other, otherLog := f.another(t)
	srv2 := httptest.NewServer(other.Handler(server.FC))
	defer srv2.Close()
	r, _ = fcInvoke(t, srv2.URL, "fc-req-1", "2", cmd)
	if res := decode(t, r.body); res.Status != reset.StatusApplied || res.Duplicate == "" || res.Undo == nil || res.Undo.Offsets[0].Offset != 3 {
		t.Fatalf("%s", r.body)
	}
	if c := f.committed(t); c[0] != 5 || c[1] != 5 {
		t.Fatalf("a retried shift moved again: %v", c)
	}
	if n := auditCount(t, f.audit, otherLog); n["applied"] != 1 || n["duplicate"] != 2 {
		t.Fatalf("audit %v", n)
	}
	// A new request is a new shift.
	fcInvoke(t, srv.URL, "fc-req-2", "", cmd)
	if c := f.committed(t); c[0] != 7 {
		t.Fatalf("committed %v", c)
	}
}

// Every outcome that did not do what was asked marks the FC event failed, refused included.
func TestFCMarksEveryNotDoneOutcome(t *testing.T) {
	f := newFixture(t)
	if err := f.k.Commit(context.Background(), "other", "orders", 0, 1); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.svc.Handler(server.FC))
	defer srv.Close()
	for name, c := range map[string]struct {
		body   string
		status reset.Status
	}{
		"refused": {`{"target":"prod-kafka","group":"bililng","topics":["orders"],"to":"latest"}`, reset.StatusRefused},
		"invalid": {`{"target":"prod-kafka","group":"billing","to":"offset:-1"}`, reset.StatusInvalid},
		"applied": {`{"target":"prod-kafka","group":"billing","topics":["orders"],"to":"latest"}`, reset.StatusApplied},
	} {
		r, fcStatus := fcInvoke(t, srv.URL, "fc-"+name, "", c.body)
		res := decode(t, r.body)
		want := "404"
		if c.status == reset.StatusApplied {
			want = ""
		}
		if r.code != 200 || res.Status != c.status || fcStatus != want {
			t.Errorf("%s: %d x-fc-status=%q %s", name, r.code, fcStatus, r.body)
		}
	}
}

// An FC retry of a shift on a backend without commit markers (ApsaraMQ for Kafka's API) is
// refused: the first attempt may have written it and nothing could tell. Kafka keeps markers, so
// its retries run and converge; absolute targets are safe to re-apply anywhere.
func TestRetryGuardWithoutMarkers(t *testing.T) {
	env, err := demo.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	svc, err := server.New(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	svc.Log = slog.New(slog.NewJSONHandler(&syncBuf{}, nil))
	srv := httptest.NewServer(svc.Handler(server.FC))
	defer srv.Close()
	shift := `{"target":"ali-kafka-demo","group":"billing","topics":["orders"],"to":"shift:+1"}`
	r, fcStatus := fcInvoke(t, srv.URL, "fc-ali-1", "1", shift)
	res := decode(t, r.body)
	if res.Status != reset.StatusRefused || fcStatus != "404" || res.Error != "this is platform retry 1 of request fc-ali-1, and shift:+1 on a alikafka target cannot be repeated safely: "+
		"the first attempt may have written it and alikafka keeps no commit markers, so nothing changed now; read the offsets with a dry run and send a new command if needed" {
		t.Fatalf("%s %s", fcStatus, r.body)
	}
	if r, _ := fcInvoke(t, srv.URL, "fc-ali-2", "1", `{"target":"ali-kafka-demo","group":"billing","topics":["orders"],"to":"latest","dryRun":true}`); decode(t, r.body).Status != reset.StatusPlanned {
		t.Fatalf("%s", r.body)
	}
	// On Kafka a retry of a shift needs its first delivery's commit marker: one without (the
	// platform gave the retry a new request id, or the first wrote nothing) is refused too.
	r, _ = fcInvoke(t, srv.URL, "fc-k-1", "1", `{"target":"demo","group":"billing","topics":["orders"],"to":"shift:+1"}`)
	if res := decode(t, r.body); res.Status != reset.StatusRefused || !strings.Contains(res.Error, "no partition carries this invocation's commit marker") {
		t.Fatalf("%s", r.body)
	}
	if r, _ := fcInvoke(t, srv.URL, "fc-k-2", "1", `{"target":"demo","group":"billing","topics":["orders"],"to":"latest"}`); decode(t, r.body).Status != reset.StatusApplied {
		t.Fatalf("%s", r.body)
	}
}

type countingSink struct {
	mu sync.Mutex
	n  int
}

func (c *countingSink) Name() string { return "count" }
func (c *countingSink) Send(context.Context, notify.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return nil
}

func alertFixture(t *testing.T) (*fixture, config.AlertRule, alert.Alert, *countingSink) {
	f := newFixture(t)
	f.svc.Config.Policy = []config.PolicyRule{{Name: "lag", Triggers: []string{"alert"}, Targets: []string{"*"}, Groups: []string{"*"}, Topics: []string{"*"}}}
	rule := config.AlertRule{Name: "orders-skip", Source: "alertmanager", Match: map[string]string{"alertname": "Lag"}, Target: "prod-kafka", To: "latest", MinLag: 1}
	f.svc.Config.Alerts = []config.AlertRule{rule}
	sink := &countingSink{}
	f.svc.Notifier = &notify.Notifier{Sinks: []notify.Sink{sink}}
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	f.svc.Now = func() time.Time { return now }
	f.svc.Planner.Now = f.svc.Now
	a := alert.Alert{Source: "alertmanager", Name: "Lag", Firing: true, State: "firing", ID: "fp1",
		Key: "fp1@2026-11-21T09:58:00Z", Labels: map[string]string{"alertname": "Lag", "consumergroup": "billing", "topic": "orders"}}
	return f, rule, a, sink
}

// Four parallel deliveries of one Alertmanager alert (webhook retries, an HA pair): one applied
// reset, one applied audit line, one notification; the others say it was already handled.
func TestAlertDeliveredFourTimesInParallelActsOnce(t *testing.T) {
	f, _, a, sink := alertFixture(t)
	var wg sync.WaitGroup
	reps := make([]*server.AlertReport, 4)
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i] = f.svc.HandleAlerts(context.Background(), "req", "alertmanager", []alert.Alert{a})
		}()
	}
	wg.Wait()
	outcomes := map[string]int{}
	for _, r := range reps {
		o := r.Alerts[0]
		outcomes[o.Outcome]++
		if o.Outcome == server.OutcomeDuplicate && !strings.Contains(o.Reason, "already handled at 2026-11-21T10:00:00Z") {
			t.Errorf("reason %q", o.Reason)
		}
	}
	if outcomes[server.OutcomeActed] != 1 || outcomes[server.OutcomeDuplicate] != 3 {
		t.Fatalf("outcomes %v", outcomes)
	}
	if c := f.committed(t); c[0] != 10 || c[1] != 10 {
		t.Fatalf("committed %v", c)
	}
	if n := auditCount(t, f.audit); n["applied"] != 1 || sink.n != 1 {
		t.Fatalf("audit %v, %d notifications", n, sink.n)
	}

	// The HA peer's copy lands on another instance: the commit markers carry the alert identity.
	f.k.Produce(context.Background(), "orders", 0, 5, func(int) time.Time { return time.Now() })
	other, otherLog := f.another(t)
	rep := other.HandleAlerts(context.Background(), "req", "alertmanager", []alert.Alert{a})
	if o := rep.Alerts[0]; o.Outcome != server.OutcomeDuplicate || o.Result.Status != reset.StatusRefused {
		t.Fatalf("%+v %+v", o, o.Result)
	}
	if c := f.committed(t); c[0] != 10 {
		t.Fatalf("the peer's copy acted: %v", c)
	}
	if n := auditCount(t, otherLog); n["applied"] != 0 {
		t.Fatalf("audit %v", n)
	}
}

// A re-notification after the sameDelivery window (Alertmanager's repeat_interval) is a new chance
// to act, gated by minLag.
func TestAlertRenotificationAfterTheWindowActsAgain(t *testing.T) {
	f, _, a, _ := alertFixture(t)
	if rep := f.svc.HandleAlerts(context.Background(), "r1", "alertmanager", []alert.Alert{a}); rep.Alerts[0].Result.Status != reset.StatusApplied {
		t.Fatalf("%+v", rep.Alerts[0].Result)
	}
	f.k.Produce(context.Background(), "orders", 0, 5, func(int) time.Time { return time.Now() })
	// Inside the window: already handled, although the lag is back.
	later := time.Date(2026, 11, 21, 10, 29, 0, 0, time.UTC)
	f.svc.Now = func() time.Time { return later }
	f.svc.Planner.Now = f.svc.Now
	if rep := f.svc.HandleAlerts(context.Background(), "r2", "alertmanager", []alert.Alert{a}); rep.Alerts[0].Outcome != server.OutcomeDuplicate {
		t.Fatalf("%+v", rep.Alerts[0])
	}
	// After it: acts again (lag 5 ≥ minLag 1).
	later = later.Add(2 * time.Minute)
	rep := f.svc.HandleAlerts(context.Background(), "r3", "alertmanager", []alert.Alert{a})
	if o := rep.Alerts[0]; o.Outcome != server.OutcomeActed || o.Result.Status != reset.StatusApplied {
		t.Fatalf("%+v %+v", o, o.Result)
	}
	if c := f.committed(t); c[0] != 15 {
		t.Fatalf("committed %v", c)
	}
}

// One confirm token, four concurrent confirms: exactly one applied. After an undo put the
// offsets back, the token is still spent — here from memory, on a fresh instance from the
// commit markers.
func TestConfirmTokenIsSingleUse(t *testing.T) {
	f, _ := chatFixture(t)
	ctx := context.Background()
	_, token := f.svc.Plan(ctx, oncall, reset.Command{Target: "prod-kafka", Group: "billing", To: "latest"})
	if token == "" {
		t.Fatal("no token")
	}
	results := make([]*reset.Result, 4)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = f.svc.Confirm(ctx, oncall, token)
		}()
	}
	wg.Wait()
	applied := 0
	var undo *reset.Command
	for _, r := range results {
		switch {
		case r.Status == reset.StatusApplied:
			applied++
			undo = r.Undo
		case r.Status == reset.StatusRefused && r.Error == "this confirm token was already used at 2026-11-21T10:00:00Z; a token applies once, so nothing changed: plan again to apply again":
		default:
			t.Errorf("%s %q", r.Status, r.Error)
		}
	}
	if applied != 1 || auditCount(t, f.audit)["applied"] != 1 {
		t.Fatalf("%d applied, audit %v", applied, auditCount(t, f.audit))
	}
	// Undo puts the offsets back to the plan's before.
	api := server.Invocation{Trigger: server.TriggerAPI, Principal: "api-token"}
	if r := f.svc.Run(ctx, api, *undo, reset.Options{}); r.Status != reset.StatusApplied {
		t.Fatalf("undo %s %s", r.Status, r.Error)
	}
	f.unchanged(t)
	if r := f.svc.Confirm(ctx, oncall, token); r.Status != reset.StatusRefused || !strings.HasPrefix(r.Error, "this confirm token was already used at") {
		t.Fatalf("%s %q", r.Status, r.Error)
	}
	other, _ := f.another(t)
	if r := other.Confirm(ctx, oncall, token); r.Status != reset.StatusRefused || r.Error != "this confirm token was already used at 2026-11-21T10:00:00Z; a token applies once, so nothing changed: plan again to apply again" {
		t.Fatalf("fresh instance: %s %q", r.Status, r.Error)
	}
	f.unchanged(t)
}

// A plan that changes nothing issues no token.
func TestNothingToDoIssuesNoToken(t *testing.T) {
	f, _ := chatFixture(t)
	ctx := context.Background()
	res, token := f.svc.Plan(ctx, oncall, reset.Command{Target: "prod-kafka", Group: "billing", To: "offset:3"})
	if res.Status != reset.StatusPlanned || token != "" || !strings.Contains(strings.Join(res.Notes, "|"), "nothing to do: group billing is already at offset:3") {
		t.Fatalf("%q %v", token, res.Notes)
	}
}

// The JSON API's Idempotency-Key makes a re-sent request one delivery.
func TestAPIIdempotencyKey(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.svc.Handler(server.Local))
	defer srv.Close()
	h := map[string]string{"Authorization": "Bearer s3cret-api-token", "Idempotency-Key": "deploy-4711"}
	body := `{"target":"prod-kafka","group":"billing","topics":["orders"],"to":"shift:+1"}`
	for i := 0; i < 2; i++ {
		if r := post(t, srv.URL+"/v1/reset", body, h); r.code != 200 {
			t.Fatalf("%d %s", r.code, r.body)
		}
	}
	if c := f.committed(t); c[0] != 4 || c[1] != 4 {
		t.Fatalf("committed %v", c)
	}
}

// Attack: a partial shift, the operator's undo, then the platform's retry on a fresh instance.
// The retry must not re-apply over the undo: it is refused, naming the newer reset.
func TestRetryAfterUndoIsRefused(t *testing.T) {
	f := newFixture(t)
	fault := f.k.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Topic: "orders", Partitions: []int32{1}, Err: kerr.NotCoordinator, Count: -1})
	srv := httptest.NewServer(f.svc.Handler(server.FC))
	defer srv.Close()
	cmd := `{"target":"prod-kafka","group":"billing","topics":["orders"],"to":"shift:+4"}`
	r, _ := fcInvoke(t, srv.URL, "fc-shift-9", "", cmd)
	res := decode(t, r.body)
	if res.Status != reset.StatusPartial || res.Undo == nil {
		t.Fatalf("%s", r.body)
	}
	fault.Remove()
	if u := f.svc.Run(context.Background(), server.Invocation{Trigger: server.TriggerAPI, Principal: "api-token"}, *res.Undo, reset.Options{}); u.Status != reset.StatusApplied {
		t.Fatalf("undo %s %s", u.Status, u.Error)
	}
	f.unchanged(t)
	other, _ := f.another(t)
	srv2 := httptest.NewServer(other.Handler(server.FC))
	defer srv2.Close()
	r, _ = fcInvoke(t, srv2.URL, "fc-shift-9", "1", cmd)
	if res := decode(t, r.body); res.Status != reset.StatusRefused || !strings.Contains(res.Error, "another reset has moved it since") {
		t.Fatalf("%s", r.body)
	}
	f.unchanged(t)
}

// Attack: a retry of an ago: target resolves from the first delivery's instant, not its own.
func TestRetryOfAgoResolvesFromTheFirstDelivery(t *testing.T) {
	f := newFixture(t) // messages at 1_700_000_000_000 + i s, i = 0…9
	now := time.UnixMilli(1_700_000_000_000 + 3_600_000 + 5_500)
	f.svc.Now = func() time.Time { return now }
	f.svc.Planner.Now = f.svc.Now
	// Count -1: the client retries NOT_COORDINATOR itself, so one fault could be retried away.
	fault := f.k.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Topic: "orders", Partitions: []int32{1}, Err: kerr.NotCoordinator, Count: -1})
	inv := server.Invocation{Trigger: server.TriggerSchedule, Principal: "lambda:invoke", Identity: "lambda:ago-1"}
	cmd := reset.Command{Target: "prod-kafka", Group: "billing", Topics: []string{"orders"}, To: "ago:1h"}
	if r := f.svc.Run(context.Background(), inv, cmd, reset.Options{}); r.Status != reset.StatusPartial {
		t.Fatalf("%s %s", r.Status, r.Error)
	}
	if c := f.committed(t); c[0] != 6 || c[1] != 3 {
		t.Fatalf("committed %v", c)
	}
	fault.Remove()
	now = now.Add(3 * time.Second) // the retry comes later: now − 1h would land on offset 9
	other, _ := f.another(t)
	r := other.Run(context.Background(), inv, cmd, reset.Options{})
	if r.Status != reset.StatusApplied {
		t.Fatalf("%s %s", r.Status, r.Error)
	}
	if c := f.committed(t); c[0] != 6 || c[1] != 6 {
		t.Fatalf("committed %v, want both at the first delivery's 6", c)
	}
}

// Attack: a used token after an undo, once consumers re-committed (the marks are gone) or other
// resets pushed the token's marker out: any offsetreset write since the plan spends it.
func TestConfirmSpentByAnyLaterReset(t *testing.T) {
	f, now := chatFixture(t)
	ctx := context.Background()
	_, token := f.svc.Plan(ctx, oncall, reset.Command{Target: "prod-kafka", Group: "billing", To: "latest"})
	*now = now.Add(time.Minute)
	first := f.svc.Confirm(ctx, oncall, token)
	api := server.Invocation{Trigger: server.TriggerAPI, Principal: "api-token"}
	if u := f.svc.Run(ctx, api, *first.Undo, reset.Options{}); u.Status != reset.StatusApplied {
		t.Fatalf("undo %s", u.Error)
	}
	for _, s := range []string{"shift:+1", "shift:-1", "shift:+1", "shift:-1"} { // four more marks
		if r := f.svc.Run(ctx, api, reset.Command{Target: "prod-kafka", Group: "billing", To: s}, reset.Options{}); r.Status != reset.StatusApplied {
			t.Fatalf("%s %s", s, r.Error)
		}
	}
	other, _ := f.another(t)
	r := other.Confirm(ctx, oncall, token)
	if r.Status != reset.StatusRefused || !strings.Contains(r.Error, "after this plan was made; nothing changed: plan again") {
		t.Fatalf("%s %q", r.Status, r.Error)
	}
	f.unchanged(t)
}
