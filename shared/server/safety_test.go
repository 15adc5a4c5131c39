package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"offsetreset/shared/config"
	"offsetreset/shared/notify"
	"offsetreset/shared/reset"
	"offsetreset/shared/server"
)

var allSecrets = server.Secrets{
	APIToken: "sec-api-9f1", WebhookToken: "sec-hook-2b7", WebhookHMAC: "sec-hmac-77a",
	SlackSigning: "sec-slack-4c2", DingTalkApp: "sec-ding-0e5", ConfirmSecret: "sec-confirm-8d3",
}

func chatFixture(t *testing.T) (*fixture, *time.Time) {
	f := newFixture(t)
	f.svc.Secrets = allSecrets
	yes := true
	f.svc.Config.Policy = []config.PolicyRule{{Name: "oncall", Triggers: []string{"chat"}, Principals: []string{"slack:UON"},
		Targets: []string{"prod-*"}, Groups: []string{"*"}, Topics: []string{"*"}, Apply: &yes, MaxSkip: 100}}
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	f.svc.Now = func() time.Time { return now }
	f.svc.Planner.Now = f.svc.Now // one clock for tokens and commit markers
	return f, &now
}

var oncall = server.Invocation{Trigger: server.TriggerChat, Principal: "slack:UON", RequestID: "r1"}

func TestConfirmAppliesExactlyThePlan(t *testing.T) {
	f, _ := chatFixture(t)
	ctx := context.Background()
	plan, token := f.svc.Plan(ctx, oncall, reset.Command{Target: "prod-kafka", Group: "billing", To: "latest"})
	if plan.Status != reset.StatusPlanned || token == "" {
		t.Fatalf("%s %q %v", plan.Status, plan.Error, plan.Notes)
	}
	f.unchanged(t)
	// New messages arrive after the plan: confirm still applies the planned 10, not the new end.
	if err := f.k.Produce(ctx, "orders", 0, 5, func(int) time.Time { return time.Now() }); err != nil {
		t.Fatal(err)
	}
	res := f.svc.Confirm(ctx, oncall, token)
	if res.Status != reset.StatusApplied {
		t.Fatalf("%s: %s", res.Status, res.Error)
	}
	if c := f.committed(t); c[0] != 10 || c[1] != 10 {
		t.Fatalf("committed %v, want the planned 10/10", c)
	}
	// The same token again: a token applies once.
	again := f.svc.Confirm(ctx, oncall, token)
	want := "this confirm token was already used at 2026-11-21T10:00:00Z; a token applies once, so nothing changed: plan again to apply again"
	if again.Status != reset.StatusRefused || again.Error != want {
		t.Fatalf("second confirm: %s %q", again.Status, again.Error)
	}
}

func TestConfirmRefusals(t *testing.T) {
	f, now := chatFixture(t)
	ctx := context.Background()
	_, token := f.svc.Plan(ctx, oncall, reset.Command{Target: "prod-kafka", Group: "billing", To: "earliest"})
	if token == "" {
		t.Fatal("no token")
	}
	tampered := token[:len(token)-3] + "abc"
	if tampered == token {
		tampered = token[:len(token)-3] + "xyz"
	}
	cases := []struct {
		name  string
		inv   server.Invocation
		token string
		at    time.Time
		want  string
	}{
		{"tampered", oncall, tampered, *now, "the confirm token is not valid (altered, truncated or from another deployment); plan again"},
		{"truncated", oncall, token[:20], *now, "the confirm token is not valid (altered, truncated or from another deployment); plan again"},
		{"other principal", server.Invocation{Trigger: server.TriggerChat, Principal: "slack:UOTHER"}, token, *now, "this plan was made by slack:UON; only they can confirm it (plan it yourself to apply it)"},
		{"expired", oncall, token, now.Add(11 * time.Minute), "the confirm token expired at 2026-11-21T10:10:00Z; plan again"},
	}
	for _, c := range cases {
		at := c.at
		f.svc.Now = func() time.Time { return at }
		res := f.svc.Confirm(ctx, c.inv, c.token)
		if res.Status != reset.StatusRefused || res.Error != c.want {
			t.Errorf("%s: %s %q", c.name, res.Status, res.Error)
		}
		f.unchanged(t)
	}
}

func TestConfirmRefusesWhenOffsetsMovedInBetween(t *testing.T) {
	f, _ := chatFixture(t)
	ctx := context.Background()
	_, token := f.svc.Plan(ctx, oncall, reset.Command{Target: "prod-kafka", Group: "billing", Topics: []string{"orders"}, To: "latest"})
	if err := f.k.Commit(ctx, "billing", "orders", 1, 7); err != nil {
		t.Fatal(err)
	}
	res := f.svc.Confirm(ctx, oncall, token)
	want := "the offsets moved since the plan, so nothing was applied; plan again: orders/1: committed offset was 3 at plan time, now 7"
	if res.Status != reset.StatusRefused || res.Error != want {
		t.Fatalf("%s %q", res.Status, res.Error)
	}
	if c := f.committed(t); c[0] != 3 || c[1] != 7 {
		t.Fatalf("committed %v", c)
	}
}

func TestPlanOnlyPrincipalGetsNoToken(t *testing.T) {
	f, _ := chatFixture(t)
	no := false
	f.svc.Config.Policy = append(f.svc.Config.Policy, config.PolicyRule{Name: "viewers", Triggers: []string{"chat"}, Principals: []string{"*"}, Targets: []string{"*"}, Groups: []string{"*"}, Topics: []string{"*"}, Apply: &no})
	res, token := f.svc.Plan(context.Background(), server.Invocation{Trigger: server.TriggerChat, Principal: "slack:UVIEW"}, reset.Command{Target: "prod-kafka", Group: "billing", To: "latest"})
	if res.Status != reset.StatusPlanned || token != "" || !strings.Contains(strings.Join(res.Notes, "|"), "no confirm token: refused by policy") {
		t.Fatalf("%s token=%q notes=%v", res.Status, token, res.Notes)
	}
}

func TestAlertMinLagAndRetry(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.svc.Config.Policy = []config.PolicyRule{{Name: "lag", Triggers: []string{"alert"}, Targets: []string{"*"}, Groups: []string{"*"}, Topics: []string{"*"}}}
	rule := config.AlertRule{Name: "orders-skip", Source: "alertmanager", Target: "prod-kafka", To: "latest", MinLag: 10, MaxSkip: 1000}
	cmd := reset.Command{Target: "prod-kafka", Group: "billing", Topics: []string{"orders"}, To: "latest"}
	inv := server.Invocation{Trigger: server.TriggerAlert, Principal: "alert:alertmanager:orders-skip"}

	high := rule
	high.MinLag = 15 // lag is 7+7 = 14
	res := f.svc.RunAlert(ctx, inv, high, cmd)
	if res.Status != reset.StatusRefused || res.Error != "alert rule orders-skip: the lag of group billing is 14 now, below minLag 15; nothing changed (acknowledged)" {
		t.Fatalf("%s %q", res.Status, res.Error)
	}
	f.unchanged(t)

	small := rule
	small.MaxSkip = 13
	if res := f.svc.RunAlert(ctx, inv, small, cmd); res.Status != reset.StatusRefused || res.Error != "alert rule orders-skip: the reset would skip 14 messages, more than maxSkip 13; nothing changed" {
		t.Fatalf("%s %q", res.Status, res.Error)
	}
	f.unchanged(t)

	// The same alert delivered twice: one reset.
	first := f.svc.RunAlert(ctx, inv, rule, cmd)
	second := f.svc.RunAlert(ctx, inv, rule, cmd)
	if first.Status != reset.StatusApplied || second.Status != reset.StatusRefused || !strings.Contains(second.Error, "is 0 now, below minLag 10") {
		t.Fatalf("first %s %q, second %s %q", first.Status, first.Error, second.Status, second.Error)
	}
	applied := 0
	for _, l := range strings.Split(strings.TrimSpace(f.audit.String()), "\n") {
		var line map[string]any
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("audit line is not JSON: %s", l)
		}
		if line["status"] == "applied" {
			applied++
		}
	}
	if applied != 1 {
		t.Fatalf("%d applied audit lines, want 1:\n%s", applied, f.audit.String())
	}
}

func TestAuditLinesAndNoSecrets(t *testing.T) {
	f, _ := chatFixture(t)
	ctx := context.Background()
	srv := httptest.NewServer(f.svc.Handler(server.Local))
	defer srv.Close()
	post(t, srv.URL+"/v1/reset", `{"target":"prod-kafka","group":"billing","partitions":[0],"topics":["orders"],"to":"shift:+2","reason":"INC-1"}`, map[string]string{"Authorization": "Bearer " + allSecrets.APIToken})
	post(t, srv.URL+"/v1/reset", latest, map[string]string{"Authorization": "Bearer " + allSecrets.APIToken + "x"})
	_, token := f.svc.Plan(ctx, oncall, reset.Command{Target: "prod-kafka", Group: "billing", To: "latest"})
	f.svc.Confirm(ctx, oncall, token)
	f.svc.Confirm(ctx, oncall, token)
	f.svc.Confirm(ctx, server.Invocation{Trigger: server.TriggerChat, Principal: "slack:X"}, token)

	logs := f.audit.String()
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d audit lines, want 4 (api apply, confirm, two refusals):\n%s", len(lines), logs)
	}
	var first struct {
		Trigger, Principal, Status, Target string
		Command                            reset.Command
		Partitions                         []struct {
			Topic         string
			Before, After *int64
		}
		Undo json.RawMessage
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first.Trigger != "api" || first.Status != "applied" || first.Command.Reason != "INC-1" || len(first.Partitions) != 1 ||
		*first.Partitions[0].Before != 3 || *first.Partitions[0].After != 5 || !strings.Contains(string(first.Undo), `"offsets":[{"topic":"orders","partition":0,"offset":3}]`) {
		t.Fatalf("audit line: %s", lines[0])
	}
	for _, s := range []string{allSecrets.APIToken, allSecrets.WebhookToken, allSecrets.WebhookHMAC, allSecrets.SlackSigning, allSecrets.DingTalkApp, allSecrets.ConfirmSecret, token[:40]} {
		if strings.Contains(logs, s) {
			t.Fatalf("a secret or token %q appears in the logs:\n%s", s[:6], logs)
		}
	}
}

func TestNotificationSinkDownKeepsResetApplied(t *testing.T) {
	f := newFixture(t)
	var calls atomic.Int32
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	got := make(chan map[string]any, 1)
	ding := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts, sign := r.URL.Query().Get("timestamp"), r.URL.Query().Get("sign")
		m := hmac.New(sha256.New, []byte("ding-secret"))
		m.Write([]byte(ts + "\n" + "ding-secret"))
		if sign != base64.StdEncoding.EncodeToString(m.Sum(nil)) {
			w.WriteHeader(400)
			return
		}
		var body map[string]any
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &body)
		got <- body
	}))
	defer ding.Close()
	f.svc.Notifier = &notify.Notifier{Sinks: []notify.Sink{&notify.Slack{URL: down.URL + "/hook/T000/B000/XXXX"}, &notify.DingTalk{URL: ding.URL + "/robot/send?access_token=abc", Secret: "ding-secret"}}, Backoff: time.Millisecond}
	res := f.svc.RunAll(context.Background(), server.Invocation{Trigger: server.TriggerSchedule, Principal: "timer:nightly"}, []reset.Command{{Target: "prod-kafka", Group: "billing", To: "latest"}})[0]
	if res.Status != reset.StatusApplied {
		t.Fatalf("%s %s", res.Status, res.Error)
	}
	if c := f.committed(t); c[0] != 10 {
		t.Fatalf("committed %v", c)
	}
	if calls.Load() != 3 || !strings.Contains(strings.Join(res.Notes, "|"), "notification to slack failed: the webhook answered HTTP 503") {
		t.Fatalf("calls %d notes %v", calls.Load(), res.Notes)
	}
	if strings.Contains(strings.Join(res.Notes, "|")+f.audit.String(), "XXXX") {
		t.Fatal("the webhook URL (a credential) leaked into notes or logs")
	}
	body := <-got
	md, _ := body["markdown"].(map[string]any)
	if body["msgtype"] != "markdown" || !strings.HasPrefix(md["title"].(string), "offsetreset applied: prod-kafka billing → latest (skipped 14)") {
		t.Fatalf("dingtalk body %v", body)
	}
}
