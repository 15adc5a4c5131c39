package chat

import (
	"fmt"
	"strconv"
	"strings"

	"offsetreset/shared/reset"
)

// Reply kinds.
const (
	KindPlan    = "plan"
	KindApplied = "applied"
	KindStatus  = "status"
	KindError   = "error"
	KindHelp    = "help"
)

// Reply is what the service answers a chat command, before it is rendered for a client.
type Reply struct {
	Kind   string
	Result *reset.Result
	// Token is the confirm token of a plan ("" when the plan cannot be confirmed).
	Token string
	// Apply is true when the person asked to apply: they get the plan first and are told so.
	Apply bool
	// Message is the sentence of an error or help reply.
	Message string
}

// MaxRows is how many partition rows a chat table shows; the rest are counted.
const MaxRows = 20

// Headline is the one-line summary of a reply.
func (r Reply) Headline() string {
	res := r.Result
	switch r.Kind {
	case KindHelp:
		return "offsetreset commands"
	case KindError:
		if res != nil && res.Status != "" {
			return fmt.Sprintf("%s: %s", res.Status, r.Message)
		}
		return r.Message
	case KindStatus:
		return fmt.Sprintf("Lag of group %s on %s: %s across %s", res.Group, res.Target, count(sumLag(res), "message"), count(int64p(len(res.Partitions)), "partition"))
	case KindPlan:
		return fmt.Sprintf("Plan for group %s on %s to %s: %s, %s. Nothing has changed yet.", res.Group, res.Target, res.To, count(int64p(moving(res)), "partition"), skips(res.Skipped))
	case KindApplied:
		return fmt.Sprintf("%s: group %s on %s to %s: %s, %s.", strings.ToUpper(string(res.Status[:1]))+string(res.Status[1:]), res.Group, res.Target, res.To, count(int64p(moving(res)), "partition"), skips(res.Skipped))
	}
	return r.Message
}

func int64p(n int) *int64 { v := int64(n); return &v }

func count(n *int64, what string) string {
	if n == nil {
		return "an unknown number of " + what + "s"
	}
	if *n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", *n, what)
}

func skips(n *int64) string {
	switch {
	case n == nil:
		return "skipping an unknown number of messages"
	case *n < 0:
		return fmt.Sprintf("re-reading %d messages", -*n)
	case *n == 1:
		return "skipping 1 message"
	}
	return fmt.Sprintf("skipping %d messages", *n)
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
	var sum int64
	for _, p := range res.Partitions {
		if p.Lag == nil {
			return nil
		}
		sum += *p.Lag
	}
	return &sum
}

func opt(v *int64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatInt(*v, 10)
}

func part(p int32) string {
	if p < 0 {
		return "all"
	}
	return strconv.Itoa(int(p))
}

// Table renders the rows as a fixed-width text table: at most MaxRows rows, then a count of the
// rest. Status replies show the lag; plans and applies show before, after and skipped.
func (r Reply) Table() string {
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
			rows = append(rows, []string{p.Topic, part(p.Partition), opt(p.Before), opt(p.LogEnd), opt(p.Lag)})
			continue
		}
		st := string(p.Status)
		if p.Error != "" {
			st += ": " + trunc(p.Error, 80)
		}
		rows = append(rows, []string{p.Topic, part(p.Partition), opt(p.Before), opt(p.After), opt(p.Skipped), st})
	}
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
	if n := len(res.Partitions) - MaxRows; n > 0 {
		fmt.Fprintf(&b, "… and %d more partitions (%d in all; the JSON API shows every row)\n", n, len(res.Partitions))
	}
	return strings.TrimRight(b.String(), "\n")
}

// Next is what the person can do now: the confirm command of a plan, or the undo of an apply,
// ready to paste. prefix starts a command in the client.
func (r Reply) Next(prefix string) []string {
	var out []string
	switch r.Kind {
	case KindPlan:
		if r.Apply {
			out = append(out, "apply shows the plan first; nothing changes until you confirm it.")
		}
		if r.Token != "" {
			out = append(out, "To apply exactly this plan within 10 minutes, send:", prefix+"confirm "+r.Token)
		} else {
			out = append(out, "This plan cannot be confirmed from chat (see the notes).")
		}
	case KindApplied:
		if u := r.Result.Undo; u != nil {
			if line := Format(prefix, VerbApply, *u); len(line) <= MaxText {
				out = append(out, "To undo, send (it plans the undo and asks for a confirm):", line)
			} else {
				out = append(out, fmt.Sprintf("The undo of %d partitions is too long for one chat line; it is in the audit log and the API result.", len(u.Offsets)))
			}
		}
	case KindHelp:
		out = append(out, strings.Split(Usage(prefix), "\n")...)
	}
	return out
}

// Notes are the result's notes and, for an error, its members (a refused Kafka reset).
func (r Reply) Notes() []string {
	if r.Result == nil {
		return nil
	}
	var out []string
	for i, n := range r.Result.Notes {
		if i == 5 {
			out = append(out, fmt.Sprintf("and %d more notes", len(r.Result.Notes)-5))
			break
		}
		out = append(out, trunc(n, 500))
	}
	return out
}
