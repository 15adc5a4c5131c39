package chat

import (
	"fmt"
	"strings"
	"time"

	"offsetreset/shared/reset"
)

// Reply kinds.
const (
	KindPlan    = "plan"
	KindApplied = "applied"
	KindStatus  = "status"
	KindError   = "error"
	KindHelp    = "help"
	// KindWorking is the answer given at once when the work may outlast the chat platform's
	// reply window; the result follows (Slack response_url, DingTalk sessionWebhook).
	KindWorking = "working"
	// KindCancelled replaces a plan whose Cancel button was pressed.
	KindCancelled = "cancelled"
)

// Reply is what the service answers a chat command, before it is rendered for a client.
type Reply struct {
	Kind   string
	Result *reset.Result
	// Results are the per-group results of a command with a glob in the group position (plan,
	// applied); Result is then nil.
	Results []*reset.Result
	// Token is the confirm token of a plan ("" when the plan cannot be confirmed); one token
	// covers every group of a groups plan.
	Token string
	// Apply is true when the person asked to apply: they get the plan first and are told so.
	Apply bool
	// Message is the sentence of an error, working or cancelled reply.
	Message string
	// Now is the clock for "2 h ago"; zero = time.Now.
	Now time.Time
	// By is the principal who pressed a button, named on the message it updated.
	By string
}

// MaxRows is how many partition (or group) rows a chat table shows; the rest are counted.
const MaxRows = 20

func (r Reply) all() []*reset.Result {
	if len(r.Results) > 0 {
		return r.Results
	}
	if r.Result != nil {
		return []*reset.Result{r.Result}
	}
	return nil
}

func (r Reply) now() time.Time {
	if r.Now.IsZero() {
		return time.Now()
	}
	return r.Now
}

// Headline is the one-line summary of a reply.
func (r Reply) Headline() string { return r.headline(false) }

// headline words the summary; slack names people as Slack mentions.
func (r Reply) headline(slack bool) string {
	res := r.Result
	switch r.Kind {
	case KindHelp:
		return "offsetreset commands"
	case KindWorking:
		return r.Message + r.by(slack)
	case KindCancelled:
		line := "Cancelled: nothing was applied."
		if r.By != "" {
			line = "Cancelled by " + mention(r.By, slack) + ": nothing was applied."
		}
		return strings.TrimSpace(line + " " + r.Message)
	case KindError:
		if res != nil && res.Status != "" {
			return fmt.Sprintf("%s: %s", res.Status, r.Message)
		}
		return r.Message
	case KindStatus:
		return fmt.Sprintf("Lag of group %s on %s: %s across %s", res.Group, res.Target, count(sumLag(res), "message"), count(int64p(len(res.Partitions)), "partition"))
	case KindPlan:
		if len(r.Results) > 0 {
			return r.groupsPlanHeadline()
		}
		switch {
		case res.To == string(reset.FormCurrent):
			return fmt.Sprintf("Committed offsets of group %s on %s: %s behind across %s; nothing moves.", res.Group, res.Target, count(sumLag(res), "message"), count(int64p(len(res.Partitions)), "partition"))
		case moving(res) == 0:
			return fmt.Sprintf("Nothing to do: group %s on %s is already at %s.", res.Group, res.Target, target(res, r.now()))
		}
		return fmt.Sprintf("Plan for group %s on %s to %s: %s, %s. Nothing has changed yet.", res.Group, res.Target, target(res, r.now()), count(int64p(moving(res)), "partition"), skips(res.Skipped))
	case KindApplied:
		if len(r.Results) > 0 {
			return r.groupsAppliedHeadline(slack)
		}
		if moving(res) == 0 && res.Status == reset.StatusApplied {
			return fmt.Sprintf("Nothing changed: group %s on %s was already at %s.", res.Group, res.Target, target(res, r.now())) + r.by(slack)
		}
		return fmt.Sprintf("%s: group %s on %s to %s: %s, %s.", capital(string(res.Status)), res.Group, res.Target, target(res, r.now()), count(int64p(moving(res)), "partition"), skips(res.Skipped)) + r.by(slack)
	}
	return r.Message
}

// by names who pressed the button, when someone did.
func (r Reply) by(slack bool) string {
	if r.By == "" {
		return ""
	}
	return " (by " + mention(r.By, slack) + ")"
}

func (r Reply) groupsPlanHeadline() string {
	first := r.Results[0]
	movers, parts, skipped, idle := 0, 0, []*int64{}, []string{}
	for _, res := range r.Results {
		if res.Status != reset.StatusPlanned {
			continue
		}
		if n := moving(res); n > 0 {
			movers++
			parts += n
			skipped = append(skipped, res.Skipped)
		} else {
			idle = append(idle, res.Group)
		}
	}
	if movers == 0 && len(idle) == len(r.Results) {
		return fmt.Sprintf("Nothing to do: groups %s on %s are already at %s.", reset.GroupNames(idle, 5), first.Target, target(first, r.now()))
	}
	if movers == 0 {
		return fmt.Sprintf("No plan for the %d groups on %s to %s: none of them can move (see the table).", len(r.Results), first.Target, first.To)
	}
	return fmt.Sprintf("Plan for %d groups on %s to %s: %s in %s, %s. Nothing has changed yet.", len(r.Results), first.Target, target(first, r.now()),
		count(int64p(parts), "partition"), count(int64p(movers), "group"), skips(sum(skipped...)))
}

func (r Reply) groupsAppliedHeadline(slack bool) string {
	first := r.Results[0]
	applied, parts, skipped := 0, 0, []*int64{}
	for _, res := range r.Results {
		if res.Status == reset.StatusApplied || res.Status == reset.StatusPartial {
			applied++
			parts += moving(res)
			skipped = append(skipped, res.Skipped)
		}
	}
	line := fmt.Sprintf("Applied to %d of %d groups on %s to %s: %s, %s.", applied, len(r.Results), first.Target, target(first, r.now()), count(int64p(parts), "partition"), skips(sum(skipped...)))
	if rest := len(r.Results) - applied; rest > 0 {
		line += fmt.Sprintf(" %s not (see the table).", count(int64p(rest), "group"))
	}
	return line + r.by(slack)
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func moving(res *reset.Result) int {
	n := 0
	for _, p := range res.Partitions {
		if p.Status == reset.StatusPlanned || p.Status == reset.StatusApplied {
			n++
		}
	}
	return n
}

func sumLag(res *reset.Result) *int64 {
	lags := make([]*int64, len(res.Partitions))
	for i, p := range res.Partitions {
		lags[i] = p.Lag
	}
	return sum(lags...)
}

// nothingToDo reports whether the reply is a plan that moves nothing at all.
func (r Reply) nothingToDo() bool {
	if r.Kind != KindPlan {
		return false
	}
	for _, res := range r.all() {
		if res.Status != reset.StatusPlanned || moving(res) > 0 {
			return false
		}
	}
	return len(r.all()) > 0
}

// Table renders the rows as a fixed-width text table: at most MaxRows rows, then a count of the
// rest. Status replies show the lag; plans and applies show before, after and skipped; a groups
// reply shows one row per group.
func (r Reply) Table() string {
	if r.Kind == KindHelp || r.Kind == KindWorking || r.Kind == KindCancelled {
		return ""
	}
	if len(r.Results) > 0 {
		return r.groupsTable()
	}
	res := r.Result
	if res == nil || len(res.Partitions) == 0 {
		return ""
	}
	var rows [][]string
	if r.Kind == KindStatus {
		rows = append(rows, []string{"TOPIC", "PART", "COMMITTED", "END", "LAG"})
	} else {
		rows = append(rows, []string{"TOPIC", "PART", "BEFORE", "AFTER", "SKIP", "STATUS"})
	}
	for i, p := range res.Partitions {
		if i == MaxRows {
			break
		}
		if r.Kind == KindStatus {
			rows = append(rows, []string{p.Topic, part(p.Partition), opt(p.Before), opt(p.LogEnd), size(p.Lag)})
			continue
		}
		st := string(p.Status)
		if p.Error != "" {
			st += ": " + trunc(p.Error, 80)
		}
		rows = append(rows, []string{p.Topic, part(p.Partition), opt(p.Before), opt(p.After), size(p.Skipped), st})
	}
	t := columns(rows)
	if n := len(res.Partitions) - MaxRows; n > 0 {
		t += fmt.Sprintf("\n… and %d more partitions (%d in all; the JSON API shows every row)", n, len(res.Partitions))
	}
	return t
}

// groupsTable is one row per group: how many partitions move, how many messages, and the
// group's status or reason.
func (r Reply) groupsTable() string {
	rows := [][]string{{"GROUP", "PARTS", "SKIP", "STATUS"}}
	for i, res := range r.Results {
		if i == MaxRows {
			break
		}
		rows = append(rows, []string{res.Group, itoa(moving(res)), size(res.Skipped), groupStatus(res)})
	}
	t := columns(rows)
	if n := len(r.Results) - MaxRows; n > 0 {
		t += fmt.Sprintf("\n… and %d more groups (%d in all)", n, len(r.Results))
	}
	return t
}

// groupStatus is a group's line in a groups table.
func groupStatus(res *reset.Result) string {
	switch {
	case res.Status.IsError():
		return string(res.Status) + ": " + trunc(res.Error, 80)
	case moving(res) == 0:
		return "nothing to do (already at " + res.To + ")"
	}
	return string(res.Status)
}

// columns aligns rows into columns two spaces apart; the last column is left ragged.
func columns(rows [][]string) string {
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			if i < len(row)-1 && len([]rune(c)) > width[i] {
				width[i] = len([]rune(c))
			}
		}
	}
	var b strings.Builder
	for _, row := range rows {
		for i, c := range row {
			if i == len(row)-1 {
				b.WriteString(c)
				continue
			}
			b.WriteString(c + strings.Repeat(" ", width[i]-len([]rune(c))+2))
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// Next is what the person can do now: the confirm command of a plan, or the undo of an apply,
// ready to paste. prefix starts a command in the client.
func (r Reply) Next(prefix string) []string { return r.next(prefix, false) }

// next words the next steps; buttons means the client shows Apply and Cancel buttons instead of
// the typed confirm.
func (r Reply) next(prefix string, buttons bool) []string {
	var out []string
	switch r.Kind {
	case KindPlan:
		if r.nothingToDo() {
			return nil
		}
		switch {
		case r.Apply && buttons:
			out = append(out, "apply shows the plan first; nothing changes until you press Apply.")
		case r.Apply:
			out = append(out, "apply shows the plan first; nothing changes until you confirm it.")
		}
		switch {
		case r.Token != "" && buttons:
			out = append(out, "Apply applies exactly this plan within 10 minutes; Cancel drops it.")
		case r.Token != "":
			out = append(out, "To apply exactly this plan within 10 minutes, send:", prefix+"confirm "+r.Token)
		default:
			out = append(out, "This plan cannot be confirmed from chat (see the notes).")
		}
	case KindApplied:
		var undos []*reset.Command
		for _, res := range r.all() {
			if res.Undo != nil {
				undos = append(undos, res.Undo)
			}
		}
		if len(undos) == 0 {
			break
		}
		lines := make([]string, 0, len(undos))
		for _, u := range undos {
			if line := Format(prefix, VerbApply, *u); len(line) <= MaxText {
				lines = append(lines, line)
			} else {
				lines = append(lines, fmt.Sprintf("(the undo of group %s, %d partitions, is too long for one chat line; it is in the audit log and the API result)", u.Group, len(u.Offsets)))
			}
		}
		if len(lines) == 1 {
			out = append(out, "To undo, send (it plans the undo and asks for a confirm):")
		} else {
			out = append(out, "To undo, send these (each plans its group's undo and asks for a confirm):")
		}
		out = append(out, lines...)
	case KindHelp:
		out = append(out, strings.Split(Usage(prefix), "\n")...)
	}
	return out
}

// Notes are the results' notes (each prefixed with its group in a groups reply), at most five;
// a plan that changes nothing does not repeat its "nothing to do" note under the headline.
func (r Reply) Notes() []string {
	var all []string
	many := len(r.Results) > 0
	for _, res := range r.all() {
		for _, n := range res.Notes {
			if r.nothingToDo() && strings.HasPrefix(n, "nothing to do:") {
				continue
			}
			if many {
				n = res.Group + ": " + n
			}
			all = append(all, n)
		}
	}
	var out []string
	for i, n := range all {
		if i == 5 {
			out = append(out, fmt.Sprintf("and %d more notes", len(all)-5))
			break
		}
		out = append(out, trunc(n, 500))
	}
	return out
}

// Plain is the whole reply as text, for clients and fallbacks without blocks.
func (r Reply) Plain(prefix string) string {
	parts := []string{r.Headline()}
	if t := r.Table(); t != "" {
		parts = append(parts, t)
	}
	parts = append(parts, r.Next(prefix)...)
	parts = append(parts, r.Notes()...)
	return strings.Join(parts, "\n")
}
