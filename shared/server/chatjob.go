package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"offsetreset/shared/confirm"
	"offsetreset/shared/trigger/chat"
)

// Deferred replies. Slack waits 3 seconds for a slash command's answer (and a button press's
// acknowledgement) and DingTalk about as long; a plan over a cloud API paced at its documented
// QPS takes longer than that for any group with more than a few dozen topics. Chat work that may
// not finish within that window is answered at once ("Planning group billing on prod…") and its
// result is posted to the request's reply URL (Slack response_url, DingTalk sessionWebhook).
//
// When work (a plan, an apply, a status) "may not finish": decided before it starts for
//   - every target of a cloud API provider (alikafka, alirocketmq, alirocketmq5, huaweikafka,
//     huaweirocketmq): paced calls, several per topic, retries on throttling;
//   - every glob in the group position (one plan, or one apply, per matching group);
//
// and by the clock for Kafka targets, which usually answer in well under a second: the work
// starts in the request, and what is not done after DeferAfter is deferred. On the local server
// the same run goes on in the background. On FC and Lambda the instance may freeze once the
// answer is out, so a dry run that is not done is cut off (nothing was written) and planned again
// in an asynchronous invocation of the same function; an apply is never cut off half-way, so
// there every apply (a typed confirm, a pressed Apply) runs in the asynchronous invocation and
// is answered at once whatever the backend's speed.
//
// Work handed to an asynchronous invocation travels as a ChatJob sealed with
// OFFSETRESET_CONFIRM_SECRET (purpose chatjob), so only the function itself can start one. A
// platform retry of the invocation runs the same job again: a plan is a dry run, and an apply's
// identity is its confirm token and group ("confirm:<token id>/<group>"), the same on every
// retry: the in-process deliveries and Kafka's commit markers make a retry converge or refuse it
// as "already used", and elsewhere the confirm's drift check refuses it (the offsets it finds are
// no longer the planned ones) — it never applies twice.

// DeferAfter is how long chat work runs inside the request before the answer goes out and the
// result follows: under Slack's 3-second window, with room for the answer itself.
const DeferAfter = 2 * time.Second

// JobTTL is how long a chat job may wait to run: Slack's response_url takes replies for 30
// minutes (DingTalk's sessionWebhook for about 90).
const JobTTL = 30 * time.Minute

// ChatJobKey is the one key of a chat job event: {"offsetresetChatJob": "<sealed job>"}.
const ChatJobKey = "offsetresetChatJob"

// SelfInvoker starts an event (a sealed chat job) in an asynchronous invocation of this same
// function; the error says what to fix (permission, configuration).
type SelfInvoker func(ctx context.Context, event []byte) error

// NoSelfInvoke is the SelfInvoker of a function that cannot invoke itself (err says why): every
// start fails with err, so deferred chat work runs in the request. Serverless entrypoints use it
// rather than leaving SelfInvoke nil, which would mean "keep running after the answer".
func NoSelfInvoke(err error) SelfInvoker {
	return func(context.Context, []byte) error { return err }
}

// ChatJob is a chat request whose reply goes to a reply URL: the words the person sent (a press
// of Apply is "confirm <token>" with Press set), who sent them, and where the reply goes.
type ChatJob struct {
	Client string `json:"client"` // slack | dingtalk
	Text   string `json:"text"`
	// Press: an Apply button press; the result replaces the plan message.
	Press     bool   `json:"press,omitempty"`
	Principal string `json:"principal"`
	Channel   string `json:"channel,omitempty"`
	// RequestID is the chat request's, kept for the logs of the invocation that runs the job.
	RequestID string `json:"requestId,omitempty"`
	ReplyURL  string `json:"replyUrl"`
	// Expires (Unix seconds) is set when the job is sealed for another invocation.
	Expires int64 `json:"expires,omitempty"`
}

func (j ChatJob) invocation() Invocation {
	return Invocation{Trigger: TriggerChat, Principal: j.Principal, Channel: j.Channel, RequestID: j.RequestID}
}

// work does the job's chat work within ctx and returns its reply.
func (s *Service) work(ctx context.Context, j ChatJob) chat.Reply {
	if !j.Press {
		return s.HandleChat(ctx, j.invocation(), j.Text)
	}
	token := strings.TrimSpace(strings.TrimPrefix(j.Text, chat.VerbConfirm))
	r := appliedReply(s.ConfirmPress(ctx, j.invocation(), token))
	r.By, r.Now = j.Principal, s.now()
	return r
}

// converse answers a chat request: immediate gets the one reply the request answers with: the
// result, or a "working" reply when the result follows later (always given before the result is
// posted). See the top of this file for when work is deferred.
func (s *Service) converse(ctx context.Context, j ChatJob, immediate func(r chat.Reply)) {
	req, err := chat.Parse(j.Text)
	if err != nil || checkReplyURL(j.Client, j.ReplyURL) != nil || req.Verb == chat.VerbHelp {
		immediate(s.work(ctx, j))
		return
	}
	if s.slow(req) || (s.SelfInvoke != nil && req.Verb == chat.VerbConfirm) {
		immediate(s.working(j))
		s.startJob(ctx, j)
		return
	}
	if s.SelfInvoke == nil {
		// The local server keeps running after it answers: the same run goes on.
		done := s.goWork(ctx, j)
		timer := time.NewTimer(DeferAfter)
		defer timer.Stop()
		select {
		case r := <-done:
			immediate(r)
		case <-timer.C:
			immediate(s.working(j))
			s.deliverLater(ctx, j, done)
		}
		return
	}
	// A dry run on FC or Lambda: cut off after DeferAfter (nothing was written) and planned again
	// in an asynchronous invocation.
	bctx, cancel := context.WithTimeout(ctx, DeferAfter)
	r := s.work(bctx, j)
	cut := bctx.Err() != nil && ctx.Err() == nil
	cancel()
	if !cut {
		immediate(r)
		return
	}
	immediate(s.working(j))
	s.startJob(ctx, j)
}

// slow reports whether work may not finish within the reply window even on a healthy backend:
// a cloud API target, or several groups.
func (s *Service) slow(req chat.Request) bool {
	switch req.Verb {
	case chat.VerbStatus:
		return s.cloudTarget(req.Target)
	case chat.VerbPlan, chat.VerbApply:
		return len(req.Command.Groups) > 0 || s.cloudTarget(req.Command.Target)
	}
	c, err := confirm.Verify(s.Secrets.ConfirmSecret, req.Token, s.now())
	if err != nil {
		return false // refused at once
	}
	return len(c.Plans) > 1 || s.cloudTarget(c.Plans[0].Command.Target)
}

// cloudTarget reports whether a target is reached through a cloud API (every provider but kafka).
func (s *Service) cloudTarget(name string) bool {
	prov, err := s.Planner.Targets.Provider(name)
	return err == nil && prov.Kind() != "kafka"
}

// goWork runs the job in a goroutine that outlives the request (the local server), bounded by
// the service timeout.
func (s *Service) goWork(ctx context.Context, j ChatJob) <-chan chat.Reply {
	done := make(chan chat.Reply, 1)
	wctx, cancel := s.withDeadline(context.WithoutCancel(ctx))
	go func() {
		defer cancel()
		done <- s.work(wctx, j)
	}()
	return done
}

// deliverLater posts the reply of a background run when it is done.
func (s *Service) deliverLater(ctx context.Context, j ChatJob, done <-chan chat.Reply) {
	ctx = context.WithoutCancel(ctx)
	go func() { s.deliver(ctx, j, <-done) }()
}

// startJob hands the job to another run, once its "working" reply is out: a goroutine on the
// local server, an asynchronous invocation of this function on FC and Lambda. When the
// invocation cannot be started (the reason is logged), the work runs in this request and its
// result is posted to the reply URL.
func (s *Service) startJob(ctx context.Context, j ChatJob) {
	if s.SelfInvoke == nil {
		s.deliverLater(ctx, j, s.goWork(ctx, j))
		return
	}
	j.Expires = s.now().Add(JobTTL).Unix()
	sealed, err := confirm.Seal(s.Secrets.ConfirmSecret, confirm.PurposeChatJob, j)
	if err == nil {
		event, _ := json.Marshal(map[string]string{ChatJobKey: sealed})
		err = s.SelfInvoke(ctx, event)
	}
	if err != nil {
		s.log().Warn("offsetreset.chat.defer", "requestId", j.RequestID, "error", "the chat work runs in this request instead of an asynchronous invocation: "+err.Error())
		s.deliver(ctx, j, s.work(ctx, j))
	}
}

// working is the answer given at once for deferred work.
func (s *Service) working(j ChatJob) chat.Reply {
	req, _ := chat.Parse(j.Text)
	what := "Applying the plan"
	switch {
	case req.Verb == chat.VerbStatus:
		what = "Reading the lag of group " + req.Group + " on " + req.Target
	case req.Verb == chat.VerbConfirm:
		if c, err := confirm.Verify(s.Secrets.ConfirmSecret, req.Token, s.now()); err == nil {
			what = "Applying the plan of " + planName(c)
		}
	case len(req.Command.Groups) > 0:
		what = "Planning the groups matching " + strings.Join(req.Command.Groups, ", ") + " on " + req.Command.Target
	default:
		what = "Planning group " + req.Command.Group + " on " + req.Command.Target
	}
	follow := "the result follows in this conversation."
	r := chat.Reply{Kind: chat.KindWorking, Now: s.now()}
	if j.Press {
		follow, r.By = "the result replaces this message.", j.Principal
	}
	r.Message = what + "… " + follow
	return r
}

// deliver posts a reply to the job's reply URL. A press's reply replaces the plan message (its
// buttons go) and an applied result is also posted in the channel, where it stays whatever
// replaces the message later (a second press finds the token used and says so). A failure is
// logged without the URL.
func (s *Service) deliver(ctx context.Context, j ChatJob, r chat.Reply) {
	var err error
	switch j.Client {
	case clientSlack:
		msg := r.Slack()
		if j.Press {
			replaced := msg
			replaced.ReplaceOriginal, replaced.ResponseType = true, ""
			err = s.postReply(ctx, j.Client, j.ReplyURL, replaced)
			if err == nil && r.Kind == chat.KindApplied {
				err = s.postReply(ctx, j.Client, j.ReplyURL, msg)
			}
			break
		}
		err = s.postReply(ctx, j.Client, j.ReplyURL, msg)
	case clientDingTalk:
		err = s.postReply(ctx, j.Client, j.ReplyURL, r.DingTalk())
	default:
		err = fmt.Errorf("chat client %q has no reply URL; use slack or dingtalk", j.Client)
	}
	if err != nil {
		s.log().Warn("offsetreset.chat.reply", "client", j.Client, "requestId", j.RequestID, "error", err.Error())
	}
}

// IsChatJobEvent reports whether an event invocation carries a chat job: an object whose one
// key is ChatJobKey.
func IsChatJobEvent(body []byte) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(bytes.TrimSpace(body), &probe) != nil || len(probe) != 1 {
		return false
	}
	_, ok := probe[ChatJobKey]
	return ok
}

// RunChatJobEvent runs a chat job this function handed to itself and posts its reply. The
// error says why an event was refused (nothing ran then): not sealed with this function's
// OFFSETRESET_CONFIRM_SECRET, or not a chat job. An expired job is dropped and logged.
func (s *Service) RunChatJobEvent(ctx context.Context, body []byte) error {
	var ev map[string]string
	if err := json.Unmarshal(body, &ev); err != nil {
		return fmt.Errorf("the chat job event is not {%q: \"<sealed job>\"}; nothing ran", ChatJobKey)
	}
	var j ChatJob
	if err := confirm.Unseal(s.Secrets.ConfirmSecret, confirm.PurposeChatJob, ev[ChatJobKey], &j); err != nil {
		if errors.Is(err, confirm.ErrNoSecret) {
			return errors.New("chat jobs are sealed with OFFSETRESET_CONFIRM_SECRET and this function has none; set it to the value the function had when it started the job")
		}
		return errors.New("the chat job is not sealed with this function's OFFSETRESET_CONFIRM_SECRET; only the function itself starts chat jobs, so nothing ran")
	}
	if _, ok := replyHosts[j.Client]; !ok {
		return fmt.Errorf("the chat job names client %q; only slack and dingtalk jobs exist, so nothing ran", j.Client)
	}
	if s.now().Unix() > j.Expires {
		s.log().Warn("offsetreset.chat.job", "requestId", j.RequestID, "error",
			fmt.Sprintf("the chat job expired at %s (its reply URL takes no more replies); nothing ran: send the command again", time.Unix(j.Expires, 0).UTC().Format(time.RFC3339)))
		return nil
	}
	s.deliver(ctx, j, s.work(ctx, j))
	return nil
}

// serveChatJob answers an event invocation that carries a chat job (FC's /invoke, the local
// server's /invoke): 200 once the reply is posted; a refused event answers its sentence, on FC
// marked failed (x-fc-status: 404).
func (s *Service) serveChatJob(w http.ResponseWriter, r *http.Request, p Platform, body []byte) {
	if err := s.RunChatJobEvent(r.Context(), body); err != nil {
		code := http.StatusBadRequest
		if p == FC {
			w.Header().Set("x-fc-status", "404")
			code = http.StatusOK
		}
		writeError(w, code, err.Error())
		return
	}
	writeJSONAnswer(w, http.StatusOK, map[string]string{"status": "done"})
}
