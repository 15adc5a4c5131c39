package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"offsetreset/shared/config"
	"offsetreset/shared/demo"
	"offsetreset/shared/provider/alikafka/alikafkatest"
	"offsetreset/shared/provider/aliyun/aliyuntest"
	"offsetreset/shared/provider/kafka/kafkatest"
	"offsetreset/shared/server"
	"offsetreset/shared/trigger/chat"
	"offsetreset/shared/trigger/chat/chattest"
)

// recordReplies is a ReplyTransport that records every post (URL, body) and answers 200.
type recordReplies func(hook string, body []byte)

func (f recordReplies) RoundTrip(r *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(r.Body)
	f(r.URL.String(), b)
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"errcode":0}`)), Request: r}, nil
}

// chatFix serves chat over the demo Kafka cluster (target demo) and an ApsaraMQ for Kafka
// emulator (target ali, a cloud API: its chat work is always deferred), with the fake reply
// server behind ReplyTransport.
type chatFix struct {
	k     *kafkatest.Cluster
	ali   *alikafkatest.Server
	in    *alikafkatest.Instance
	svc   *server.Service
	srv   *httptest.Server
	hooks *chattest.Hooks
	log   *syncBuf
}

const (
	aliInstance = "alikafka_post-cn-chat0001"
	planner     = "U2147483697"
)

// chatPolicy lets every signed chat user plan and apply on both targets, every to form.
const chatPolicy = `
  - name: chat
    triggers: [chat]
    principals: ["*"]
    targets: ["*"]
    groups: ["*"]
    topics: ["*"]
    to: [latest, earliest, offset, shift, time, ago, group]
    apply: true
`

func newChatFix(t *testing.T, policy string) *chatFix {
	t.Helper()
	ctx := context.Background()
	k, err := demo.StartKafka(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	key := aliyuntest.Key{ID: "LTAI5tChatTest", Secret: "chat-test-secret"}
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", key.ID)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", key.Secret)
	t.Setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "")
	ali := alikafkatest.Start()
	t.Cleanup(ali.Close)
	ali.AddKey(key)
	in := ali.Instance(aliInstance, "cn-hangzhou")
	start := time.Now().Add(-24 * time.Hour)
	in.AddTopic("orders", 3)
	in.Produce("orders", demo.DemoMessages, func(_ int32, i int) time.Time { return start.Add(time.Duration(i) * 12 * time.Minute) })
	in.CommitAll("billing", "orders", func(p int32) int64 { return 20 + int64(p) })

	var brokers []string
	for _, a := range k.Addrs {
		brokers = append(brokers, fmt.Sprintf("%q", a))
	}
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
targets:
  demo:
    provider: kafka
    brokers: [%s]
  ali:
    provider: alikafka
    region: cn-hangzhou
    instance: %s
    endpoint: %s
policy:%s`, strings.Join(brokers, ", "), aliInstance, ali.URL, policy)))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := &chatFix{k: k, ali: ali, in: in, svc: svc, hooks: chattest.Start(t), log: &syncBuf{}}
	svc.Secrets = trSecrets
	svc.Log = slog.New(slog.NewJSONHandler(f.log, nil))
	svc.ReplyTransport = f.hooks.Transport()
	f.srv = httptest.NewServer(svc.Handler(server.Local))
	t.Cleanup(f.srv.Close)
	return f
}

// slash sends a signed slash command to the local server and decodes the answer.
func (f *chatFix) slash(t *testing.T, user, text, responseURL string) (answer, chat.SlackMessage) {
	t.Helper()
	return slashTo(t, f.srv.URL, user, text, responseURL)
}

// slashTo sends a signed slash command to the server at base and decodes the answer.
func slashTo(t *testing.T, base, user, text, responseURL string) (answer, chat.SlackMessage) {
	t.Helper()
	body := chattest.SlashCommand(user, text, responseURL)
	a := send(t, "POST", base+"/v1/chat/slack", body, chattest.SlackHeaders(trSecrets.SlackSigning, body, time.Now()))
	var m chat.SlackMessage
	if a.code == 200 {
		if err := json.Unmarshal([]byte(a.body), &m); err != nil {
			t.Fatalf("%s", a.body)
		}
	}
	return a, m
}

// press sends a signed block_actions payload to the local server: user pressed a button.
func (f *chatFix) press(t *testing.T, user, actionID, token string) answer {
	t.Helper()
	return pressTo(t, f.srv.URL, user, actionID, token, chattest.SlackActionURL)
}

// pressTo sends a signed block_actions payload (a press with responseURL) to the server at base.
func pressTo(t *testing.T, base, user, actionID, token, responseURL string) answer {
	t.Helper()
	body := chattest.BlockActions(user, actionID, token, responseURL)
	return send(t, "POST", base+"/v1/chat/slack", body, chattest.SlackHeaders(trSecrets.SlackSigning, body, time.Now()))
}

// aliBilling is group billing's committed offsets on the emulator's orders topic.
func (f *chatFix) aliBilling() map[int32]int64 { return f.in.Committed("billing")["orders"] }

func (f *chatFix) kafka(t *testing.T, group string) map[string]map[int32]int64 {
	t.Helper()
	c, err := f.k.Committed(context.Background(), group)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// progressCalls counts the finished GetConsumerProgress calls the emulator answered.
func (f *chatFix) progressCalls() int {
	n := 0
	for _, c := range f.ali.Calls() {
		if c.Action == alikafkatest.GetConsumerProgress {
			n++
		}
	}
	return n
}

// button returns the value of a message's button (the confirm token), "" when it has none.
func button(m chat.SlackMessage, actionID string) string {
	for _, b := range m.Blocks {
		for _, e := range b.Elements {
			if e.ActionID == actionID {
				return e.Value
			}
		}
	}
	return ""
}

// A plan over a cloud API whose emulator takes longer than Slack's 3 seconds: the slash command
// is answered at once ("Planning…"), before the emulator has answered, and the plan follows on
// response_url with Apply and Cancel buttons. Pressing Apply (on a slow emulator again) is
// acknowledged at once, the plan message is replaced by "Applying…" (its buttons go), then by
// the result with the undo, which is also posted in the channel; the offsets move on the
// emulator. A second press finds the token used: a message of its own, nothing moves again.
func TestSlackDeferredPlanAndApplyOnSlowEmulator(t *testing.T) {
	f := newChatFix(t, chatPolicy)
	before := f.aliBilling()
	f.ali.Inject(aliyuntest.Fault{Action: alikafkatest.GetConsumerProgress, Kind: aliyuntest.Slow, Delay: 3500 * time.Millisecond})

	a, m := f.slash(t, planner, "plan ali billing orders latest", chattest.SlackCommandURL)
	if a.code != 200 || m.ResponseType != "ephemeral" || slackText(m) != "*Planning group billing on ali… the result follows in this conversation.*" {
		t.Fatalf("%d %s", a.code, a.body)
	}
	// The answer came back before the emulator answered the plan's first call, so before any post.
	if n := f.progressCalls(); n != 0 {
		t.Fatalf("the emulator answered %d GetConsumerProgress calls before the HTTP answer", n)
	}
	f.hooks.None(t)

	post := f.hooks.Next(t)
	plan := post.SlackMessage(t)
	token := button(plan, chat.ActionApply)
	if post.Path != "/commands/T0001ABCD/1234567890/abcdefghijklmnopqrstuvwx" || plan.ReplaceOriginal || plan.ResponseType != "ephemeral" || token == "" || button(plan, chat.ActionCancel) != token ||
		!strings.HasPrefix(slackText(plan), "*Plan for group billing on ali to latest: 3 partitions, skipping 297 messages. Nothing has changed yet.*") ||
		strings.Contains(slackText(plan), "/offsets confirm "+token+"`") {
		t.Fatalf("%s", post.Body)
	}
	if f.progressCalls() == 0 {
		t.Fatal("the plan was posted before the emulator answered")
	}
	if !reflect.DeepEqual(f.aliBilling(), before) {
		t.Fatal("a plan moved offsets")
	}

	f.ali.Inject(aliyuntest.Fault{Action: alikafkatest.GetConsumerProgress, Kind: aliyuntest.Slow, Delay: 3500 * time.Millisecond})
	calls := f.progressCalls()
	if a := f.press(t, planner, chat.ActionApply, token); a.code != 200 || a.body != "" {
		t.Fatalf("%d %s", a.code, a.body)
	}
	working := f.hooks.Next(t)
	w := working.SlackMessage(t)
	if working.Path != "/actions/T0001ABCD/1234567891/zyxwvutsrqponmlkjihgfedc" || !w.ReplaceOriginal || button(w, chat.ActionApply) != "" ||
		slackText(w) != "*Applying the plan of group billing on ali… the result replaces this message. (by <@U2147483697>)*" {
		t.Fatalf("%s", working.Body)
	}
	if f.progressCalls() != calls {
		t.Fatal("the press was answered after the emulator")
	}
	result := f.hooks.Next(t).SlackMessage(t)
	text := slackText(result)
	if !result.ReplaceOriginal || !strings.HasPrefix(text, "*Applied: group billing on ali to latest: 3 partitions, skipping 297 messages. (by <@U2147483697>)*") ||
		!strings.Contains(text, "`/offsets apply ali billing orders:0=20,orders:1=21,orders:2=22`") || button(result, chat.ActionApply) != "" {
		t.Fatalf("%s", text)
	}
	announce := f.hooks.Next(t).SlackMessage(t)
	if announce.ReplaceOriginal || announce.ResponseType != "in_channel" || slackText(announce) != text {
		t.Fatalf("%+v", announce)
	}
	want := map[int32]int64{0: demo.DemoMessages, 1: demo.DemoMessages, 2: demo.DemoMessages}
	if got := f.aliBilling(); !reflect.DeepEqual(got, want) {
		t.Fatalf("emulator offsets %v, want %v", got, want)
	}

	// The same button again (a double click, or a platform retry of the job): the token is used;
	// the applied result stays in the channel.
	f.press(t, planner, chat.ActionApply, token)
	f.hooks.Next(t) // "Applying…"
	again := f.hooks.Next(t).SlackMessage(t)
	if !again.ReplaceOriginal || !strings.Contains(slackText(again), "this confirm token was already used at") {
		t.Fatalf("%s", slackText(again))
	}
	if got := f.aliBilling(); !reflect.DeepEqual(got, want) {
		t.Fatalf("emulator offsets %v after a second press", got)
	}
	if strings.Contains(f.log.String(), "hooks.slack.com") || strings.Contains(f.log.String(), token) {
		t.Fatalf("a reply URL or token reached the log: %s", f.log.String())
	}
}

// Buttons on a Kafka plan answered within the window: the plan comes back in the HTTP answer with
// buttons. Someone the policy does not let apply presses: they get a message of their own and
// the plan keeps its buttons. Cancel replaces the message (buttons gone) and changes nothing;
// a new plan's Apply replaces it with the result and moves the offsets on the broker. A plan
// that changes nothing then has no buttons and says so.
func TestSlackButtonsOnKafka(t *testing.T) {
	f := newChatFix(t, strings.Replace(chatPolicy, `principals: ["*"]`, `principals: ["slack:`+planner+`"]`, 1))
	initial := f.kafka(t, "billing")

	_, m := f.slash(t, planner, "apply demo billing orders:0,1 latest", chattest.SlackCommandURL)
	token := button(m, chat.ActionApply)
	if token == "" || !strings.Contains(slackText(m), "apply shows the plan first; nothing changes until you press Apply.") {
		t.Fatalf("%s", slackText(m))
	}
	f.hooks.None(t)

	// Another user may not press it.
	if a := f.press(t, "U0OTHER", chat.ActionApply, token); a.code != 200 {
		t.Fatalf("%d %s", a.code, a.body)
	}
	refusal := f.hooks.Next(t).SlackMessage(t)
	if refusal.ReplaceOriginal || !strings.Contains(slackText(refusal), "this plan was made by slack:U2147483697; only they, or someone the policy lets apply it, can press its buttons") {
		t.Fatalf("%s", slackText(refusal))
	}
	f.press(t, "U0OTHER", chat.ActionCancel, token)
	if m := f.hooks.Next(t).SlackMessage(t); m.ReplaceOriginal {
		t.Fatal("someone else's Cancel replaced the plan")
	}
	if !reflect.DeepEqual(f.kafka(t, "billing"), initial) {
		t.Fatal("offsets moved")
	}

	// Cancel by the planner: the plan message is replaced, its buttons are gone.
	f.press(t, planner, chat.ActionCancel, token)
	cancelled := f.hooks.Next(t).SlackMessage(t)
	if !cancelled.ReplaceOriginal || button(cancelled, chat.ActionApply) != "" ||
		slackText(cancelled) != "*Cancelled by <@U2147483697>: nothing was applied. The plan of group billing on demo was dropped.*" {
		t.Fatalf("%+v", cancelled)
	}
	if !reflect.DeepEqual(f.kafka(t, "billing"), initial) {
		t.Fatal("Cancel moved offsets")
	}

	// A new plan, applied with its button, inside the window: one replacement with the result.
	_, m = f.slash(t, planner, "plan demo billing orders:0,1 latest", chattest.SlackCommandURL)
	f.press(t, planner, chat.ActionApply, button(m, chat.ActionApply))
	result := f.hooks.Next(t).SlackMessage(t)
	if !result.ReplaceOriginal || !strings.HasPrefix(slackText(result), "*Applied: group billing on demo to latest: 2 partitions, skipping 195 messages. (by <@U2147483697>)*") {
		t.Fatalf("%s", slackText(result))
	}
	if m := f.hooks.Next(t).SlackMessage(t); m.ResponseType != "in_channel" {
		t.Fatalf("%+v", m)
	}
	moved := f.kafka(t, "billing")
	if moved["orders"][0] != demo.DemoMessages || moved["orders"][1] != demo.DemoMessages || moved["orders"][2] != initial["orders"][2] {
		t.Fatalf("broker offsets %v", moved["orders"])
	}

	// Nothing to do: no token, no buttons, no "Applied".
	_, m = f.slash(t, planner, "plan demo billing orders:0,1 latest", chattest.SlackCommandURL)
	if button(m, chat.ActionApply) != "" || confirmRE.MatchString(slackText(m)) ||
		slackText(m) != "*Nothing to do: group billing on demo is already at latest.*\n```\nTOPIC   PART  BEFORE  AFTER  SKIP  STATUS\norders  0     120     120    0     unchanged\norders  1     120     120    0     unchanged\n```" {
		t.Fatalf("%q", slackText(m))
	}
	f.hooks.None(t)
}

// Issue 12 item 6: a glob in the group position plans every matching group (a line each) with
// one token; confirming it applies each group on its own (own identity: a second confirm is
// refused per group); a group the policy refuses is listed and not covered. group:NAME copies
// another group's offsets.
func TestChatGroupsGlobAndGroupCopy(t *testing.T) {
	f := newChatFix(t, `
  - name: chat
    triggers: [chat]
    principals: ["*"]
    targets: [demo]
    groups: ["analytics-web", "analytics-batch", "orders-etl"]
    topics: ["*"]
    to: [latest, group]
    apply: true`)
	billing := f.kafka(t, "billing")
	// A glob matching a group the policy refuses: that group says so, the token covers the rest.
	// (No response_url: a groups plan is then answered in the HTTP answer.)
	_, m := f.slash(t, planner, "plan demo *i* latest", "")
	text := slackText(m)
	if !strings.HasPrefix(text, "*Plan for 3 groups on demo to latest: 8 partitions in 2 groups, skipping 800 messages. Nothing has changed yet.*") ||
		!strings.Contains(text, "\nbilling          0      -     refused: refused by policy: rule chat: group billing does not match") || confirmRE.FindStringSubmatch(text) == nil {
		t.Fatalf("%s", text)
	}

	_, m = f.slash(t, planner, "plan demo analytics-* clickstream latest", "")
	text = slackText(m)
	tok := confirmRE.FindStringSubmatch(text)
	if tok == nil || !strings.HasPrefix(text, "*Plan for 2 groups on demo to latest: ") ||
		!strings.Contains(text, "GROUP            PARTS  SKIP  STATUS\nanalytics-batch  ") || !strings.Contains(text, "\nanalytics-web    4      ") {
		t.Fatalf("%s", text)
	}
	_, m = f.slash(t, planner, "confirm "+tok[1], "")
	text = slackText(m)
	if m.ResponseType != "in_channel" || !strings.HasPrefix(text, "*Applied to 2 of 2 groups on demo to latest: ") ||
		!strings.Contains(text, "`/offsets apply demo analytics-batch clickstream:0=") || !strings.Contains(text, "`/offsets apply demo analytics-web clickstream:0=") {
		t.Fatalf("%s", text)
	}
	for _, g := range []string{"analytics-web", "analytics-batch"} {
		for p, o := range f.kafka(t, g)["clickstream"] {
			if o != demo.DemoMessages {
				t.Fatalf("%s clickstream/%d at %d", g, p, o)
			}
		}
	}
	_, m = f.slash(t, planner, "confirm "+tok[1], "")
	if text := slackText(m); !strings.Contains(text, "analytics-batch  0      -     refused: this confirm token was already used at") ||
		!strings.Contains(text, "analytics-web    0      -     refused: this confirm token was already used at") {
		t.Fatalf("%s", text)
	}

	// group:NAME: orders-etl takes billing's committed offsets on orders.
	_, m = f.slash(t, planner, "plan demo orders-etl orders group:billing", "")
	tok = confirmRE.FindStringSubmatch(slackText(m))
	if tok == nil {
		t.Fatalf("%s", slackText(m))
	}
	f.slash(t, planner, "confirm "+tok[1], "")
	if got, want := f.kafka(t, "orders-etl")["orders"], f.kafka(t, "billing")["orders"]; !reflect.DeepEqual(got, want) {
		t.Fatalf("orders-etl/orders %v, billing/orders %v", got, want)
	}
	if !reflect.DeepEqual(f.kafka(t, "billing"), billing) {
		t.Fatal("the source group moved")
	}
}

// DingTalk on a cloud target: the robot is answered at once (also on the session webhook), the
// plan follows as an ActionCard with the typed confirm, and the confirm's result too; the
// offsets move on the emulator.
func TestDingTalkDeferred(t *testing.T) {
	f := newChatFix(t, chatPolicy)
	ding := func(text string) chat.DingTalkMessage {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"msgtype": "text", "text": map[string]string{"content": text}, "msgId": "msg1",
			"senderStaffId": "manager4711", "conversationId": "cid1", "sessionWebhook": chattest.DingTalkWebhook})
		(&demoFix{srv: f.srv}).dingtalk(t, b, time.Now())
		return f.hooks.Next(t).DingTalkMessage(t) // the immediate reply, also on the webhook
	}
	if m := ding("plan ali billing orders latest"); m.MsgType != "actionCard" || m.Text() != "#### Planning group billing on ali… the result follows in this conversation.\n" {
		t.Fatalf("%+v", m)
	}
	post := f.hooks.Next(t)
	plan := post.DingTalkMessage(t)
	tok := confirmRE.FindStringSubmatch(plan.Text())
	if post.Path != "/robot/sendBySession" || tok == nil || !strings.HasPrefix(plan.Text(), "#### Plan for group billing on ali to latest: 3 partitions, skipping 297 messages.") {
		t.Fatalf("%s", post.Body)
	}
	ding("confirm " + tok[1])
	if done := f.hooks.Next(t).DingTalkMessage(t); !strings.HasPrefix(done.Text(), "#### Applied: group billing on ali to latest: 3 partitions, skipping 297 messages.") {
		t.Fatalf("%s", done.Text())
	}
	if got := f.aliBilling(); got[0] != demo.DemoMessages || got[2] != demo.DemoMessages {
		t.Fatalf("emulator offsets %v", got)
	}
}

// Replies go only to Slack's and DingTalk's hosts: a slash command whose response_url names
// another host is answered in the HTTP answer only (also on a cloud target, which then runs in
// the request), and a button press without a usable response_url is refused; nothing is posted.
func TestReplyHostsOnly(t *testing.T) {
	f := newChatFix(t, chatPolicy)
	for _, hook := range []string{"https://evil.example/commands/T/1/x", "http://hooks.slack.com/commands/T/1/x", "https://hooks.slack.com:8443/x", "https://user@hooks.slack.com/x"} {
		a, m := f.slash(t, planner, "plan ali billing orders latest", hook)
		if a.code != 200 || !strings.HasPrefix(slackText(m), "*Plan for group billing on ali to latest:") {
			t.Fatalf("%s: %d %s", hook, a.code, a.body)
		}
		if a := pressTo(t, f.srv.URL, planner, chat.ActionApply, button(m, chat.ActionApply), hook); a.code != 400 ||
			errorText(t, a) != "Slack interaction: the response_url is not an https URL on hooks.slack.com; the reply is only in the HTTP answer" {
			t.Fatalf("%s: %d %s", hook, a.code, a.body)
		}
	}
	f.hooks.None(t)
	if got := f.aliBilling(); got[0] != 20 {
		t.Fatalf("emulator offsets %v", got)
	}
}

// A chat job event on /invoke runs only when sealed with this function's confirm secret.
func TestChatJobEventMustBeSealed(t *testing.T) {
	f := newChatFix(t, chatPolicy)
	forged := []byte(`{"offsetresetChatJob":"eyJjbGllbnQiOiJzbGFjayJ9.c2lnbmF0dXJl"}`)
	a := send(t, "POST", f.srv.URL+"/invoke", forged, map[string]string{"Content-Type": "application/json"})
	if a.code != 400 || errorText(t, a) != "the chat job is not sealed with this function's OFFSETRESET_CONFIRM_SECRET; only the function itself starts chat jobs, so nothing ran" {
		t.Fatalf("%d %s", a.code, a.body)
	}
	f.hooks.None(t)
}

// On FC (and Lambda) the instance may freeze after the answer, so deferred work runs in an
// asynchronous invocation of the function itself. A Kafka plan that is not done within the
// window (the broker holds its OffsetFetch until the test lets it go) is cut off, answered
// "Planning…", and handed over as a sealed chat job; the job, delivered to /invoke as FC
// delivers events, posts the plan, and its Apply runs in another asynchronous invocation. An
// Apply on a cloud target is deferred the same way; FC's retry of that job (same event,
// x-fc-retry-count 1) finds the token used and applies nothing again: the emulator's offsets
// moved once.
func TestServerlessDefersThroughSelfInvocation(t *testing.T) {
	f := newChatFix(t, chatPolicy)
	events := make(chan []byte, 4)
	f.svc.SelfInvoke = func(_ context.Context, event []byte) error {
		events <- event
		return nil
	}
	fc := httptest.NewServer(f.svc.Handler(server.FC))
	t.Cleanup(fc.Close)
	slash := func(text string) chat.SlackMessage {
		t.Helper()
		_, m := slashTo(t, fc.URL, planner, text, chattest.SlackCommandURL)
		return m
	}
	invoke := func(event []byte, retry string) answer {
		t.Helper()
		return send(t, "POST", fc.URL+"/invoke", event, map[string]string{"Content-Type": "application/octet-stream",
			"x-fc-control-path": "/invoke", "x-fc-request-id": "async-request-1", "x-fc-retry-count": retry})
	}
	next := func() []byte {
		t.Helper()
		select {
		case ev := <-events:
			return ev
		case <-time.After(time.Minute):
			t.Fatal("no asynchronous invocation was started")
			return nil
		}
	}

	release, held := make(chan struct{}), make(chan struct{})
	var once sync.Once
	f.k.ControlKey(int16(kmsg.OffsetFetch), func(kmsg.Request) (kmsg.Response, error, bool) {
		once.Do(func() { close(held) })
		f.k.SleepControl(func() { <-release })
		return nil, nil, false
	})
	if m := slash("plan demo billing orders latest"); slackText(m) != "*Planning group billing on demo… the result follows in this conversation.*" {
		t.Fatalf("%s", slackText(m))
	}
	select {
	case <-held:
	default:
		t.Fatal("the plan never reached the broker")
	}
	f.hooks.None(t)
	job := next()
	if !server.IsChatJobEvent(job) || strings.Contains(string(job), "hooks.slack.com") {
		t.Fatalf("the job event is not sealed: %s", job)
	}
	close(release)
	if a := invoke(job, "0"); a.code != 200 || a.body != "{\"status\":\"done\"}\n" {
		t.Fatalf("%d %s", a.code, a.body)
	}
	plan := f.hooks.Next(t).SlackMessage(t)
	if !strings.HasPrefix(slackText(plan), "*Plan for group billing on demo to latest: 6 partitions, skipping 525 messages.") || button(plan, chat.ActionApply) == "" {
		t.Fatalf("%s", slackText(plan))
	}
	if !reflect.DeepEqual(f.kafka(t, "billing")["orders"][0], int64(20)) {
		t.Fatal("the plan moved offsets")
	}
	// An apply is never cut off half-way: on FC every apply, on Kafka too, runs in the
	// asynchronous invocation, and the press is answered at once.
	pressTo(t, fc.URL, planner, chat.ActionApply, button(plan, chat.ActionApply), chattest.SlackActionURL)
	if w := f.hooks.Next(t).SlackMessage(t); !w.ReplaceOriginal || !strings.HasPrefix(slackText(w), "*Applying the plan of group billing on demo…") {
		t.Fatalf("%s", slackText(w))
	}
	f.hooks.None(t)
	invoke(next(), "0")
	if r := f.hooks.Next(t).SlackMessage(t); !strings.HasPrefix(slackText(r), "*Applied: group billing on demo to latest: 6 partitions, skipping 525 messages.") {
		t.Fatalf("%s", slackText(r))
	}
	f.hooks.Next(t) // the in-channel announcement
	for p, o := range f.kafka(t, "billing")["orders"] {
		if o != demo.DemoMessages {
			t.Fatalf("billing/orders/%d at %d", p, o)
		}
	}

	// Apply on a cloud target: deferred; the job and its retry.
	if m := slash("plan ali billing orders shift:+10"); slackText(m) != "*Planning group billing on ali… the result follows in this conversation.*" {
		t.Fatalf("%s", slackText(m))
	}
	invoke(next(), "0")
	token := button(f.hooks.Next(t).SlackMessage(t), chat.ActionApply)
	pressTo(t, fc.URL, planner, chat.ActionApply, token, chattest.SlackActionURL)
	if w := f.hooks.Next(t).SlackMessage(t); !w.ReplaceOriginal || !strings.HasPrefix(slackText(w), "*Applying the plan of group billing on ali…") {
		t.Fatalf("%s", slackText(w))
	}
	apply := next()
	invoke(apply, "0")
	if r := f.hooks.Next(t).SlackMessage(t); !strings.HasPrefix(slackText(r), "*Applied: group billing on ali to shift:+10: 3 partitions, skipping 30 messages.") {
		t.Fatalf("%s", slackText(r))
	}
	f.hooks.Next(t) // the in-channel announcement
	want := map[int32]int64{0: 30, 1: 31, 2: 32}
	if got := f.aliBilling(); !reflect.DeepEqual(got, want) {
		t.Fatalf("emulator offsets %v, want %v", got, want)
	}
	invoke(apply, "1") // FC's retry of the same asynchronous invocation
	if r := f.hooks.Next(t).SlackMessage(t); !strings.Contains(slackText(r), "this confirm token was already used at") {
		t.Fatalf("%s", slackText(r))
	}
	if got := f.aliBilling(); !reflect.DeepEqual(got, want) {
		t.Fatalf("the retry moved the emulator's offsets again: %v", got)
	}
}

// An ago: plan is confirmed as the instant the plan showed, worded as a time and its distance,
// never as Unix milliseconds; the broker ends at that instant's offsets.
func TestAgoPlanConfirmsInWords(t *testing.T) {
	f := newChatFix(t, chatPolicy)
	when := regexp.MustCompile(`to ago:2h \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, 2 h ago\)`)
	_, m := f.slash(t, planner, "plan demo orders-etl payments ago:2h", "")
	tok := confirmRE.FindStringSubmatch(slackText(m))
	if tok == nil || !when.MatchString(slackText(m)) || !strings.Contains(slackText(m), "3 partitions, skipping 180 messages") {
		t.Fatalf("%s", slackText(m))
	}
	_, m = f.slash(t, planner, "confirm "+tok[1], "")
	if text := slackText(m); !strings.HasPrefix(text, "*Applied: group orders-etl on demo ") || !when.MatchString(text) || strings.Contains(text, "time:1") {
		t.Fatalf("%s", text)
	}
	for p, o := range f.kafka(t, "orders-etl")["payments"] {
		if o != demo.OffsetAgo(2) {
			t.Fatalf("payments/%d at %d, want %d", p, o, demo.OffsetAgo(2))
		}
	}
}
