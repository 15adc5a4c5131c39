package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"offsetreset/shared/demo"
	"offsetreset/shared/provider/alikafka/alikafkatest"
	"offsetreset/shared/provider/aliyun/aliyuntest"
	"offsetreset/shared/server"
	"offsetreset/shared/trigger/chat"
	"offsetreset/shared/trigger/chat/chattest"
)

// functionURLEvent wraps a signed Slack request (form body) as a Function URL event, the way
// Lambda delivers a form post: base64 body, lower-case headers.
func functionURLEvent(path string, body []byte, headers map[string]string) []byte {
	h := map[string]string{}
	for k, v := range headers {
		h[strings.ToLower(k)] = v
	}
	ev := map[string]any{"version": "2.0", "rawPath": path, "headers": h, "body": base64.StdEncoding.EncodeToString(body), "isBase64Encoded": true,
		"requestContext": map[string]any{"domainName": "abc.lambda-url.us-east-1.on.aws", "requestId": "url-req", "http": map[string]any{"method": "POST", "path": path, "sourceIp": "3.4.5.6"}}}
	b, _ := json.Marshal(ev)
	return b
}

// The asynchronous path through the built bootstrap, on a cloud target (whose chat work is
// always deferred): the Function URL answers "Planning…" at once; the function invokes itself
// (Lambda Invoke, InvocationType Event, SigV4-signed, at AWS_ENDPOINT_URL_LAMBDA); the queued job
// comes back through the Runtime API, plans, and posts the plan to Slack's response_url through
// HTTPS_PROXY, trusting the fake's CA through SSL_CERT_FILE, as Go's default transport does. The
// Apply button press is acknowledged, the job applies, and the result replaces the plan; Lambda's
// retry of that job (the same event and request id) applies nothing again. A forged job is
// refused. Offsets are read back on the emulator.
func TestChatDeferredThroughLambdaSelfInvoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the bootstrap")
	}
	bin := buildBootstrap(t)
	dir := t.TempDir()
	const slackSecret, confirmSecret = "l-chat-slack", "l-chat-confirm"

	key := aliyuntest.Key{ID: "LTAI5tLambdaChat", Secret: "lambda-chat-secret"}
	ali := alikafkatest.Start()
	defer ali.Close()
	ali.AddKey(key)
	in := ali.Instance("alikafka_post-cn-lambda01", "cn-hangzhou")
	start := time.Now().Add(-24 * time.Hour)
	in.AddTopic("orders", 3)
	in.Produce("orders", demo.DemoMessages, func(_ int32, i int) time.Time { return start.Add(time.Duration(i) * 12 * time.Minute) })
	in.CommitAll("billing", "orders", func(p int32) int64 { return 20 + int64(p) })
	cfgPath := filepath.Join(dir, "offsetreset.yaml")
	cfg := fmt.Sprintf(`targets:
  ali:
    provider: alikafka
    region: cn-hangzhou
    instance: alikafka_post-cn-lambda01
    endpoint: %s
policy:
  - name: chat
    triggers: [chat]
    principals: ["*"]
    targets: ["*"]
    groups: ["*"]
    topics: ["*"]
    to: [latest]
    apply: true
`, ali.URL)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	hooks := chattest.Start(t)
	invoked := make(chan []byte, 4)
	lambdaAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/2015-03-31/functions/offsetreset/invocations" || r.Header.Get("X-Amz-Invocation-Type") != "Event" ||
			!strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIDLAMBDACHAT/") || r.Header.Get("X-Amz-Security-Token") != "session-token" {
			http.Error(w, `{"message":"not an asynchronous Invoke of offsetreset"}`, http.StatusBadRequest)
			return
		}
		b, _ := io.ReadAll(r.Body)
		invoked <- b
		w.WriteHeader(http.StatusAccepted)
	}))
	defer lambdaAPI.Close()

	boot := startBootstrap(t, bin,
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=AKIDLAMBDACHAT", "AWS_SECRET_ACCESS_KEY=lambda-secret", "AWS_SESSION_TOKEN=session-token",
		"AWS_ENDPOINT_URL_LAMBDA="+lambdaAPI.URL,
		"HTTPS_PROXY="+hooks.ProxyURL(), "SSL_CERT_FILE="+hooks.CAFile(t, dir),
		"ALIBABA_CLOUD_ACCESS_KEY_ID="+key.ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET="+key.Secret,
		"OFFSETRESET_CONFIG="+cfgPath, "OFFSETRESET_SLACK_SIGNING_SECRET="+slackSecret, "OFFSETRESET_CONFIRM_SECRET="+confirmSecret,
	)
	slack := func(body []byte) httpResponse {
		t.Helper()
		r := boot.invoke(t, "", functionURLEvent("/v1/chat/slack", body, chattest.SlackHeaders(slackSecret, body, time.Now())))
		var resp httpResponse
		if r.IsError || json.Unmarshal(r.Body, &resp) != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s", r.Body)
		}
		return resp
	}
	queued := func() []byte {
		t.Helper()
		select {
		case ev := <-invoked:
			return ev
		case <-time.After(time.Minute):
			t.Fatalf("the function did not invoke itself\n%s", boot.logs.String())
			return nil
		}
	}
	runJob := func(id string, ev []byte) {
		t.Helper()
		if r := boot.invoke(t, id, ev); r.IsError || string(r.Body) != `{"status":"done"}` {
			t.Fatalf("%s", r.Body)
		}
	}

	resp := slack(chattest.SlashCommand("U2147483697", "plan ali billing orders latest", chattest.SlackCommandURL))
	var m chat.SlackMessage
	if json.Unmarshal([]byte(resp.Body), &m) != nil || m.Text != "Planning group billing on ali… the result follows in this conversation." {
		t.Fatalf("%s", resp.Body)
	}
	hooks.None(t) // the job only runs once this invocation has answered
	job := queued()
	if !server.IsChatJobEvent(job) {
		t.Fatalf("%s", job)
	}
	runJob("async-plan", job)
	plan := hooks.Next(t).SlackMessage(t)
	var token string
	for _, b := range plan.Blocks {
		for _, e := range b.Elements {
			if e.ActionID == chat.ActionApply {
				token = e.Value
			}
		}
	}
	if token == "" || !strings.HasPrefix(plan.Text, "Plan for group billing on ali to latest: 3 partitions, skipping 297 messages.") {
		t.Fatalf("%+v", plan)
	}
	if asked, refused := hooks.Tunnels(); len(asked) == 0 || asked[0] != "hooks.slack.com:443" || len(refused) != 0 {
		t.Fatalf("proxy tunnels %v, refused %v", asked, refused)
	}
	before := map[int32]int64{0: 20, 1: 21, 2: 22}
	if got := in.Committed("billing")["orders"]; !reflect.DeepEqual(got, before) {
		t.Fatalf("a plan moved offsets: %v", got)
	}

	// The Apply button: acknowledged, "Applying…", then the job applies.
	if resp := slack(chattest.BlockActions("U2147483697", chat.ActionApply, token, chattest.SlackActionURL)); resp.Body != "" {
		t.Fatalf("%+v", resp)
	}
	if w := hooks.Next(t).SlackMessage(t); !w.ReplaceOriginal || !strings.HasPrefix(w.Text, "Applying the plan of group billing on ali…") {
		t.Fatalf("%+v", w)
	}
	apply := queued()
	runJob("async-apply", apply)
	if r := hooks.Next(t).SlackMessage(t); !r.ReplaceOriginal || !strings.HasPrefix(r.Text, "Applied: group billing on ali to latest: 3 partitions, skipping 297 messages.") {
		t.Fatalf("%+v", r)
	}
	if r := hooks.Next(t).SlackMessage(t); r.ResponseType != "in_channel" {
		t.Fatalf("%+v", r)
	}
	end := map[int32]int64{0: demo.DemoMessages, 1: demo.DemoMessages, 2: demo.DemoMessages}
	if got := in.Committed("billing")["orders"]; !reflect.DeepEqual(got, end) {
		t.Fatalf("emulator offsets %v", got)
	}
	// Lambda retries an asynchronous invocation with the same event and request id.
	runJob("async-apply", apply)
	if r := hooks.Next(t).SlackMessage(t); !strings.Contains(r.Text, "this confirm token was already used at") {
		t.Fatalf("%+v", r)
	}
	if got := in.Committed("billing")["orders"]; !reflect.DeepEqual(got, end) {
		t.Fatalf("the retry moved offsets: %v", got)
	}

	// A job the function did not seal is refused, and nothing is posted.
	r := boot.invoke(t, "", []byte(`{"offsetresetChatJob":"eyJ0ZXh0IjoiY29uZmlybSB4In0.Zm9yZ2Vk"}`))
	var e struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if !r.IsError || json.Unmarshal(r.Body, &e) != nil || e.ErrorType != "InvalidEvent" || !strings.HasPrefix(e.ErrorMessage, "the chat job is not sealed with this function's OFFSETRESET_CONFIRM_SECRET") {
		t.Fatalf("%s", r.Body)
	}
	hooks.None(t)
	for _, secret := range []string{slackSecret, confirmSecret, token, "hooks.slack.com/commands", "hooks.slack.com/actions", "lambda-secret"} {
		if strings.Contains(boot.logs.String(), secret) {
			t.Fatalf("%q in the logs:\n%s", secret, boot.logs.String())
		}
	}
}
