// Package chat is the text grammar of the chat triggers (Slack slash command, DingTalk robot)
// and the rendering of their replies:
//
//	plan    <target> <group> [topic[:p,p]] <to>   dry run: the per-partition table and a confirm token
//	plan    <target> <glob> [topic[:p,p]] <to>    every matching group (analytics-*): a summary per group, one token
//	plan    <target> <group> topic:p=offset,…      explicit offsets (the form of an undo)
//	apply   <target> <group> [topic[:p,p]] <to>   the same as plan: a person always sees a plan first
//	confirm <token>                               apply exactly the planned offsets
//	status  <target> <group>                      the per-partition lag table
//	help
//
// The to forms are the command's own (latest, earliest, offset:N, shift:±N, time:T, ago:D,
// group:NAME, current).
package chat

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"offsetreset/shared/reset"
)

// Verbs of the grammar.
const (
	VerbPlan    = "plan"
	VerbApply   = "apply"
	VerbConfirm = "confirm"
	VerbStatus  = "status"
	VerbHelp    = "help"
)

// Request is one parsed chat command.
type Request struct {
	Verb    string
	Command reset.Command // plan, apply (DryRun is left false; the service decides)
	Token   string        // confirm
	Target  string        // status
	Group   string        // status
}

// MaxText bounds the command text.
const MaxText = 8 << 10

// Usage is the grammar, shown for help and after a mistake. prefix is how the client starts a
// command ("/offsets " in Slack, "" for a DingTalk robot).
func Usage(prefix string) string {
	return fmt.Sprintf("%[1]splan <target> <group> [topic[:p,p]] <to> — show what would move\n"+
		"%[1]splan <target> <glob> [topic] <to> — every matching group (analytics-*), one summary line each\n"+
		"%[1]sapply <target> <group> [topic[:p,p]] <to> — the same: a plan first, then confirm\n"+
		"%[1]splan <target> <group> topic:p=offset,… — explicit offsets (how an undo is written)\n"+
		"%[1]sconfirm <token> — apply a plan\n"+
		"%[1]sstatus <target> <group> — lag per partition\n"+
		"to: latest | earliest | offset:N | shift:+N | shift:-N | time:2026-05-01T02:00:00+08:00 | ago:15m | group:NAME (copy another group)", prefix)
}

// Parse reads a command text. Leading "/offsets" and @mentions (DingTalk) are skipped; errors are
// sentences that say what to write.
func Parse(text string) (Request, error) {
	if len(text) > MaxText {
		return Request{}, fmt.Errorf("the command is %d bytes long; keep it under %d", len(text), MaxText)
	}
	words := strings.Fields(text)
	for len(words) > 0 && (strings.HasPrefix(words[0], "@") || words[0] == "/offsets") {
		words = words[1:]
	}
	if len(words) == 0 {
		return Request{Verb: VerbHelp}, nil
	}
	verb := strings.ToLower(words[0])
	args := words[1:]
	switch verb {
	case VerbHelp:
		return Request{Verb: VerbHelp}, nil
	case VerbConfirm:
		if len(args) != 1 {
			return Request{}, fmt.Errorf("confirm takes exactly one token: confirm <token> (copy it from the plan)")
		}
		return Request{Verb: VerbConfirm, Token: args[0]}, nil
	case VerbStatus:
		if len(args) != 2 {
			return Request{}, fmt.Errorf("status takes a target and a group: status <target> <group>")
		}
		return Request{Verb: VerbStatus, Target: args[0], Group: args[1]}, nil
	case VerbPlan, VerbApply:
		if len(args) != 3 && len(args) != 4 {
			return Request{}, fmt.Errorf("%s takes a target, a group, an optional topic[:partitions] and a to: %s <target> <group> [topic[:p,p]] <to>", verb, verb)
		}
		cmd := reset.Command{Target: args[0], Group: args[1], To: args[len(args)-1]}
		if IsGlob(cmd.Group) {
			if _, err := path.Match(cmd.Group, ""); err != nil {
				return Request{}, fmt.Errorf("the group pattern %q is not a valid glob (%v); use * ? and [a-z], such as analytics-*", trunc(cmd.Group, 60), err)
			}
			cmd.Group, cmd.Groups = "", []string{cmd.Group}
		}
		if strings.Contains(cmd.To, "=") {
			if len(args) != 3 {
				return Request{}, fmt.Errorf("explicit offsets name their own topics: %s <target> <group> topic:partition=offset,…", verb)
			}
			offs, err := ParseOffsets(cmd.To)
			if err != nil {
				return Request{}, err
			}
			cmd.To, cmd.Offsets = "", offs
			return Request{Verb: verb, Command: cmd}, nil
		}
		if len(args) == 4 {
			topic, parts, err := ParseTopic(args[2])
			if err != nil {
				return Request{}, err
			}
			cmd.Topics = []string{topic}
			cmd.Partitions = parts
		}
		if _, err := reset.ParseTo(cmd.To); err != nil {
			return Request{}, err
		}
		return Request{Verb: verb, Command: cmd}, nil
	}
	return Request{}, fmt.Errorf("unknown command %q; use plan, apply, confirm, status or help", trunc(verb, 40))
}

// ParseTopic reads topic or topic:p,p,….
func ParseTopic(s string) (string, []int32, error) {
	topic, list, hasParts := strings.Cut(s, ":")
	if topic == "" {
		return "", nil, fmt.Errorf("%q has no topic name; write topic or topic:0,2", trunc(s, 60))
	}
	if !hasParts {
		return topic, nil, nil
	}
	var parts []int32
	for _, p := range strings.Split(list, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 32)
		if err != nil || n < 0 {
			return "", nil, fmt.Errorf("%q: partitions are numbers separated by commas, such as %s:0,2", trunc(s, 60), topic)
		}
		parts = append(parts, int32(n))
	}
	return topic, parts, nil
}

// ParseOffsets reads an explicit offsets list: topic:partition=offset separated by commas
// (orders:0=120,orders:1=95), the chat form of the JSON offsets field and of an undo.
func ParseOffsets(s string) ([]reset.PartitionOffset, error) {
	var out []reset.PartitionOffset
	for _, item := range strings.Split(s, ",") {
		tp, off, ok := strings.Cut(strings.TrimSpace(item), "=")
		i := strings.LastIndexByte(tp, ':')
		if !ok || i <= 0 {
			return nil, fmt.Errorf("%q is not topic:partition=offset; write explicit offsets like orders:0=120,orders:1=95", trunc(item, 60))
		}
		p, err1 := strconv.ParseInt(tp[i+1:], 10, 32)
		o, err2 := strconv.ParseInt(off, 10, 64)
		if err1 != nil || err2 != nil || p < 0 || o < 0 {
			return nil, fmt.Errorf("%q: partition and offset are whole numbers ≥ 0, such as orders:0=120", trunc(item, 60))
		}
		out = append(out, reset.PartitionOffset{Topic: tp[:i], Partition: int32(p), Offset: o})
	}
	return out, nil
}

// Format writes a command back in the grammar (for undo), with the given verb and prefix.
func Format(prefix, verb string, c reset.Command) string {
	group := c.Group
	if len(c.Groups) > 0 {
		group = strings.Join(c.Groups, ",")
	}
	words := []string{verb, c.Target, group}
	if len(c.Offsets) > 0 {
		items := make([]string, len(c.Offsets))
		for i, o := range c.Offsets {
			items[i] = fmt.Sprintf("%s:%d=%d", o.Topic, o.Partition, o.Offset)
		}
		return prefix + strings.Join(append(words, strings.Join(items, ",")), " ")
	}
	if len(c.Topics) == 1 {
		t := c.Topics[0]
		if len(c.Partitions) > 0 {
			ps := make([]string, len(c.Partitions))
			for i, p := range c.Partitions {
				ps[i] = strconv.Itoa(int(p))
			}
			t += ":" + strings.Join(ps, ",")
		}
		words = append(words, t)
	}
	words = append(words, c.To)
	return prefix + strings.Join(words, " ")
}

// IsGlob reports whether a group word is a pattern (path.Match's * ? [ ]) rather than a name.
func IsGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
