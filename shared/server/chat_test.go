package server_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"offsetreset/shared/trigger/chat"
	"offsetreset/shared/trigger/chat/chattest"
	"offsetreset/shared/trigger/dingtalk"
	"offsetreset/shared/trigger/slack"
)

func slackForm(user, text string) []byte { return chattest.SlashCommand(user, text, "") }

func (f *demoFix) slack(t *testing.T, body []byte, at time.Time) (answer, chat.SlackMessage) {
	t.Helper()
	a := send(t, "POST", f.srv.URL+"/v1/chat/slack", body, chattest.SlackHeaders(trSecrets.SlackSigning, body, at))
	var m chat.SlackMessage
	if a.code == 200 {
		if err := json.Unmarshal([]byte(a.body), &m); err != nil {
			t.Fatalf("%s", a.body)
		}
	}
	return a, m
}

func (f *demoFix) dingtalk(t *testing.T, body []byte, at time.Time) (answer, chat.DingTalkMessage) {
	t.Helper()
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	a := send(t, "POST", f.srv.URL+"/v1/chat/dingtalk", body, map[string]string{
		"Content-Type": "application/json", dingtalk.TimestampHeader: ts, dingtalk.SignHeader: dingtalk.Sign(trSecrets.DingTalkApp, ts)})
	var m chat.DingTalkMessage
	if a.code == 200 {
		if err := json.Unmarshal([]byte(a.body), &m); err != nil {
			t.Fatalf("%s", a.body)
		}
	}
	return a, m
}

// slackText is a Slack message as text; a button reads as what pressing it does ("[Apply:
// /offsets confirm <token>]"), so tests take the token from the Apply button.
func slackText(m chat.SlackMessage) string {
	var parts []string
	for _, b := range m.Blocks {
		if b.Text != nil {
			parts = append(parts, b.Text.Text)
		}
		for _, e := range b.Elements {
			switch e.ActionID {
			case chat.ActionApply:
				parts = append(parts, "[Apply: /offsets confirm "+e.Value+"]")
			case chat.ActionCancel:
				parts = append(parts, "[Cancel]")
			default:
				parts = append(parts, e.Text)
			}
		}
	}
	if len(parts) == 0 {
		return m.Text
	}
	return strings.Join(parts, "\n")
}

var confirmRE = regexp.MustCompile(`(?m)(?:^|/offsets )confirm ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)`)

func TestSlackPlanConfirmStatus(t *testing.T) {
	f := newDemo(t)
	now := time.Now()
	// apply answers a plan: a person always sees the plan first.
	a, m := f.slack(t, slackForm("U2147483697", "apply demo billing orders:0,1 latest"), now)
	text := slackText(m)
	if a.code != 200 || m.ResponseType != "ephemeral" || !strings.Contains(text, "apply shows the plan first; nothing changes until you press Apply.") ||
		!strings.Contains(text, "```\nTOPIC   PART  BEFORE  AFTER  SKIP  STATUS\norders  0     20      120    100   planned\norders  1     25      120    95    planned\n```") {
		t.Fatalf("%d %s", a.code, a.body)
	}
	f.unchanged(t)
	tok := confirmRE.FindStringSubmatch(text)
	if tok == nil {
		t.Fatalf("no confirm command in %s", text)
	}
	// Another person cannot use the token.
	_, m = f.slack(t, slackForm("U0OTHER", "confirm "+tok[1]), now)
	if !strings.HasPrefix(slackText(m), "*refused: ") {
		t.Fatalf("%s", slackText(m))
	}
	f.unchanged(t)
	// The planner confirms: applied, posted in the channel, with the undo commands.
	a, m = f.slack(t, slackForm("U2147483697", "confirm "+tok[1]), now)
	text = slackText(m)
	if a.code != 200 || m.ResponseType != "in_channel" || !strings.HasPrefix(text, "*Applied: group billing on demo to latest: 2 partitions, skipping 195 messages.*") ||
		!strings.Contains(text, "`/offsets apply demo billing orders:0=20,orders:1=25`") {
		t.Fatalf("%d %s", a.code, text)
	}
	want := f.want()
	want["billing"]["orders"][0], want["billing"]["orders"][1] = 120, 120
	f.expect(t, want)
	if audit := f.audit.String(); !strings.Contains(audit, `"principal":"slack:U2147483697"`) || !strings.Contains(audit, `"trigger":"chat"`) || strings.Contains(audit, tok[1]) {
		t.Fatalf("audit: %s", audit)
	}
	// status shows the lag.
	_, m = f.slack(t, slackForm("U2147483697", "status demo billing"), now)
	if text := slackText(m); !strings.HasPrefix(text, "*Lag of group billing on demo: 330 messages across 6 partitions*\n```\nTOPIC   PART  COMMITTED  END  LAG\norders  0     120        120  0\n") {
		t.Fatalf("%s", text)
	}
	// A mistake is answered in Slack (200), with the sentence.
	a, m = f.slack(t, slackForm("U2147483697", "plan demo billing orders yesterday"), now)
	if a.code != 200 || slackText(m) != "*to \"yesterday\" is not a target; use latest, earliest, offset:N, shift:+N, shift:-N, time:T, ago:D, group:NAME or current*" {
		t.Fatalf("%d %q", a.code, slackText(m))
	}
	_, m = f.slack(t, slackForm("U2147483697", "plan demo nosuchgroup latest"), now)
	if !strings.Contains(slackText(m), "invalid: group \"nosuchgroup\" has no committed offsets on target demo; name the topics to reset") {
		t.Fatalf("%q", slackText(m))
	}
	_, m = f.slack(t, slackForm("U2147483697", ""), now)
	if !strings.Contains(slackText(m), "`/offsets status &lt;target&gt; &lt;group&gt; — lag per partition`") {
		t.Fatalf("%q", slackText(m))
	}
}

func TestSlackRejects(t *testing.T) {
	f := newDemo(t)
	now := time.Now().Truncate(time.Second)
	f.svc.Now = func() time.Time { return now }
	body := slackForm("U2147483697", "plan demo billing latest")
	ts := strconv.FormatInt(now.Unix(), 10)
	old := strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10)
	for name, c := range map[string]struct {
		body   []byte
		header map[string]string
		code   int
		want   string
	}{
		"missing headers":   {body, nil, 401, slack.ErrMissing.Error()},
		"missing timestamp": {body, map[string]string{slack.SignatureHeader: slack.Sign(trSecrets.SlackSigning, ts, body)}, 401, slack.ErrMissing.Error()},
		"wrong signature":   {body, map[string]string{slack.TimestampHeader: ts, slack.SignatureHeader: slack.Sign("nope", ts, body)}, 401, slack.ErrSignature.Error()},
		"expired":           {body, map[string]string{slack.TimestampHeader: old, slack.SignatureHeader: slack.Sign(trSecrets.SlackSigning, old, body)}, 401, "the Slack request timestamp is 6m0s from now, outside the 5-minute window; the request is refused as a possible replay"},
		"replayed body":     {slackForm("U2147483697", "confirm x"), map[string]string{slack.TimestampHeader: ts, slack.SignatureHeader: slack.Sign(trSecrets.SlackSigning, ts, body)}, 401, slack.ErrSignature.Error()},
		"oversized":         {bytes.Repeat([]byte("a"), 1<<20+1), map[string]string{slack.TimestampHeader: ts, slack.SignatureHeader: "v0=00"}, 400, "the request body is larger than 1 MiB; send fewer commands per request"},
	} {
		a := send(t, "POST", f.srv.URL+"/v1/chat/slack", c.body, c.header)
		if a.code != c.code || errorText(t, a) != c.want {
			t.Errorf("%s: %d %s", name, a.code, a.body)
		}
	}
	// Signed but not a slash command: 400.
	for name, c := range map[string]struct{ body, want string }{
		"garbage":   {"\x00%zz", `the request body is not form-encoded (invalid URL escape "%zz"); Slack sends slash commands as application/x-www-form-urlencoded`},
		"truncated": {string(body[:20]), "the form has no user_id or command; this route takes Slack slash commands"},
	} {
		a, _ := f.slack(t, []byte(c.body), now)
		if a.code != 400 || errorText(t, a) != c.want {
			t.Errorf("%s: %d %s", name, a.code, a.body)
		}
	}
	f.svc.Secrets.SlackSigning = ""
	if a, _ := f.slack(t, body, now); a.code != 401 || errorText(t, a) != slack.ErrNoSecret.Error() {
		t.Fatalf("%d %s", a.code, a.body)
	}
	f.unchanged(t)
	if f.audit.String() != "" {
		t.Fatal(f.audit.String())
	}
}

func dingMessage(staff, text string) []byte {
	b, _ := json.Marshal(map[string]any{"msgtype": "text", "text": map[string]string{"content": text}, "msgId": "msg1",
		"senderId": "$:LWCP_v1:$x", "senderStaffId": staff, "conversationType": "2"})
	return b
}

func TestDingTalkPlanConfirm(t *testing.T) {
	f := newDemo(t)
	now := time.Now()
	_, m := f.dingtalk(t, dingMessage("manager4711", " plan demo orders-etl payments earliest"), now)
	if !strings.HasPrefix(m.Text(), "#### Plan for group orders-etl on demo to earliest: 3 partitions, re-reading 150 messages. Nothing has changed yet.\n\n- payments/0: 50 → 0 (skip -50) planned\n") {
		t.Fatalf("%s", m.Text())
	}
	tok := confirmRE.FindStringSubmatch(m.Text())
	if tok == nil {
		t.Fatal(m.Text())
	}
	_, m = f.dingtalk(t, dingMessage("manager4711", "confirm "+tok[1]), now)
	if !strings.Contains(m.Text(), "#### Applied: group orders-etl on demo to earliest: 3 partitions, re-reading 150 messages.\n") ||
		!strings.Contains(m.Text(), "To undo, send (it plans the undo and asks for a confirm):\n\napply demo orders-etl payments:0=50,payments:1=50,payments:2=50\n") {
		t.Fatalf("%s", m.Text())
	}
	f.expect(t, f.want("orders-etl", "payments", int64(0)))
	if !strings.Contains(f.audit.String(), `"principal":"dingtalk:manager4711"`) {
		t.Fatal(f.audit.String())
	}
	// The same token again: the offsets moved (to the plan), so it is refused.
	_, m = f.dingtalk(t, dingMessage("manager4711", "confirm "+tok[1]), now)
	if !strings.HasPrefix(m.Text(), "#### refused: ") {
		t.Fatalf("%s", m.Text())
	}
	f.expect(t, f.want("orders-etl", "payments", int64(0)))
}

func TestDingTalkSessionWebhookHosts(t *testing.T) {
	f := newDemo(t)
	b, _ := json.Marshal(map[string]any{"msgtype": "text", "text": map[string]string{"content": "help"}, "senderStaffId": "manager4711",
		"sessionWebhook": "https://attacker.example.com/robot/sendBySession?session=x"})
	a, m := f.dingtalk(t, b, time.Now())
	if a.code != 200 || !strings.HasPrefix(m.Text(), "#### offsetreset commands") || len(f.posted) != 0 ||
		!strings.Contains(f.audit.String(), `"error":"the session webhook is not an https URL on oapi.dingtalk.com or api.dingtalk.com; the reply is only in the HTTP answer"`) {
		t.Fatalf("%d %s posted %q log %s", a.code, a.body, f.posted, f.audit.String())
	}
}

func TestDingTalkRejects(t *testing.T) {
	f := newDemo(t)
	now := time.Now().Truncate(time.Second)
	f.svc.Now = func() time.Time { return now }
	body := dingMessage("manager4711", "plan demo billing latest")
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	old := strconv.FormatInt(now.Add(-2*time.Hour).UnixMilli(), 10)
	for name, c := range map[string]struct {
		body   []byte
		header map[string]string
		code   int
		want   string
	}{
		"missing headers": {body, nil, 401, dingtalk.ErrMissing.Error()},
		"missing sign":    {body, map[string]string{"timestamp": ts}, 401, dingtalk.ErrMissing.Error()},
		"wrong sign":      {body, map[string]string{"timestamp": ts, "sign": dingtalk.Sign("nope", ts)}, 401, dingtalk.ErrSignature.Error()},
		"expired":         {body, map[string]string{"timestamp": old, "sign": dingtalk.Sign(trSecrets.DingTalkApp, old)}, 401, "the DingTalk timestamp is 2h0m0s from now, outside the 1-hour window; the request is refused as a possible replay"},
		"oversized":       {append(body, bytes.Repeat([]byte(" "), 1<<20)...), map[string]string{"timestamp": ts, "sign": dingtalk.Sign(trSecrets.DingTalkApp, ts)}, 400, "the request body is larger than 1 MiB; send fewer commands per request"},
		"truncated":       {body[:30], map[string]string{"timestamp": ts, "sign": dingtalk.Sign(trSecrets.DingTalkApp, ts)}, 400, "DingTalk message: the request body ends in the middle of the JSON; send the whole payload"},
		"garbage":         {[]byte("plan demo billing latest"), map[string]string{"timestamp": ts, "sign": dingtalk.Sign(trSecrets.DingTalkApp, ts)}, 400, "DingTalk message: the request body is not a JSON object; send the webhook JSON"},
	} {
		a := send(t, "POST", f.srv.URL+"/v1/chat/dingtalk", c.body, c.header)
		if a.code != c.code || errorText(t, a) != c.want {
			t.Errorf("%s: %d %s", name, a.code, a.body)
		}
	}
	f.svc.Secrets.DingTalkApp = ""
	if a, _ := f.dingtalk(t, body, now); a.code != 401 || errorText(t, a) != dingtalk.ErrNoSecret.Error() {
		t.Fatalf("%d %s", a.code, a.body)
	}
	f.unchanged(t)
}

func TestChatDeniedWithoutPolicy(t *testing.T) {
	f := newDemo(t)
	f.svc.Config.Policy = nil
	_, m := f.slack(t, slackForm("U2147483697", "plan demo billing latest"), time.Now())
	if got := slackText(m); got != "*refused: no policy rule allows chat triggers; add a rule with triggers: [chat] naming the targets and groups it may move*" {
		t.Fatalf("%q", got)
	}
	f.unchanged(t)
}
