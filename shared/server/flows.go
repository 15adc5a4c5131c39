package server

import (
	"context"
	"fmt"
	"strings"
	"time"

	"offsetreset/shared/config"
	"offsetreset/shared/confirm"
	"offsetreset/shared/policy"
	"offsetreset/shared/reset"
)

// Plan makes a dry run for a person and, when it can be applied, a confirm token bound to the
// plan, the principal and an expiry (SPEC §8). token is "" when the plan cannot be confirmed;
// the reason is then in the result's notes.
func (s *Service) Plan(ctx context.Context, inv Invocation, cmd reset.Command) (*reset.Result, string) {
	ctx, cancel := s.withDeadline(ctx)
	defer cancel()
	cmd.DryRun = true
	res := s.Run(ctx, inv, cmd, reset.Options{})
	if res.Status != reset.StatusPlanned {
		return res, ""
	}
	if nothingToDo(res) {
		res.Notes = append(res.Notes, fmt.Sprintf("nothing to do: group %s is already at %s on every selected partition, so no confirm token was issued", res.Group, res.To))
		return res, ""
	}
	// Check the apply permission now (in the command's own terms: an ago: plan is judged as
	// ago:), so a person who may only plan gets no token.
	applyCmd := cmd
	applyCmd.DryRun = false
	to, _ := applyCmd.Validate()
	if err := policy.Check(s.Config.Policy, policy.Request{Trigger: inv.Trigger, Principal: inv.Principal, Channel: inv.Channel, Command: applyCmd, Form: to.Form, Plan: asApplied(res)}); err != nil {
		res.Notes = append(res.Notes, "no confirm token: "+err.Error())
		return res, ""
	}
	claims, err := confirm.FromPlan(inv.Principal, cmd, res, s.now())
	// The token pins the instant of an ago: target, so confirming later means the same time
	// (the command keeps its ago: form, for the policy and for the person reading the answer).
	if res.At != nil && to.Form == reset.FormAgo {
		claims.At = res.At
	}
	if err != nil {
		res.Notes = append(res.Notes, err.Error())
		return res, ""
	}
	token, err := confirm.Issue(s.Secrets.ConfirmSecret, claims)
	if err != nil {
		res.Notes = append(res.Notes, err.Error())
		return res, ""
	}
	return res, token
}

// nothingToDo reports whether a plan moves no partition.
func nothingToDo(r *reset.Result) bool {
	for _, p := range r.Partitions {
		if p.Status == reset.StatusPlanned {
			return false
		}
	}
	return true
}

// asApplied is the plan as the policy sees an apply (dry-run flag off), for maxSkip.
func asApplied(r *reset.Result) *reset.Result {
	c := *r
	c.DryRun = false
	return &c
}

// Confirm applies a plan made by Plan: it re-plans with the planned offsets pinned and refuses,
// showing the differences, if anything moved since the plan. A token is bound to its principal,
// expires, and is single-use: its id is the invocation identity, so a second confirm (also after
// an undo put the offsets back, and also when four arrive at once) is refused, saying when the
// token was used — in this instance from memory, on Kafka from the commit markers it left.
func (s *Service) Confirm(ctx context.Context, inv Invocation, token string) *reset.Result {
	ctx, cancel := s.withDeadline(ctx)
	defer cancel()
	claims, err := confirm.Open(s.Secrets.ConfirmSecret, token, inv.Principal, s.now())
	if err != nil {
		res := reset.ErrorResult(reset.Command{}, reset.PolicyRefused("%v", err))
		s.audit(inv, reset.Command{}, res)
		return res
	}
	opts := reset.Options{Check: func(r *reset.Result) error {
		if d := claims.Drift(r); len(d) > 0 {
			return reset.Refused("the offsets moved since the plan, so nothing was applied; plan again: %s", strings.Join(reset.FirstN(d, 10), "; "))
		}
		return nil
	}, OnMarked: func(m reset.Mark) error {
		return reset.Refused("this confirm token was already used at %s; a token applies once, so nothing changed: plan again to apply again", m.Time().Format(time.RFC3339))
	}}
	pinned := claims.Pinned()
	if len(pinned) == len(claims.Rows) {
		opts.Pinned = pinned
	}
	opts.At = claims.At
	inv.Identity, inv.SameWithin = "confirm:"+confirm.ID(token), 0
	return s.Run(ctx, inv, claims.Command, opts)
}

// RunAlert executes a command an alert rule made. It re-reads the lag at execution time and acts
// only if the lag is still at least the rule's minLag, and never skips more than its maxSkip; a
// retried webhook therefore finds the lag gone and changes nothing.
func (s *Service) RunAlert(ctx context.Context, inv Invocation, rule config.AlertRule, cmd reset.Command) *reset.Result {
	ctx, cancel := s.withDeadline(ctx)
	defer cancel()
	cmd.DryRun = cmd.DryRun || rule.DryRun
	opts := reset.Options{OnMarked: func(m reset.Mark) error {
		return reset.Refused("alert rule %s: this alert notification was already handled at %s (deliveries within sameDelivery %s are one delivery); nothing changed",
			rule.Name, m.Time().Format(time.RFC3339), rule.SameDeliveryWindow())
	}, Check: func(r *reset.Result) error {
		lag, known := totalLag(r)
		if rule.MinLag > 0 {
			if !known {
				return reset.Refused("alert rule %s: the current lag of group %s cannot be read on this backend, so minLag %d cannot be checked; nothing changed", rule.Name, cmd.Group, rule.MinLag)
			}
			if lag < rule.MinLag {
				return reset.Refused("alert rule %s: the lag of group %s is %d now, below minLag %d; nothing changed (acknowledged)", rule.Name, cmd.Group, lag, rule.MinLag)
			}
		}
		if rule.MaxSkip > 0 {
			total, ok := policy.AbsSkipped(r)
			if !ok {
				return reset.Refused("alert rule %s: how many messages this reset skips is unknown for this backend and target, so maxSkip %d cannot be enforced; nothing changed", rule.Name, rule.MaxSkip)
			}
			if total > rule.MaxSkip {
				return reset.Refused("alert rule %s: the reset would skip %d messages, more than maxSkip %d; nothing changed", rule.Name, total, rule.MaxSkip)
			}
		}
		return nil
	}}
	return s.Run(ctx, inv, cmd, opts)
}

// totalLag sums the lag of the rows the plan covers.
func totalLag(r *reset.Result) (int64, bool) {
	var sum int64
	for _, p := range r.Partitions {
		if p.Status == reset.StatusError {
			continue
		}
		if p.Lag == nil {
			return 0, false
		}
		sum += *p.Lag
	}
	return sum, true
}

// Status reads a group's per-partition lag for a person (chat `status`): a dry run to latest,
// allowed to anyone the policy lets plan on that target and group, whatever `to` forms they may use.
func (s *Service) Status(ctx context.Context, inv Invocation, target, group string) *reset.Result {
	ctx, cancel := s.withDeadline(ctx)
	defer cancel()
	cmd := reset.Command{Target: target, Group: group, To: "latest", DryRun: true}
	if err := policy.Check(s.Config.Policy, policy.Request{Trigger: inv.Trigger, Principal: inv.Principal, Channel: inv.Channel, Command: cmd, Form: reset.FormLatest, ReadOnly: true}); err != nil {
		return reset.ErrorResult(cmd, err)
	}
	return s.Planner.Run(ctx, cmd, reset.Options{})
}
