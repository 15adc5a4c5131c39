package reset

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Form is the kind of a `to` target: latest, earliest, offset, shift, time or ago.
type Form string

// The forms of the `to` grammar (SPEC §3).
const (
	FormLatest   Form = "latest"
	FormEarliest Form = "earliest"
	FormOffset   Form = "offset"
	FormShift    Form = "shift"
	FormTime     Form = "time"
	FormAgo      Form = "ago"
	// FormGroup: group:NAME, the committed offsets of another group (rpk --to-group).
	FormGroup Form = "group"
	// FormCurrent: no move; a dry run of it exports the committed offsets.
	FormCurrent Form = "current"
)

// AllForms lists every form in the order the grammar documents them.
var AllForms = []Form{FormLatest, FormEarliest, FormOffset, FormShift, FormTime, FormAgo, FormGroup, FormCurrent}

// To is a parsed `to` target. Only the fields of its Form are meaningful.
type To struct {
	Form Form
	// N is the absolute offset (offset:N) or the signed distance (shift:±N).
	N int64
	// At is the instant of time:T.
	At time.Time
	// Ago is the duration of ago:D.
	Ago time.Duration
	// Explicit: the command lists its offsets (Command.Offsets) instead of a to; Form is offset.
	Explicit bool
	// Group is the source group of group:NAME.
	Group string
	raw   string
}

// String gives the target back in the grammar's own words.
func (t To) String() string {
	if t.raw != "" {
		return t.raw
	}
	switch t.Form {
	case FormOffset:
		return fmt.Sprintf("offset:%d", t.N)
	case FormShift:
		return fmt.Sprintf("shift:%+d", t.N)
	case FormTime:
		return "time:" + t.At.Format(time.RFC3339Nano)
	case FormAgo:
		return "ago:" + t.Ago.String()
	}
	return string(t.Form)
}

// IsTime reports whether the target is a point in time (time: or ago:).
func (t To) IsTime() bool { return t.Form == FormTime || t.Form == FormAgo }

// Millis is the target instant in Unix milliseconds for time: and ago: targets,
// with ago: measured back from now.
func (t To) Millis(now time.Time) int64 {
	if t.Form == FormAgo {
		return now.Add(-t.Ago).UnixMilli()
	}
	return t.At.UnixMilli()
}

// maxAgo bounds ago: so that a typo like ago:100000d is caught instead of meaning "the epoch".
const maxAgo = 3650 * 24 * time.Hour

// ParseTo parses the `to` grammar of SPEC §3. Errors are sentences that say what to write instead.
func ParseTo(s string) (To, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return To{}, fmt.Errorf("to is empty; use latest, earliest, offset:N, shift:+N, shift:-N, time:<RFC 3339 with zone or Unix ms>, ago:<duration such as 15m, 2h or 1d>, group:NAME or current")
	}
	switch strings.ToLower(s) {
	case "latest":
		return To{Form: FormLatest, raw: "latest"}, nil
	case "earliest":
		return To{Form: FormEarliest, raw: "earliest"}, nil
	case "current":
		return To{Form: FormCurrent, raw: "current"}, nil
	}
	kind, arg, ok := strings.Cut(s, ":")
	if !ok {
		return To{}, fmt.Errorf("to %q is not a target; use latest, earliest, offset:N, shift:+N, shift:-N, time:T, ago:D, group:NAME or current", s)
	}
	kind = strings.ToLower(strings.TrimSpace(kind))
	arg = strings.TrimSpace(arg)
	switch Form(kind) {
	case FormOffset:
		n, err := strconv.ParseInt(arg, 10, 64)
		if err != nil {
			return To{}, fmt.Errorf("to %q: the offset must be a whole number such as offset:1200", s)
		}
		if n < 0 {
			return To{}, fmt.Errorf("to %q: offsets are never negative; use earliest for the start of the log or shift:-N to move back", s)
		}
		return To{Form: FormOffset, N: n, raw: "offset:" + strconv.FormatInt(n, 10)}, nil
	case FormShift:
		if arg == "" || (arg[0] != '+' && arg[0] != '-') {
			return To{}, fmt.Errorf("to %q: a shift needs a sign, such as shift:+500 (skip ahead) or shift:-500 (re-read)", s)
		}
		n, err := strconv.ParseInt(arg, 10, 64)
		if err != nil {
			return To{}, fmt.Errorf("to %q: the shift must be a signed whole number such as shift:-500", s)
		}
		return To{Form: FormShift, N: n, raw: fmt.Sprintf("shift:%+d", n)}, nil
	case FormTime:
		at, err := ParseTime(arg)
		if err != nil {
			return To{}, fmt.Errorf("to %q: %v", s, err)
		}
		return To{Form: FormTime, At: at, raw: "time:" + arg}, nil
	case FormAgo:
		d, err := ParseDuration(arg)
		if err != nil {
			return To{}, fmt.Errorf("to %q: %v", s, err)
		}
		return To{Form: FormAgo, Ago: d, raw: "ago:" + arg}, nil
	case FormGroup:
		if arg == "" {
			return To{}, fmt.Errorf("to %q: name the group to copy from, such as group:billing", s)
		}
		if err := checkName("group", arg); err != nil {
			return To{}, fmt.Errorf("to %q: %v", s, err)
		}
		return To{Form: FormGroup, Group: arg, raw: "group:" + arg}, nil
	}
	return To{}, fmt.Errorf("to %q: unknown form %q; use latest, earliest, offset:N, shift:±N, time:T, ago:D, group:NAME or current", s, kind)
}

// ParseTime reads an RFC 3339 time that carries a zone, or Unix milliseconds. A time without a
// zone is refused: reading it as UTC or as local time silently moves the target by hours.
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("the time is empty; write it as RFC 3339 with a zone (2026-05-01T02:00:00+08:00) or as Unix milliseconds")
	}
	if isDigits(s) {
		if len(s) < 12 || len(s) > 14 {
			return time.Time{}, fmt.Errorf("%q does not look like Unix milliseconds (expected 12 to 14 digits, e.g. 1777572000000); seconds are not accepted", s)
		}
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not a valid Unix millisecond time", s)
		}
		return time.UnixMilli(ms).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err == nil {
		if t.UnixMilli() < 0 {
			// Kafka's ListOffsets reads -1, -2 and -3 as latest, earliest and max-timestamp.
			return time.Time{}, fmt.Errorf("the time %q is before 1970-01-01T00:00:00Z, older than any message can be; use earliest for the start of the log", s)
		}
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if _, e := time.Parse(layout, s); e == nil {
			return time.Time{}, fmt.Errorf("the time %q has no zone; add one, e.g. %sZ for UTC or %s+08:00 for China Standard Time", s, zoneExample(s), zoneExample(s))
		}
	}
	return time.Time{}, fmt.Errorf("the time %q is not RFC 3339 with a zone (2026-05-01T02:00:00+08:00) nor Unix milliseconds", s)
}

func zoneExample(s string) string {
	s = strings.Replace(s, " ", "T", 1)
	switch len(s) {
	case len("2006-01-02"):
		return s + "T00:00:00"
	case len("2006-01-02T15:04"):
		return s + ":00"
	}
	return s
}

// ParseDuration reads a Go duration, with `d` allowed for days (1d, 1d12h). It must be positive.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("the duration is empty; write it like 90s, 15m, 2h or 1d")
	}
	rest := s
	var total time.Duration
	if i := strings.IndexByte(rest, 'd'); i >= 0 {
		days, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil || days < 0 || days > int64(maxAgo/(24*time.Hour)) {
			return 0, fmt.Errorf("the duration %q is not valid; write it like 90s, 15m, 2h, 1d or 1d12h", s)
		}
		total = time.Duration(days) * 24 * time.Hour
		rest = rest[i+1:]
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("the duration %q is not valid; write it like 90s, 15m, 2h, 1d or 1d12h", s)
		}
		total += d
	}
	if total <= 0 {
		return 0, fmt.Errorf("the duration %q must be greater than zero", s)
	}
	if total > maxAgo {
		return 0, fmt.Errorf("the duration %q is more than ten years; use time:T for an absolute point", s)
	}
	return total, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
