package chat

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"offsetreset/shared/reset"
)

// Thousands writes n with comma thousands separators (1,234,567), so that a person reads a
// message count at a glance.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Ago says how far t is from now in the unit a person uses: "just now", "45 s ago", "15 min ago",
// "2 h ago", "3 d ago", or "in 5 min" for a time ahead.
func Ago(t, now time.Time) string {
	d := now.Sub(t)
	suffix, prefix := " ago", ""
	if d < 0 {
		d, suffix, prefix = -d, "", "in "
	}
	var n int64
	var unit string
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		n, unit = int64(d/time.Second), "s"
	case d < time.Hour:
		n, unit = int64(d/time.Minute), "min"
	case d < 48*time.Hour:
		n, unit = int64(d/time.Hour), "h"
	default:
		n, unit = int64(d/(24*time.Hour)), "d"
	}
	return fmt.Sprintf("%s%d %s%s", prefix, n, unit, suffix)
}

// When writes the resolved instant of a time: or ago: result as RFC 3339 in the zone the command
// used (time: with a zone; UTC for ago:, Unix milliseconds and everything else), followed by how
// long ago it is: "2026-05-01T02:00:00+08:00, 2 h ago". "" when the result has no instant.
func When(res *reset.Result, now time.Time) string {
	if res == nil || res.At == nil {
		return ""
	}
	at := time.UnixMilli(*res.At).UTC()
	if to, err := reset.ParseTo(res.To); err == nil && to.Form == reset.FormTime {
		at = at.In(to.At.Location())
	}
	return at.Format(time.RFC3339) + ", " + Ago(at, now)
}

// target is the to of a result as a person reads it: the grammar's words, and for a point in
// time the instant and its distance ("ago:2h (2026-05-01T08:00:00Z, 2 h ago)").
func target(res *reset.Result, now time.Time) string {
	if w := When(res, now); w != "" {
		return res.To + " (" + w + ")"
	}
	return res.To
}

// count writes "1 partition" / "1,234 partitions", or "an unknown number of …".
func count(n *int64, what string) string {
	if n == nil {
		return "an unknown number of " + what + "s"
	}
	if *n == 1 {
		return "1 " + what
	}
	return Thousands(*n) + " " + what + "s"
}

// skips writes how many messages a reset skips or re-reads.
func skips(n *int64) string {
	switch {
	case n == nil:
		return "skipping an unknown number of messages"
	case *n < 0:
		back := -*n
		return "re-reading " + count(&back, "message")
	}
	return "skipping " + count(n, "message")
}

func int64p(n int) *int64 { v := int64(n); return &v }

// sum adds the values, nil when any is unknown.
func sum(vals ...*int64) *int64 {
	var s int64
	for _, v := range vals {
		if v == nil {
			return nil
		}
		s += *v
	}
	return &s
}

// opt writes an offset as it is (offsets are copied into commands, so no separators).
func opt(v *int64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatInt(*v, 10)
}

// size writes a message count with separators, "-" when unknown.
func size(v *int64) string {
	if v == nil {
		return "-"
	}
	return Thousands(*v)
}

func part(p int32) string {
	if p < 0 {
		return "all"
	}
	return strconv.Itoa(int(p))
}

func itoa(n int) string { return strconv.Itoa(n) }

// mention is how a principal is named in a message: Slack users as a mention (<@U…>), anyone
// else by the principal itself.
func mention(principal string, slackClient bool) string {
	if id, ok := strings.CutPrefix(principal, "slack:"); ok && slackClient {
		return "<@" + id + ">"
	}
	return principal
}
