package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"offsetreset/shared/config"
	"offsetreset/shared/notify"
	"offsetreset/shared/reset"
	"offsetreset/shared/server"
	"offsetreset/shared/trigger/alert"
	"offsetreset/shared/trigger/grafana"
)

// Every policy rule key, through real signed Slack requests: a command the rule allows gets a
// confirm token (and applies on confirm), one it does not allow is refused, naming the key, and
// changes nothing.
func TestPolicyKeysThroughSignedSlackRequests(t *testing.T) {
	yes, no := true, false
	base := func() config.PolicyRule {
		return config.PolicyRule{Name: "r", Triggers: []string{"chat"}, Principals: []string{"*"}, Targets: []string{"*"}, Groups: []string{"*"}, Topics: []string{"*"}, Apply: &yes}
	}
	const user, channel = "U2147483697", "slack:C2147483705" // what slackForm sends
	cases := []struct {
		key           string
		rule          func(*config.PolicyRule)
		allow, refuse string // command texts
		why           string // in the refusal
	}{
		{"triggers", func(r *config.PolicyRule) { r.Triggers = []string{"alert"} }, "", "plan demo billing orders latest", "no policy rule allows chat triggers"},
		{"principals", func(r *config.PolicyRule) { r.Principals = []string{"slack:" + user} }, "plan demo billing orders latest", "", ""},
		{"channels", func(r *config.PolicyRule) { r.Channels = []string{channel} }, "plan demo billing orders latest", "", ""},
		{"channels-other", func(r *config.PolicyRule) { r.Channels = []string{"slack:COTHER"} }, "", "plan demo billing orders latest", "channel slack:C2147483705 is not among its channels"},
		{"targets", func(r *config.PolicyRule) { r.Targets = []string{"prod-*"} }, "", "plan demo billing orders latest", "target demo"},
		{"groups", func(r *config.PolicyRule) { r.Groups = []string{"bill*"} }, "plan demo billing orders latest", "plan demo orders-etl orders latest", "group orders-etl"},
		{"topics", func(r *config.PolicyRule) { r.Topics = []string{"orders"} }, "plan demo orders-etl orders latest", "plan demo orders-etl payments latest", "topic payments"},
		{"to", func(r *config.PolicyRule) { r.To = []string{"ago"} }, "plan demo billing orders ago:2h", "plan demo billing orders latest", "to latest"},
		{"maxSkip", func(r *config.PolicyRule) { r.MaxSkip = 100 }, "plan demo billing orders:0 latest", "plan demo billing orders latest", "maxSkip"},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			f := newDemo(t)
			now := time.Now()
			rule := base()
			c.rule(&rule)
			f.svc.Config.Policy = []config.PolicyRule{rule}
			if c.allow != "" {
				_, m := f.slack(t, slackForm(user, c.allow), now)
				tok := confirmRE.FindStringSubmatch(slackText(m))
				if tok == nil {
					t.Fatalf("allowed plan got no token: %s", slackText(m))
				}
				_, m = f.slack(t, slackForm(user, "confirm "+tok[1]), now)
				if !strings.HasPrefix(slackText(m), "*Applied: ") {
					t.Fatalf("confirm: %s", slackText(m))
				}
				if f.offsets(t)["billing"]["orders"][0] == f.initial["billing"]["orders"][0] && f.offsets(t)["orders-etl"]["orders"][0] == f.initial["orders-etl"]["orders"][0] {
					t.Fatal("the allowed confirm moved nothing")
				}
				return
			}
			_, m := f.slack(t, slackForm(user, c.refuse), now)
			text := slackText(m)
			if confirmRE.MatchString(text) || !strings.Contains(text, c.why) {
				t.Fatalf("refusal %q lacks %q", text, c.why)
			}
			f.unchanged(t)
		})
	}
	// apply: false lets a person plan but gives no token.
	f := newDemo(t)
	rule := base()
	rule.Apply = &no
	f.svc.Config.Policy = []config.PolicyRule{rule}
	_, m := f.slack(t, slackForm(user, "plan demo billing orders latest"), time.Now())
	if text := slackText(m); confirmRE.MatchString(text) || !strings.Contains(text, "it allows planning only (apply: false)") {
		t.Fatalf("%s", text)
	}
	f.unchanged(t)
}

// The local server answers only its operator: not a web page (Origin), not a simple cross-origin
// body type, not a DNS-rebound Host. Each refusal changes nothing.
func TestLocalServerAnswersOnlyItsOperator(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.svc.Handler(server.Local))
	defer srv.Close()
	body := `{"target":"prod-kafka","group":"billing","topics":["orders"],"to":"latest"}`
	for name, c := range map[string]struct {
		path, host string
		header     map[string]string
		want       string
	}{
		"web page origin":  {"/invoke", "", map[string]string{"Origin": "https://evil.example", "Content-Type": "application/json"}, `Origin "https://evil.example" is not this server`},
		"text/plain":       {"/invoke", "", map[string]string{"Content-Type": "text/plain"}, `not "text/plain"`},
		"form":             {"/v1/reset", "", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Bearer s3cret-api-token"}, `not "application/x-www-form-urlencoded"`},
		"DNS rebinding":    {"/invoke", "rebind.evil.example:8080", map[string]string{"Content-Type": "application/json"}, `not Host "rebind.evil.example:8080"`},
		"rebinding on API": {"/v1/reset", "attacker.example", map[string]string{"Authorization": "Bearer s3cret-api-token"}, `not Host "attacker.example"`},
	} {
		req, _ := http.NewRequest("POST", srv.URL+c.path, strings.NewReader(body))
		for k, v := range c.header {
			req.Header.Set(k, v)
		}
		if c.host != "" {
			req.Host = c.host
		}
		a := do(t, req)
		if a.code != http.StatusForbidden || !strings.Contains(errorText(t, a), c.want) {
			t.Errorf("%s: %d %s", name, a.code, a.body)
		}
		f.unchanged(t)
	}
	// The operator's own curl (JSON, no Origin, a loopback Host) works; so does its own origin.
	req, _ := http.NewRequest("POST", srv.URL+"/invoke", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", srv.URL)
	if a := do(t, req); a.code != 200 || decode(t, a.body).Status != reset.StatusApplied {
		t.Fatalf("%d %s", a.code, a.body)
	}
}

type hangingSink struct {
	mu        sync.Mutex
	deadlines []time.Time
}

func (h *hangingSink) Name() string { return "hanging" }
func (h *hangingSink) Send(ctx context.Context, _ notify.Event) error {
	dl, _ := ctx.Deadline()
	h.mu.Lock()
	h.deadlines = append(h.deadlines, dl)
	h.mu.Unlock()
	<-ctx.Done()
	return ctx.Err()
}

// A sink that hangs cannot hold the answer past the invocation's deadline; one webhook of 1,000
// identical firing alerts acts once, notifies once, and answers the alerts past the limit ignored.
func TestNotificationsStayInsideTheInvocation(t *testing.T) {
	f, _, a, _ := alertFixture(t)
	sink := &hangingSink{}
	f.svc.Notifier = &notify.Notifier{Sinks: []notify.Sink{sink}, Tries: 1}
	alerts := make([]alert.Alert, 1000)
	for i := range alerts {
		alerts[i] = a
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	invocationEnd, _ := ctx.Deadline()
	rep := f.svc.HandleAlerts(ctx, "req-1000", "alertmanager", alerts)
	n := map[string]int{}
	for _, o := range rep.Alerts {
		n[o.Outcome]++
	}
	if len(rep.Alerts) != 1000 || n[server.OutcomeActed] != 1 || n[server.OutcomeDuplicate] != 999 {
		t.Fatalf("outcomes %v", n)
	}
	if len(sink.deadlines) != 1 || sink.deadlines[0].IsZero() || sink.deadlines[0].After(invocationEnd) {
		t.Fatalf("notifications %v, invocation ends %v", sink.deadlines, invocationEnd)
	}
	if !strings.Contains(strings.Join(rep.Alerts[0].Result.Notes, "|"), "notification to hanging failed") {
		t.Fatalf("notes %v", rep.Alerts[0].Result.Notes)
	}
	if c := auditCount(t, f.audit); c["applied"] != 1 || len(c) != 1 {
		t.Fatalf("audit %v", c)
	}
}

// Replay windows: a Grafana signature over the body alone would verify forever, and a DingTalk
// timestamp far in the future would stay valid for its whole window: both are refused and change
// nothing. (SMN's 15 minutes: TestCloudEyeSignature.)
func TestReplayWindows(t *testing.T) {
	f := newDemo(t)
	body := readEvent(t, "http/grafana.json")
	a := send(t, "POST", f.srv.URL+"/v1/alerts/grafana", body, map[string]string{"Content-Type": "application/json",
		grafana.SignatureHeader: grafana.Sign(trSecrets.WebhookHMAC, "", body)})
	if a.code != 401 || !strings.Contains(errorText(t, a), "the HMAC signature covers the body without a timestamp, so a captured request would verify forever") {
		t.Fatalf("%d %s", a.code, a.body)
	}
	f.unchanged(t)
	// The SMN sample as captured (sent 2026-11-21), replayed with the URL token: refused too,
	// before it reaches the alert rules (the signature path: TestCloudEyeSignature).
	a = send(t, "POST", f.srv.URL+"/v1/alerts/cloudeye?token="+trSecrets.WebhookToken, readEvent(t, "http/cloudeye-notification.json"),
		map[string]string{"X-SMN-MESSAGE-TYPE": "Notification"})
	if a.code != 401 || !strings.Contains(errorText(t, a), "more than the 15 minutes accepted; it is refused as a possible replay") {
		t.Fatalf("%d %s", a.code, a.body)
	}
	f.unchanged(t)
	a, _ = f.dingtalk(t, dingMessage("manager4711", "plan demo billing orders latest"), time.Now().Add(6*time.Minute))
	if a.code != 401 || !strings.Contains(errorText(t, a), "ahead of this server's clock, more than the 5 minutes accepted") {
		t.Fatalf("%d %s", a.code, a.body)
	}
	f.unchanged(t)
}

// One webhook acts on at most maxAlertsPerWebhook alerts a rule matches; alerts no rule matches
// do not count, so 100 of them cannot push a matching one out.
func TestAlertLimitCountsMatchedAlerts(t *testing.T) {
	f, _, a, _ := alertFixture(t)
	var alerts []alert.Alert
	for i := range 100 {
		alerts = append(alerts, alert.Alert{Source: "alertmanager", Name: "DiskFull", Firing: true, State: "firing", Key: fmt.Sprintf("disk%d", i), Labels: map[string]string{"alertname": "DiskFull"}})
	}
	alerts = append(alerts, a)
	rep := f.svc.HandleAlerts(context.Background(), "r", "alertmanager", alerts)
	if o := rep.Alerts[100]; o.Outcome != server.OutcomeActed || o.Result.Status != reset.StatusApplied {
		t.Fatalf("%+v", o)
	}
	f.svc.Config.MaxAlertsPerWebhook = 2
	var many []alert.Alert
	for i := range 3 {
		b := a
		b.Key = fmt.Sprintf("lag-%d", i)
		many = append(many, b)
	}
	rep = f.svc.HandleAlerts(context.Background(), "r2", "alertmanager", many)
	if rep.Alerts[0].Outcome != server.OutcomeActed || rep.Alerts[1].Outcome != server.OutcomeActed || rep.Alerts[2].Outcome != server.OutcomeIgnored ||
		!strings.Contains(rep.Alerts[2].Reason, "more than 2 firing alerts that a rule matches") {
		t.Fatalf("%+v", rep.Alerts)
	}
}

// An alert whose source gives no identity (no fingerprint) still acts once for parallel
// deliveries: its content is its identity.
func TestAlertWithoutKeyActsOnce(t *testing.T) {
	f, _, a, sink := alertFixture(t)
	a.Key = ""
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.svc.HandleAlerts(context.Background(), "req", "alertmanager", []alert.Alert{a})
		}()
	}
	wg.Wait()
	if n := auditCount(t, f.audit); n["applied"] != 1 || sink.n != 1 {
		t.Fatalf("audit %v, %d notifications", n, sink.n)
	}
}
