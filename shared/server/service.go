// Package server is the one reset path every platform shares: a Service that runs commands on
// behalf of a trigger (policy, planner, audit), and the http.Handler that FC, Lambda Function
// URLs and the local server all serve.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"offsetreset/shared/config"
	"offsetreset/shared/notify"
	"offsetreset/shared/reset"
	"offsetreset/shared/trigger/cloudeye"
)

// Trigger kinds (the policy's words).
const (
	TriggerAPI      = "api"
	TriggerSchedule = "schedule"
	TriggerAlert    = "alert"
	TriggerChat     = "chat"
	TriggerCLI      = "cli" // the offsetreset command on an operator's machine
)

// Invocation says who asked: the trigger kind, the principal (e.g. "slack:U024BE7LH",
// "fc-timer:nightly") and the platform's request id, for policy and audit.
type Invocation struct {
	Trigger   string
	Principal string
	// Channel is the chat conversation ("slack:C…", "dingtalk:cid…"), for policy rules with channels.
	Channel   string
	RequestID string
	// Identity names the invocation across its deliveries (a platform request id, an alert
	// notification, a confirm token): deliveries of one identity act at most once. "" = none.
	Identity string
	// SameWithin: deliveries of Identity further apart than this are different deliveries (an
	// alert's re-notification); 0 = any age.
	SameWithin time.Duration
	// Retry is the platform's count of earlier attempts of this delivery (FC x-fc-retry-count).
	Retry int
}

// Secrets are the shared secrets of the authenticated routes (SPEC §6). An empty secret closes
// its route: every request gets 401.
type Secrets struct {
	APIToken      string
	WebhookToken  string
	WebhookHMAC   string
	SlackSigning  string
	DingTalkApp   string
	ConfirmSecret string
}

// SecretsFromEnv reads the default variables of SPEC §6.
func SecretsFromEnv() Secrets {
	return Secrets{
		APIToken:      os.Getenv("OFFSETRESET_API_TOKEN"),
		WebhookToken:  os.Getenv("OFFSETRESET_WEBHOOK_TOKEN"),
		WebhookHMAC:   os.Getenv("OFFSETRESET_WEBHOOK_HMAC_SECRET"),
		SlackSigning:  os.Getenv("OFFSETRESET_SLACK_SIGNING_SECRET"),
		DingTalkApp:   os.Getenv("OFFSETRESET_DINGTALK_APP_SECRET"),
		ConfirmSecret: os.Getenv("OFFSETRESET_CONFIRM_SECRET"),
	}
}

// Service runs commands for every trigger on every platform.
type Service struct {
	Planner *reset.Planner
	Config  *config.File
	Secrets Secrets
	// Log receives the audit lines (JSON); slog.Default() when nil.
	Log *slog.Logger
	// Now is the clock (token expiry, replay windows); time.Now when nil.
	Now func() time.Time
	// Timeout bounds one invocation when the platform gives no deadline.
	Timeout time.Duration
	// Notifier receives the outcome of schedule and alert resets; nil = none configured.
	Notifier *notify.Notifier
	// CloudEye verifies and confirms Huawei SMN messages (allowlists, certificate fetcher); built
	// from the environment on first use when nil.
	CloudEye *cloudeye.Client
	// ReplyTransport carries chat replies to Slack response_url and DingTalk sessionWebhook URLs,
	// after their host allowlist passed (chat.go, outbound.go); nil = Go's default transport
	// (HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE). It is the test seam of the fake reply servers.
	ReplyTransport http.RoundTripper
	// SelfInvoke starts a chat job in an asynchronous invocation of this same function (FC 3.0
	// InvokeFunction Async, Lambda Invoke Event); nil = this process keeps running after it
	// answers (the local server), so deferred chat work runs in a goroutine (chatjob.go).
	SelfInvoke SelfInvoker

	once       sync.Once
	deliveries deliveries
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// withDeadline bounds ctx by the service timeout unless it already has a deadline.
func (s *Service) withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	d := s.Timeout
	if d <= 0 {
		d = 60 * time.Second
	}
	return context.WithTimeout(ctx, d)
}

// Run executes one command for an invocation: policy first, then the planner; every non-dry-run
// outcome that was attempted or refused is audited. Deliveries of one invocation identity act at
// most once: a later one gets the first one's outcome (or, on Kafka, finds the first one's commit
// markers and converges on the same offsets), and is logged, not audited or notified again.
func (s *Service) Run(ctx context.Context, inv Invocation, cmd reset.Command, opts reset.Options) *reset.Result {
	if inv.Identity != "" && !cmd.DryRun {
		opts.Identity, opts.SameWithin, opts.Retry = inv.Identity, inv.SameWithin, inv.Retry > 0
	}
	res, dup := s.deliveries.do(ctx, opts.Identity, opts.SameWithin, s.now, func() *reset.Result { return s.run(ctx, inv, cmd, opts) })
	if dup && opts.OnMarked != nil && res.DuplicateAt != 0 {
		// The same answer a marker gives on another instance: a used token, a handled alert.
		r := reset.ErrorResult(cmd, opts.OnMarked(reset.Mark{At: res.DuplicateAt}))
		r.Duplicate, r.DuplicateAt = res.Duplicate, res.DuplicateAt
		res = r
	}
	if dup || (res.Duplicate != "" && !wroteAny(res)) {
		s.log().LogAttrs(context.Background(), slog.LevelInfo, "offsetreset.duplicate",
			slog.String("trigger", inv.Trigger), slog.String("principal", inv.Principal), slog.String("requestId", inv.RequestID),
			slog.String("target", res.Target), slog.String("group", res.Group), slog.String("status", string(res.Status)),
			slog.String("duplicate", res.Duplicate))
	}
	return res
}

func (s *Service) run(ctx context.Context, inv Invocation, cmd reset.Command, opts reset.Options) *reset.Result {
	if err := s.retryGuard(inv, cmd, opts); err != nil {
		res := reset.ErrorResult(cmd, err)
		s.audit(inv, cmd, res)
		return res
	}
	policyCheck := s.policyCheck(inv, cmd)
	if _, err := cmd.Validate(); err == nil {
		if err := policyCheck(nil); err != nil {
			res := reset.ErrorResult(cmd, err)
			s.audit(inv, cmd, res)
			return res
		}
	}
	userCheck := opts.Check
	opts.Check = func(r *reset.Result) error {
		if err := policyCheck(r); err != nil {
			return err
		}
		if userCheck != nil {
			return userCheck(r)
		}
		return nil
	}
	res := s.Planner.Run(ctx, cmd, opts)
	if res.Duplicate != "" && !wroteAny(res) {
		// An earlier delivery's commit markers: this one wrote nothing and says so; the audit
		// line and notification belong to the delivery that acted.
		return res
	}
	s.audit(inv, cmd, res)
	s.notify(ctx, inv, res)
	return res
}

// wroteAny reports whether this delivery may have written a partition.
func wroteAny(r *reset.Result) bool {
	for _, p := range r.Partitions {
		if p.Status == reset.StatusApplied || p.Status == reset.StatusUnknown {
			return true
		}
	}
	return false
}

// retryGuard refuses a platform retry (FC's x-fc-retry-count > 0) of a shift on a backend that
// keeps no commit markers: the first attempt may have written it, and nothing on the backend can
// tell, so applying it again could move the group twice.
func (s *Service) retryGuard(inv Invocation, cmd reset.Command, opts reset.Options) error {
	if inv.Retry <= 0 || cmd.DryRun || opts.Pinned != nil {
		return nil
	}
	to, err := cmd.Validate()
	if err != nil || to.Form != reset.FormShift {
		return nil
	}
	prov, err := s.Planner.Targets.Provider(cmd.Target)
	if err != nil || prov.Capabilities().Marks {
		return nil
	}
	return reset.Refused("this is platform retry %d of request %s, and %s on a %s target cannot be repeated safely: the first attempt may have written it and %s keeps no commit markers, so nothing changed now; read the offsets with a dry run and send a new command if needed",
		inv.Retry, inv.RequestID, cmd.To, prov.Kind(), prov.Kind())
}

// notify reports unattended resets (schedule, alert) that changed or were refused; a failed
// notification becomes a note on the result, never a failed reset.
func (s *Service) notify(ctx context.Context, inv Invocation, res *reset.Result) {
	if inv.Trigger != TriggerSchedule && inv.Trigger != TriggerAlert {
		return
	}
	if res.DryRun && res.Status != reset.StatusRefused {
		return
	}
	if res.Status == reset.StatusInvalid {
		return
	}
	ev := notify.Event{Trigger: inv.Trigger, Principal: inv.Principal, Result: res}
	if b, ok := ctx.Value(notifyBatchKey{}).(*notifyBatch); ok {
		b.add(ev)
		return
	}
	s.sendNotifications(ctx, inv.RequestID, []notify.Event{ev})
}

// RunAll runs commands in order; a command array is not a transaction, each has its own result.
// A command with groups expands into one command per matching group (Planner.Expand), each run
// on its own — policy, guard, plan, audit, undo — with its result in the group's place.
func (s *Service) RunAll(ctx context.Context, inv Invocation, cmds []reset.Command) []*reset.Result {
	ctx, batch := withNotifyBatch(ctx)
	defer s.flushNotifications(ctx, inv.RequestID, batch)
	var out []*reset.Result
	for i, c := range cmds {
		ci := inv
		if inv.Identity != "" && len(cmds) > 1 {
			ci.Identity = fmt.Sprintf("%s#%d", inv.Identity, i)
		}
		expanded, err := s.Planner.Expand(ctx, c, s.Config.MaxGroups)
		if err != nil {
			res := reset.ErrorResult(c, err)
			s.audit(ci, c, res)
			out = append(out, res)
			continue
		}
		for j, e := range expanded {
			ce := ci
			if len(c.Groups) > 0 && ce.Identity != "" {
				ce.Identity += "/" + e.Group
			}
			res := s.Run(ctx, ce, e, reset.Options{})
			out = append(out, res)
			if len(c.Groups) > 0 {
				reset.Report(ctx, reset.Step{What: fmt.Sprintf("group %s on %s: %s", e.Group, e.Target, res.Status),
					Done: j + 1, Total: len(expanded), Unit: "groups", Failed: res.Status.IsError()})
			}
		}
	}
	return out
}

// AnswerMany reports whether an answer is an array: the request was one, or a command had groups
// (one result per group).
func AnswerMany(many bool, cmds []reset.Command) bool {
	for _, c := range cmds {
		if len(c.Groups) > 0 {
			return true
		}
	}
	return many
}

// MaxNotificationsPerWebhook bounds what one webhook or event makes the sinks receive: one
// notification per distinct outcome up to this many, then one summary line for the rest.
const MaxNotificationsPerWebhook = 10

type notifyBatchKey struct{}

// notifyBatch collects the notifications of one webhook's alerts, sent together at its end.
type notifyBatch struct {
	mu     sync.Mutex
	events []notify.Event
}

func (b *notifyBatch) add(ev notify.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(b.events, ev)
}

func withNotifyBatch(ctx context.Context) (context.Context, *notifyBatch) {
	b := &notifyBatch{}
	return context.WithValue(ctx, notifyBatchKey{}, b), b
}

// flushNotifications sends a batch: one notification per distinct outcome (target, group, to,
// status), at most MaxNotificationsPerWebhook, and one summary for the rest.
func (s *Service) flushNotifications(ctx context.Context, requestID string, b *notifyBatch) {
	if len(b.events) == 0 {
		return
	}
	type key struct{ target, group, to, status string }
	seen := map[key]bool{}
	var send []notify.Event
	rest := 0
	for _, ev := range b.events {
		k := key{ev.Result.Target, ev.Result.Group, ev.Result.To, string(ev.Result.Status)}
		switch {
		case seen[k]:
		case len(send) < MaxNotificationsPerWebhook:
			seen[k] = true
			send = append(send, ev)
		default:
			seen[k] = true
			rest++
		}
	}
	if rest > 0 {
		send = append(send, notify.Event{Trigger: send[0].Trigger, Principal: send[0].Principal,
			Summary: fmt.Sprintf("and %d more distinct outcomes of the same webhook (see the answer and the audit lines, request %s)", rest, requestID)})
	}
	s.sendNotifications(ctx, requestID, send)
}

// sendNotifications sends within the invocation's remaining time, never after the answer (FC
// and Lambda freeze the instance then), at most four at a time; a failure becomes a note on the
// result, never a failed reset.
func (s *Service) sendNotifications(ctx context.Context, requestID string, evs []notify.Event) {
	if s.Notifier == nil || len(evs) == 0 {
		return
	}
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-min(time.Second, time.Until(dl)/10)))
		defer cancel()
	}
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, ev := range evs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			failed := s.Notifier.Notify(ctx, ev)
			for _, f := range failed {
				s.log().Warn("offsetreset.notify", "requestId", requestID, "error", f)
			}
			if ev.Result != nil && len(failed) > 0 {
				mu.Lock()
				ev.Result.Notes = append(ev.Result.Notes, failed...)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// WithMargin ends ctx a little before the platform's own deadline (a tenth of what is left, at
// most 2 s), so that the answer is out before the platform stops the instance — a stopped
// invocation is a timeout, which Lambda retries whatever the outcome.
func WithMargin(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, dl.Add(-min(2*time.Second, time.Until(dl)/10)))
}
