// Package server is the one reset path every platform shares: a Service that runs commands on
// behalf of a trigger (policy, planner, audit), and the http.Handler that FC, Lambda Function
// URLs and the local server all serve.
package server

import (
	"context"
	"log/slog"
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
)

// Invocation says who asked: the trigger kind, the principal (e.g. "slack:U024BE7LH",
// "fc-timer:nightly") and the platform's request id, for policy and audit.
type Invocation struct {
	Trigger   string
	Principal string
	// Channel is the chat conversation ("slack:C…", "dingtalk:cid…"), for policy rules with channels.
	Channel   string
	RequestID string
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
	// DingTalkPost posts chat replies to DingTalk session webhooks; an HTTPS POST when nil.
	DingTalkPost DingTalkPoster

	once sync.Once
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
// outcome that was attempted or refused is audited.
func (s *Service) Run(ctx context.Context, inv Invocation, cmd reset.Command, opts reset.Options) *reset.Result {
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
	s.audit(inv, cmd, res)
	s.notify(ctx, inv, res)
	return res
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
	failed := s.Notifier.Notify(context.WithoutCancel(ctx), notify.Event{Trigger: inv.Trigger, Principal: inv.Principal, Result: res})
	for _, f := range failed {
		s.log().Warn("offsetreset.notify", "requestId", inv.RequestID, "error", f)
	}
	res.Notes = append(res.Notes, failed...)
}

// RunAll runs commands in order; a command array is not a transaction, each has its own result.
func (s *Service) RunAll(ctx context.Context, inv Invocation, cmds []reset.Command) []*reset.Result {
	out := make([]*reset.Result, len(cmds))
	for i, c := range cmds {
		out[i] = s.Run(ctx, inv, c, reset.Options{})
	}
	return out
}
