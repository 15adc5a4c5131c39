package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Chat clients: who sent a chat request, and so where its replies go.
const (
	clientSlack    = "slack"
	clientDingTalk = "dingtalk"
)

// replyHosts are the only hosts chat replies are ever posted to: Slack's response_url
// (hooks.slack.com) and DingTalk's sessionWebhook (the DingTalk API hosts). A request that names
// another URL is answered in its HTTP answer only, so a forged payload cannot make the function
// post anywhere else.
var replyHosts = map[string][]string{
	clientSlack:    {"hooks.slack.com"},
	clientDingTalk: {"oapi.dingtalk.com", "api.dingtalk.com"},
}

// replyURLName is what each client calls its reply URL, for sentences.
var replyURLName = map[string]string{clientSlack: "response_url", clientDingTalk: "session webhook"}

// checkReplyURL accepts an https URL on the client's reply hosts (default port, no user).
func checkReplyURL(client, hook string) error {
	hosts := replyHosts[client]
	u, err := url.Parse(hook)
	if err != nil || u.Scheme != "https" || u.User != nil || (u.Port() != "" && u.Port() != "443") || !hostIn(hosts, u.Hostname()) {
		return fmt.Errorf("the %s is not an https URL on %s; the reply is only in the HTTP answer", replyURLName[client], strings.Join(hosts, " or "))
	}
	return nil
}

// replyTimeout bounds one post of a reply.
const replyTimeout = 10 * time.Second

// postReply posts a reply (JSON) to a client's reply URL after checking it against the hosts
// allowed. It goes through ReplyTransport (Go's default transport unless a test sets one, so
// HTTPS_PROXY, NO_PROXY and SSL_CERT_FILE apply) and never follows a redirect. Errors never
// contain the URL: a response_url or session webhook lets anyone post to the conversation.
func (s *Service) postReply(ctx context.Context, client, hook string, reply any) error {
	if err := checkReplyURL(client, hook); err != nil {
		return err
	}
	body, err := json.Marshal(reply)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, replyTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("the %s cannot be posted to", replyURLName[client])
	}
	req.Header.Set("Content-Type", "application/json")
	hc := &http.Client{Transport: s.ReplyTransport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("posting the reply to the %s: %v", replyURLName[client], err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the %s answered HTTP %d (%s); the reply was not shown", replyURLName[client], resp.StatusCode, strings.TrimSpace(string(answer)))
	}
	// DingTalk answers 200 with errcode/errmsg; a code other than 0 is a refusal.
	var dt struct {
		Code int    `json:"errcode"`
		Msg  string `json:"errmsg"`
	}
	if client == clientDingTalk && json.Unmarshal(answer, &dt) == nil && dt.Code != 0 {
		return fmt.Errorf("the %s refused the reply: errcode %d (%s)", replyURLName[client], dt.Code, dt.Msg)
	}
	return nil
}

// LoggedReplies is a ReplyTransport that sends nothing: it logs that a chat reply would have been
// posted (to which host, never the URL) and answers 200, for a demo where nothing may leave the
// machine.
type LoggedReplies struct{}

// RoundTrip logs the reply and answers as Slack and DingTalk do when they take it.
func (LoggedReplies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	slog.Info("demo: would post the chat reply", "host", r.URL.Hostname())
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"errcode":0}`)), Request: r}, nil
}
