package server

import (
	"context"
	"log/slog"

	"offsetreset/shared/policy"
	"offsetreset/shared/reset"
)

// policyCheck judges the command before planning; the returned check judges the finished plan
// (topics of an all-topics command, maxSkip).
func (s *Service) policyCheck(inv Invocation, cmd reset.Command) func(*reset.Result) error {
	var rules = s.Config.Policy
	to, _ := reset.ParseTo(cmd.To)
	return func(r *reset.Result) error {
		return policy.Check(rules, policy.Request{Trigger: inv.Trigger, Principal: inv.Principal, Channel: inv.Channel, Command: cmd, Form: to.Form, Plan: r})
	}
}

// audit writes one JSON line per applied, partial, failed or refused reset (dry runs and
// invalid input change nothing and are not audited). Commands carry no secrets; tokens and
// signatures never reach this function.
func (s *Service) audit(inv Invocation, cmd reset.Command, res *reset.Result) {
	if res.DryRun && res.Status != reset.StatusRefused {
		return
	}
	switch res.Status {
	case reset.StatusApplied, reset.StatusPartial, reset.StatusFailed, reset.StatusRefused:
	default:
		return
	}
	rows := make([]any, 0, len(res.Partitions))
	for _, p := range res.Partitions {
		rows = append(rows, map[string]any{"topic": p.Topic, "partition": p.Partition, "before": p.Before, "after": p.After, "status": p.Status, "error": p.Error})
	}
	level := slog.LevelInfo
	if res.Status != reset.StatusApplied {
		level = slog.LevelWarn
	}
	s.log().LogAttrs(context.Background(), level, "offsetreset.audit",
		slog.String("trigger", inv.Trigger),
		slog.String("principal", inv.Principal),
		slog.String("requestId", inv.RequestID),
		slog.String("target", res.Target),
		slog.String("provider", res.Provider),
		slog.Any("command", cmd),
		slog.String("status", string(res.Status)),
		slog.Any("skipped", res.Skipped),
		slog.Any("partitions", rows),
		slog.Any("undo", res.Undo),
		slog.String("error", res.Error),
	)
}
