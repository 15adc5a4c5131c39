package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"offsetreset/shared/reset"
	"offsetreset/shared/trigger/chat"
	"offsetreset/shared/trigger/dingtalk"
	"offsetreset/shared/trigger/slack"
)

// HandleChat runs one chat command for a person (trigger chat): plan and apply both answer a plan
// with a confirm token, confirm applies a plan, status shows the lag. Nothing a person types
// changes offsets without a confirm token from an earlier plan.
func (s *Service) HandleChat(ctx context.Context, inv Invocation, text string) chat.Reply {
	req, err := chat.Parse(text)
	if err != nil {
		return chat.Reply{Kind: chat.KindError, Message: err.Error()}
	}
	switch req.Verb {
	case chat.VerbHelp:
		return chat.Reply{Kind: chat.KindHelp}
	case chat.VerbPlan, chat.VerbApply:
		res, token := s.Plan(ctx, inv, req.Command)
		if res.Status != reset.StatusPlanned {
			return chat.Reply{Kind: chat.KindError, Result: res, Message: res.Error}
		}
		return chat.Reply{Kind: chat.KindPlan, Result: res, Token: token, Apply: req.Verb == chat.VerbApply}
	case chat.VerbConfirm:
		res := s.Confirm(ctx, inv, req.Token)
		if res.Status != reset.StatusApplied && res.Status != reset.StatusPartial {
			return chat.Reply{Kind: chat.KindError, Result: res, Message: res.Error}
		}
		return chat.Reply{Kind: chat.KindApplied, Result: res}
	case chat.VerbStatus:
		res := s.Status(ctx, inv, req.Target, req.Group)
		if res.Status != reset.StatusPlanned {
			return chat.Reply{Kind: chat.KindError, Result: res, Message: res.Error}
		}
		return chat.Reply{Kind: chat.KindStatus, Result: res}
	}
	return chat.Reply{Kind: chat.KindHelp}
}

// chatRoutes are POST /v1/chat/slack and /v1/chat/dingtalk.
func (s *Service) chatRoutes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"POST /v1/chat/slack":    s.serveSlack,
		"POST /v1/chat/dingtalk": s.serveDingTalk,
	}
}

// serveSlack answers a slash command. Bad credentials answer 401 and a body that is not a slash
// command 400; a command the person got wrong is answered 200 with the reason, so Slack shows it.
func (s *Service) serveSlack(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := slack.Verify(s.Secrets.SlackSigning, body, r.Header.Get(slack.TimestampHeader), r.Header.Get(slack.SignatureHeader), s.now()); err != nil {
		writeError(w, http.StatusUnauthorized, err.Error())
		return
	}
	cmd, err := slack.Decode(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	inv := Invocation{Trigger: TriggerChat, Principal: "slack:" + cmd.UserID, Channel: "slack:" + cmd.ChannelID, RequestID: trustedRequestID(r)}
	if inv.RequestID == "" {
		inv.RequestID = cmd.TriggerID
	}
	writeJSONAnswer(w, http.StatusOK, s.HandleChat(r.Context(), inv, cmd.Text).Slack())
}

// serveDingTalk answers a DingTalk robot message with a markdown message.
func (s *Service) serveDingTalk(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := dingtalk.Verify(s.Secrets.DingTalkApp, r.Header.Get(dingtalk.TimestampHeader), r.Header.Get(dingtalk.SignHeader), s.now()); err != nil {
		writeError(w, http.StatusUnauthorized, err.Error())
		return
	}
	msg, err := dingtalk.Decode(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "DingTalk message: "+err.Error())
		return
	}
	inv := Invocation{Trigger: TriggerChat, Principal: "dingtalk:" + msg.Sender(), Channel: "dingtalk:" + msg.ConversationID, RequestID: trustedRequestID(r)}
	if inv.RequestID == "" {
		inv.RequestID = msg.MsgID
	}
	reply := s.HandleChat(r.Context(), inv, msg.Text.Content).DingTalk()
	// The reply goes to the conversation's session webhook (DingTalk's documented way) and in the
	// HTTP answer (which robots in HTTP mode also display).
	if msg.SessionWebhook != "" {
		if err := s.dingTalkPost(r.Context(), msg.SessionWebhook, reply); err != nil {
			s.log().Warn("offsetreset.dingtalk", "requestId", inv.RequestID, "error", err.Error())
		}
	}
	writeJSONAnswer(w, http.StatusOK, reply)
}

// DingTalkPoster posts a reply to a session webhook.
type DingTalkPoster func(ctx context.Context, sessionWebhook string, body []byte) error

// dingTalkHosts are the hosts session webhooks may point at.
var dingTalkHosts = []string{"oapi.dingtalk.com", "api.dingtalk.com"}

func (s *Service) dingTalkPost(ctx context.Context, hook string, reply any) error {
	u, err := url.Parse(hook)
	if err != nil || u.Scheme != "https" || u.User != nil || (u.Port() != "" && u.Port() != "443") || !hostIn(dingTalkHosts, strings.ToLower(u.Hostname())) {
		return fmt.Errorf("the session webhook is not an https URL on %s; the reply is only in the HTTP answer", strings.Join(dingTalkHosts, " or "))
	}
	body, err := json.Marshal(reply)
	if err != nil {
		return err
	}
	if s.DingTalkPost != nil {
		return s.DingTalkPost(ctx, hook, body)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := dingTalkClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("posting the reply to the session webhook: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the session webhook answered HTTP %d", resp.StatusCode)
	}
	return nil
}

var dingTalkClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func hostIn(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
