// Package policy decides which trigger may do what to which group (SPEC §6). A trigger kind that
// no rule names keeps its default: api and schedule allowed (the platform's IAM already
// authenticated them), cli allowed (the operator's own credentials reach the backend), alert and
// chat denied. Once a rule names a kind, only rules allow it.
package policy

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"offsetreset/shared/config"
	"offsetreset/shared/reset"
)

// Request is what the policy judges.
type Request struct {
	Trigger   string // api | schedule | alert | chat | cli
	Principal string // chat: "slack:U…" / "dingtalk:…"
	Channel   string // chat: "slack:C…" / "dingtalk:cid…"
	Command   reset.Command
	Form      reset.Form
	// Plan is the finished plan; nil before planning (then topics come from the command and
	// maxSkip is not checked yet).
	Plan *reset.Result
	// ReadOnly asks only to look (chat status): the to form, apply and maxSkip do not apply.
	ReadOnly bool
}

// Check returns nil when some rule (or the default) allows the request, otherwise a
// reset.PolicyRefused error naming the rule and what it does not allow.
func Check(rules []config.PolicyRule, req Request) error {
	var named []config.PolicyRule
	for _, r := range rules {
		if slices.Contains(r.Triggers, req.Trigger) {
			named = append(named, r)
		}
	}
	if len(named) == 0 {
		if req.Trigger == "api" || req.Trigger == "schedule" || req.Trigger == "cli" {
			return nil
		}
		return reset.PolicyRefused("no policy rule allows %s triggers; add a rule with triggers: [%s] naming the targets and groups it may move", req.Trigger, req.Trigger)
	}
	var reasons []string
	for _, r := range named {
		why := deny(r, req)
		if why == "" {
			return nil
		}
		reasons = append(reasons, fmt.Sprintf("rule %s: %s", ruleName(r), why))
	}
	return reset.PolicyRefused("refused by policy: %s", strings.Join(reasons, "; "))
}

func ruleName(r config.PolicyRule) string {
	if r.Name != "" {
		return r.Name
	}
	return "(unnamed)"
}

// deny returns why the rule does not allow the request, or "".
func deny(r config.PolicyRule, req Request) string {
	c := req.Command
	if req.Trigger == "chat" && !matchAny(r.Principals, req.Principal) {
		return fmt.Sprintf("user %s is not among its principals", req.Principal)
	}
	if req.Trigger == "chat" && len(r.Channels) > 0 && !matchAny(r.Channels, req.Channel) {
		return fmt.Sprintf("channel %s is not among its channels", req.Channel)
	}
	if !matchAny(r.Targets, c.Target) {
		return fmt.Sprintf("target %s does not match %v", c.Target, r.Targets)
	}
	if !matchAny(r.Groups, c.Group) {
		return fmt.Sprintf("group %s does not match %v", c.Group, r.Groups)
	}
	for _, t := range topicsOf(req) {
		if !matchAny(r.Topics, t) {
			return fmt.Sprintf("topic %s does not match %v", t, r.Topics)
		}
	}
	if req.ReadOnly {
		return ""
	}
	if len(r.To) > 0 && !slices.Contains(r.To, string(req.Form)) {
		return fmt.Sprintf("to form %s is not among %v", req.Form, r.To)
	}
	if !c.DryRun && r.Apply != nil && !*r.Apply {
		return "it allows planning only (apply: false)"
	}
	if r.MaxSkip > 0 && req.Plan != nil && !c.DryRun {
		total, known := AbsSkipped(req.Plan)
		if !known {
			return fmt.Sprintf("it limits a reset to %d messages, and how many this reset skips is unknown for this backend and target", r.MaxSkip)
		}
		if total > r.MaxSkip {
			return fmt.Sprintf("the reset would skip or replay %d messages, more than its maxSkip %d", total, r.MaxSkip)
		}
	}
	return ""
}

// AbsSkipped sums |skipped| over the rows that move (replays count as much as skips); known is
// false when any moving row's count is unknown.
func AbsSkipped(res *reset.Result) (total int64, known bool) {
	for _, p := range res.Partitions {
		if p.Status != reset.StatusPlanned && p.Status != reset.StatusApplied {
			continue
		}
		if p.Skipped == nil {
			return 0, false
		}
		total += abs(*p.Skipped)
	}
	return total, true
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func topicsOf(req Request) []string {
	if req.Plan == nil {
		return req.Command.Topics
	}
	var out []string
	seen := map[string]bool{}
	for _, p := range req.Plan.Partitions {
		if !seen[p.Topic] {
			seen[p.Topic] = true
			out = append(out, p.Topic)
		}
	}
	return out
}

// matchAny: an empty list matches nothing except when the list is absent for principals of a
// non-chat trigger (checked by the caller); "*" matches anything.
func matchAny(globs []string, s string) bool {
	for _, g := range globs {
		if g == "*" {
			return true
		}
		if ok, _ := path.Match(g, s); ok {
			return true
		}
	}
	return false
}
