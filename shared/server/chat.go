package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"offsetreset/shared/confirm"
	"offsetreset/shared/reset"
	"offsetreset/shared/trigger/chat"
	"offsetreset/shared/trigger/dingtalk"
	"offsetreset/shared/trigger/slack"
)

// HandleChat runs one chat command for a person (trigger chat) within the call: plan and apply
// both answer a plan with a confirm token (a glob in the group position plans every matching
// group, one token for all), confirm applies a plan, status shows the lag. Nothing a person types
// changes offsets without a confirm token from an earlier plan. The chat routes call it through
// converse, which defers work that may outlast the platform's reply window.
func (s *Service) HandleChat(ctx context.Context, inv Invocation, text string) chat.Reply {
	req, err := chat.Parse(text)
	if err != nil {
		return chat.Reply{Kind: chat.KindError, Message: err.Error()}
	}
	switch req.Verb {
	case chat.VerbPlan, chat.VerbApply:
		results, token := s.PlanAll(ctx, inv, req.Command)
		return planReply(results, token, req.Verb == chat.VerbApply)
	case chat.VerbConfirm:
		return appliedReply(s.ConfirmAll(ctx, inv, req.Token))
	case chat.VerbStatus:
		res := s.Status(ctx, inv, req.Target, req.Group)
		if res.Status != reset.StatusPlanned {
			return chat.Reply{Kind: chat.KindError, Result: res, Message: res.Error}
		}
		return chat.Reply{Kind: chat.KindStatus, Result: res}
	}
	return chat.Reply{Kind: chat.KindHelp}
}

// planReply words the plans of one command: one group's per-partition plan, or a summary per
// group when a glob matched several.
func planReply(results []*reset.Result, token string, apply bool) chat.Reply {
	if len(results) == 1 {
		res := results[0]
		if res.Status != reset.StatusPlanned {
			return chat.Reply{Kind: chat.KindError, Result: res, Message: res.Error}
		}
		return chat.Reply{Kind: chat.KindPlan, Result: res, Token: token, Apply: apply}
	}
	return chat.Reply{Kind: chat.KindPlan, Results: results, Token: token, Apply: apply}
}

// appliedReply words the results of a confirm: applied (or partial) where anything was, the
// error where nothing was.
func appliedReply(results []*reset.Result) chat.Reply {
	if len(results) == 1 {
		res := results[0]
		if res.Status != reset.StatusApplied && res.Status != reset.StatusPartial {
			return chat.Reply{Kind: chat.KindError, Result: res, Message: res.Error}
		}
		return chat.Reply{Kind: chat.KindApplied, Result: res}
	}
	for _, res := range results {
		if res.Status == reset.StatusApplied || res.Status == reset.StatusPartial {
			return chat.Reply{Kind: chat.KindApplied, Results: results}
		}
	}
	return chat.Reply{Kind: chat.KindError, Results: results,
		Message: fmt.Sprintf("nothing was applied to the %d groups of the plan: %s", len(results), results[0].Error)}
}

// chatRoutes are POST /v1/chat/slack (slash commands and button presses) and /v1/chat/dingtalk.
func (s *Service) chatRoutes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"POST /v1/chat/slack":    s.serveSlack,
		"POST /v1/chat/dingtalk": s.serveDingTalk,
	}
}

// serveSlack answers a slash command, or a press of a plan's button (the interactive payload
// Slack sends to the same route). Bad credentials answer 401 and a body that is neither 400; a
// command the person got wrong is answered 200 with the reason, so Slack shows it.
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
	if slack.IsInteraction(body) {
		s.serveSlackPress(w, r, body)
		return
	}
	cmd, err := slack.Decode(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	job := ChatJob{Client: clientSlack, Text: cmd.Text, Principal: "slack:" + cmd.UserID, Channel: "slack:" + cmd.ChannelID,
		RequestID: trustedRequestID(r), ReplyURL: cmd.ResponseURL}
	if job.RequestID == "" {
		job.RequestID = cmd.TriggerID
	}
	s.converse(r.Context(), job, func(reply chat.Reply) { writeJSONAnswer(w, http.StatusOK, reply.Slack()) })
}

// serveSlackPress handles a press of a plan's Apply or Cancel button. Slack reads nothing from
// the answer (200 at once); every reply goes to the press's response_url: the result replaces
// the plan message (its buttons go), an applied result is also posted in the channel. A person
// who may not press gets a message of their own and the plan message stays as it is.
func (s *Service) serveSlackPress(w http.ResponseWriter, r *http.Request, body []byte) {
	a, err := slack.DecodeAction(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Slack interaction: "+err.Error())
		return
	}
	if err := checkReplyURL(clientSlack, a.ResponseURL); err != nil {
		writeError(w, http.StatusBadRequest, "Slack interaction: "+err.Error())
		return
	}
	job := ChatJob{Client: clientSlack, Press: true, Text: chat.VerbConfirm + " " + a.Value, Principal: "slack:" + a.UserID,
		Channel: "slack:" + a.ChannelID, RequestID: trustedRequestID(r), ReplyURL: a.ResponseURL}
	if job.RequestID == "" {
		job.RequestID = a.TriggerID
	}
	if a.ActionID != chat.ActionApply && a.ActionID != chat.ActionCancel {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Slack interaction: action %q is not a button of offsetreset (%s, %s)", trunc(a.ActionID, 60), chat.ActionApply, chat.ActionCancel))
		return
	}
	ctx := r.Context()
	claims, err := confirm.Verify(s.Secrets.ConfirmSecret, a.Value, s.now())
	var denied error
	if err == nil {
		denied = s.mayPress(job.invocation(), claims)
	}
	switch {
	case err != nil:
		// A plan that can no longer be confirmed loses its buttons, with the reason.
		s.deliver(ctx, job, chat.Reply{Kind: chat.KindError, Message: err.Error()})
	case denied != nil:
		other := job
		other.Press = false
		s.deliver(ctx, other, chat.Reply{Kind: chat.KindError, Message: denied.Error()})
	case a.ActionID == chat.ActionCancel:
		s.deliver(ctx, job, chat.Reply{Kind: chat.KindCancelled, By: job.Principal, Message: "The plan of " + planName(claims) + " was dropped."})
	default:
		s.converse(ctx, job, func(reply chat.Reply) { s.deliver(ctx, job, reply) })
	}
	w.WriteHeader(http.StatusOK)
}

// serveDingTalk answers a DingTalk robot message with an ActionCard (DingTalk's outgoing robots
// cannot receive button presses, so the typed confirm stays).
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
	job := ChatJob{Client: clientDingTalk, Text: msg.Text.Content, Principal: "dingtalk:" + msg.Sender(), Channel: "dingtalk:" + msg.ConversationID,
		RequestID: trustedRequestID(r), ReplyURL: msg.SessionWebhook}
	if job.RequestID == "" {
		job.RequestID = msg.MsgID
	}
	s.converse(r.Context(), job, func(reply chat.Reply) {
		// The reply goes to the conversation's session webhook (DingTalk's documented way) and in
		// the HTTP answer (which robots in HTTP mode also display).
		if msg.SessionWebhook != "" {
			s.deliver(r.Context(), job, reply)
		}
		writeJSONAnswer(w, http.StatusOK, reply.DingTalk())
	})
}

// planName names the groups of a token's plans for a sentence: "group billing on prod-kafka",
// "3 groups on prod-kafka".
func planName(c confirm.Claims) string {
	if len(c.Plans) == 1 {
		return "group " + c.Plans[0].Command.Group + " on " + c.Plans[0].Command.Target
	}
	names := make([]string, len(c.Plans))
	for i, p := range c.Plans {
		names[i] = p.Command.Group
	}
	return fmt.Sprintf("%d groups (%s) on %s", len(c.Plans), reset.GroupNames(names, 3), c.Plans[0].Command.Target)
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func hostIn(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
