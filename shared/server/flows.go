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

// Plan makes a dry run of a one-group command for a person and, when it can be applied, a
// confirm token bound to the plan, the principal and an expiry (SPEC §8). token is "" when the
// plan cannot be confirmed; the reason is then in the result's notes. A command with groups is
// PlanAll's (Plan answers its first group).
func (s *Service) Plan(ctx context.Context, inv Invocation, cmd reset.Command) (*reset.Result, string) {
	results, token := s.PlanAll(ctx, inv, cmd)
	return results[0], token
}

// PlanAll makes the dry runs of a command for a person: one group, or every group its groups
// globs match (expanded as RunAll does, at most maxGroups), each judged by the policy on its
// own. One confirm token covers every group whose plan moves something and which the person may
// apply; the others say why in their notes. token is "" when no group can be confirmed.
func (s *Service) PlanAll(ctx context.Context, inv Invocation, cmd reset.Command) ([]*reset.Result, string) {
	ctx, cancel := s.withDeadline(ctx)
	defer cancel()
	cmd.DryRun = true
	cmds, err := s.Planner.Expand(ctx, cmd, s.Config.MaxGroups)
	if err != nil {
		return []*reset.Result{reset.ErrorResult(cmd, err)}, ""
	}
	claims := confirm.NewClaims(inv.Principal, s.now())
	results := make([]*reset.Result, len(cmds))
	var covered []*reset.Result
	tooLarge := false
	for i, c := range cmds {
		res := s.Run(ctx, inv, c, reset.Options{})
		results[i] = res
		at, ok := s.confirmable(inv, c, res, len(cmds) > 1)
		if !ok || tooLarge {
			continue
		}
		if err := claims.Add(c, res, at); err != nil {
			res.Notes = append(res.Notes, err.Error())
			tooLarge = true
			continue
		}
		covered = append(covered, res)
	}
	if len(covered) == 0 || tooLarge {
		return results, ""
	}
	token, err := confirm.Issue(s.Secrets.ConfirmSecret, claims)
	if err != nil {
		for _, res := range covered {
			res.Notes = append(res.Notes, err.Error())
		}
		return results, ""
	}
	return results, token
}

// confirmable reports whether a group's plan goes into the confirm token: it was planned, it
// moves something, and the person may apply it (judged in the command's own terms: an ago: plan
// as ago:). at is the instant an ago: plan pins, so confirming later means the same time. The
// reason a plan is left out becomes a note.
func (s *Service) confirmable(inv Invocation, cmd reset.Command, res *reset.Result, many bool) (at *int64, ok bool) {
	if res.Status != reset.StatusPlanned {
		return nil, false
	}
	left := "so no confirm token was issued"
	if many {
		left = "so the confirm token does not cover it"
	}
	to, _ := cmd.Validate()
	if to.Form == reset.FormCurrent {
		res.Notes = append(res.Notes, "to current moves nothing: this is the export of the committed offsets, "+left)
		return nil, false
	}
	if nothingToDo(res) {
		res.Notes = append(res.Notes, fmt.Sprintf("nothing to do: group %s is already at %s on every selected partition, %s", res.Group, res.To, left))
		return nil, false
	}
	applyCmd := cmd
	applyCmd.DryRun = false
	if err := policy.Check(s.Config.Policy, policy.Request{Trigger: inv.Trigger, Principal: inv.Principal, Channel: inv.Channel, Command: applyCmd, Form: to.Form, Plan: asApplied(res)}); err != nil {
		res.Notes = append(res.Notes, "no confirm token: "+err.Error())
		return nil, false
	}
	if res.At != nil && to.Form == reset.FormAgo {
		at = res.At
	}
	return at, true
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

// Confirm applies a one-group plan made by Plan; for a token of several groups it answers the
// first group's result (ConfirmAll answers every group).
func (s *Service) Confirm(ctx context.Context, inv Invocation, token string) *reset.Result {
	return s.ConfirmAll(ctx, inv, token)[0]
}

// ConfirmAll applies the plans a token carries, for the person who planned them (a typed
// confirm): one result per group, in the plan's order.
func (s *Service) ConfirmAll(ctx context.Context, inv Invocation, token string) []*reset.Result {
	claims, err := confirm.Open(s.Secrets.ConfirmSecret, token, inv.Principal, s.now())
	return s.applyClaims(ctx, inv, token, claims, err)
}

// ConfirmPress applies the plans of a token whose Apply button was pressed: by the person who
// planned, or by someone the policy lets apply every one of the plans (mayPress).
func (s *Service) ConfirmPress(ctx context.Context, inv Invocation, token string) []*reset.Result {
	claims, err := confirm.Verify(s.Secrets.ConfirmSecret, token, s.now())
	if err == nil {
		err = s.mayPress(inv, claims)
	}
	results := s.applyClaims(ctx, inv, token, claims, err)
	if err == nil && claims.Principal != inv.Principal {
		for _, r := range results {
			r.Notes = append(r.Notes, fmt.Sprintf("planned by %s, applied by %s", claims.Principal, inv.Principal))
		}
	}
	return results
}

// mayPress lets the person who planned press a plan's buttons, and anyone else only when the
// policy lets them apply every group of the plan themselves.
func (s *Service) mayPress(inv Invocation, claims confirm.Claims) error {
	if inv.Principal == claims.Principal {
		return nil
	}
	for _, p := range claims.Plans {
		to, _ := p.Command.Validate()
		if err := policy.Check(s.Config.Policy, policy.Request{Trigger: inv.Trigger, Principal: inv.Principal, Channel: inv.Channel, Command: p.Command, Form: to.Form}); err != nil {
			return fmt.Errorf("this plan was made by %s; only they, or someone the policy lets apply it, can press its buttons (%v)", claims.Principal, err)
		}
	}
	return nil
}

// applyClaims applies each group's plan of an opened token (err: why it did not open). Each
// re-plans with the planned offsets pinned and refuses, showing the differences, if anything
// moved since the plan. A token expires and is single-use per group: its id and the group are
// the invocation identity, so a second confirm (also after an undo put the offsets back, also
// when four arrive at once, also a platform retry of a chat job) is refused, saying when the
// token was used — in this instance from memory, on Kafka from the commit markers it left.
func (s *Service) applyClaims(ctx context.Context, inv Invocation, token string, claims confirm.Claims, err error) []*reset.Result {
	ctx, cancel := s.withDeadline(ctx)
	defer cancel()
	if err != nil {
		res := reset.ErrorResult(reset.Command{}, reset.PolicyRefused("%v", err))
		s.audit(inv, reset.Command{}, res)
		return []*reset.Result{res}
	}
	out := make([]*reset.Result, len(claims.Plans))
	for i, p := range claims.Plans {
		pinv := inv
		pinv.Identity, pinv.SameWithin = "confirm:"+confirm.ID(token)+"/"+p.Command.Group, 0
		// Any offsetreset write after the plan — even one that put the offsets back, or one that
		// pushed this token's marker out of the history — spends the token too.
		planned := (claims.Expires - int64(confirm.DefaultTTL/time.Second)) * 1000
		out[i] = s.applyPlan(ctx, pinv, claims.Tolerance, p, planned)
	}
	return out
}

// ApplyPlanned applies what a person was shown: each dry-run result of plans (one per group,
// as RunAll answered a dry run) with its offsets pinned, refusing a group whose offsets moved
// since, as a confirm does — the terminal's "Apply? [y/N]" without a token.
func (s *Service) ApplyPlanned(ctx context.Context, inv Invocation, plans []*reset.Result, cmd reset.Command) []*reset.Result {
	ctx, cancel := s.withDeadline(ctx)
	defer cancel()
	out := make([]*reset.Result, len(plans))
	for i, plan := range plans {
		c := cmd
		if len(c.Groups) > 0 {
			c.Group, c.Groups = plan.Group, nil
		}
		if plan.Status != reset.StatusPlanned {
			out[i] = plan
			continue
		}
		out[i] = s.applyPlan(ctx, inv, confirm.DefaultTolerance, confirm.PlanOf(c, plan, plan.At), 0)
	}
	return out
}

// applyPlan applies one group's plan (a confirm's identity is in inv).
func (s *Service) applyPlan(ctx context.Context, inv Invocation, tolerance int64, p confirm.Plan, notMarkedSince int64) *reset.Result {
	opts := reset.Options{Check: func(r *reset.Result) error {
		if d := p.Drift(r, tolerance); len(d) > 0 {
			return reset.Refused("the offsets moved since the plan, so nothing was applied; plan again: %s", strings.Join(reset.FirstN(d, 10), "; "))
		}
		return nil
	}, OnMarked: func(m reset.Mark) error {
		return reset.Refused("this confirm token was already used at %s; a token applies once, so nothing changed: plan again to apply again", m.Time().Format(time.RFC3339))
	}}
	if pinned := p.Pinned(); len(pinned) == len(p.Rows) {
		opts.Pinned = pinned
	}
	opts.At, opts.NotMarkedSince = p.At, notMarkedSince
	return s.Run(ctx, inv, p.Command, opts)
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
