package chat

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"offsetreset/shared/internal/hostile"
	"offsetreset/shared/reset"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]Request{
		"plan prod billing latest":                                          {Verb: VerbPlan, Command: reset.Command{Target: "prod", Group: "billing", To: "latest"}},
		"  PLAN prod billing orders:0,2 shift:-500":                         {Verb: VerbPlan, Command: reset.Command{Target: "prod", Group: "billing", Topics: []string{"orders"}, Partitions: []int32{0, 2}, To: "shift:-500"}},
		"/offsets apply prod billing orders time:2026-05-01T02:00:00+08:00": {Verb: VerbApply, Command: reset.Command{Target: "prod", Group: "billing", Topics: []string{"orders"}, To: "time:2026-05-01T02:00:00+08:00"}},
		"@offsetbot plan demo analytics-web clickstream ago:1d":             {Verb: VerbPlan, Command: reset.Command{Target: "demo", Group: "analytics-web", Topics: []string{"clickstream"}, To: "ago:1d"}},
		"confirm abc.def":     {Verb: VerbConfirm, Token: "abc.def"},
		"status demo billing": {Verb: VerbStatus, Target: "demo", Group: "billing"},
		"help":                {Verb: VerbHelp},
		"":                    {Verb: VerbHelp},
		"@bot":                {Verb: VerbHelp},
	} {
		got, err := Parse(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Parse(%q) = %+v, %v\nwant %+v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"plan prod billing":                          "plan takes a target, a group, an optional topic[:partitions] and a to: plan <target> <group> [topic[:p,p]] <to>",
		"apply a b c d e":                            "apply takes a target, a group, an optional topic[:partitions] and a to: apply <target> <group> [topic[:p,p]] <to>",
		"plan prod billing orders:x latest":          `"orders:x": partitions are numbers separated by commas, such as orders:0,2`,
		"plan prod billing orders:-1 latest":         `"orders:-1": partitions are numbers separated by commas, such as orders:0,2`,
		"plan prod billing :1 latest":                `":1" has no topic name; write topic or topic:0,2`,
		"plan prod billing 2026-05-01":               `to "2026-05-01" is not a target; use latest, earliest, offset:N, shift:+N, shift:-N, time:T, ago:D, group:NAME or current`,
		"plan prod billing time:2026-05-01T02:00:00": `to "time:2026-05-01T02:00:00": the time "2026-05-01T02:00:00" has no zone; add one, e.g. 2026-05-01T02:00:00Z for UTC or 2026-05-01T02:00:00+08:00 for China Standard Time`,
		"confirm":                      "confirm takes exactly one token: confirm <token> (copy it from the plan)",
		"status demo":                  "status takes a target and a group: status <target> <group>",
		"reset demo billing latest":    `unknown command "reset"; use plan, apply, confirm, status or help`,
		strings.Repeat("x", MaxText+1): "the command is 8193 bytes long; keep it under 8192",
	} {
		if _, err := Parse(in); err == nil || err.Error() != want {
			t.Errorf("Parse(%.40q) = %v\nwant %s", in, err, want)
		}
	}
}

func TestFormatRoundTrip(t *testing.T) {
	c := reset.Command{Target: "demo", Group: "billing", Topics: []string{"orders"}, Partitions: []int32{0, 3}, To: "offset:20"}
	s := Format(SlackPrefix, VerbApply, c)
	if s != "/offsets apply demo billing orders:0,3 offset:20" {
		t.Fatal(s)
	}
	r, err := Parse(s)
	if err != nil || !reflect.DeepEqual(r.Command, c) {
		t.Fatalf("%+v %v", r, err)
	}
}

func i64(v int64) *int64 { return &v }

func planResult(n int) *reset.Result {
	res := &reset.Result{Status: reset.StatusPlanned, Target: "demo", Provider: "kafka", Group: "billing", To: "latest", DryRun: true}
	var sum int64
	for p := 0; p < n; p++ {
		before := int64(20 + p)
		res.Partitions = append(res.Partitions, reset.PartitionResult{Topic: "orders", Partition: int32(p), Before: i64(before), After: i64(120),
			LogStart: i64(0), LogEnd: i64(120), Skipped: i64(120 - before), Lag: i64(120 - before), Status: reset.StatusPlanned})
		sum += 120 - before
	}
	res.Skipped = &sum
	return res
}

func TestReplies(t *testing.T) {
	plan := Reply{Kind: KindPlan, Result: planResult(2), Token: "tok.sig", Apply: true}
	if h := plan.Headline(); h != "Plan for group billing on demo to latest: 2 partitions, skipping 199 messages. Nothing has changed yet." {
		t.Fatal(h)
	}
	wantTable := "TOPIC   PART  BEFORE  AFTER  SKIP  STATUS\n" +
		"orders  0     20      120    100   planned\n" +
		"orders  1     21      120    99    planned"
	if tb := plan.Table(); tb != wantTable {
		t.Fatalf("table:\n%s\nwant:\n%s", tb, wantTable)
	}
	if next := plan.Next(SlackPrefix); !reflect.DeepEqual(next, []string{
		"apply shows the plan first; nothing changes until you confirm it.",
		"To apply exactly this plan within 10 minutes, send:", "/offsets confirm tok.sig"}) {
		t.Fatalf("%q", next)
	}
	msg := plan.Slack()
	b, _ := json.Marshal(msg)
	if msg.ResponseType != "ephemeral" || !strings.Contains(string(b), "```\\nTOPIC   PART") || !strings.Contains(string(b), "`/offsets confirm tok.sig`") {
		t.Fatalf("%s", b)
	}
	dt := plan.DingTalk()
	if dt.MsgType != "markdown" || !strings.Contains(dt.Markdown.Text, "- orders/0: 20 → 120 (skip 100) planned\n") || !strings.Contains(dt.Markdown.Text, "\nconfirm tok.sig\n") {
		t.Fatalf("%+v", dt)
	}

	applied := planResult(3)
	applied.Status, applied.DryRun = reset.StatusApplied, false
	for i := range applied.Partitions {
		applied.Partitions[i].Status = reset.StatusApplied
	}
	applied.Undo = &reset.Command{Target: "demo", Group: "billing", Offsets: []reset.PartitionOffset{{Topic: "orders", Partition: 0, Offset: 20}, {Topic: "orders", Partition: 1, Offset: 21}}}
	ar := Reply{Kind: KindApplied, Result: applied}
	if h := ar.Headline(); h != "Applied: group billing on demo to latest: 3 partitions, skipping 297 messages." {
		t.Fatal(h)
	}
	if next := ar.Next(DingTalkPrefix); !reflect.DeepEqual(next, []string{"To undo, send (it plans the undo and asks for a confirm):", "apply demo billing orders:0=20,orders:1=21"}) {
		t.Fatalf("%q", next)
	}
	if ar.Slack().ResponseType != "in_channel" {
		t.Fatal("applied resets are posted in the channel")
	}
}

func TestTruncation(t *testing.T) {
	r := Reply{Kind: KindPlan, Result: planResult(45), Token: "t"}
	tb := r.Table()
	lines := strings.Split(tb, "\n")
	if len(lines) != 1+MaxRows+1 || lines[len(lines)-1] != "… and 25 more partitions (45 in all; the JSON API shows every row)" {
		t.Fatalf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
	if !strings.Contains(r.DingTalk().Markdown.Text, "- … and 25 more partitions (45 in all)\n") {
		t.Fatal(r.DingTalk().Markdown.Text)
	}
	// A reply too long for a Slack section falls back to plain text.
	long := Reply{Kind: KindPlan, Result: planResult(2), Token: strings.Repeat("x", 3100)}
	msg := long.Slack()
	if msg.Blocks != nil || !strings.Contains(msg.Text, "/offsets confirm "+strings.Repeat("x", 3100)) {
		t.Fatalf("%d blocks", len(msg.Blocks))
	}
}

func TestStatusAndErrors(t *testing.T) {
	st := planResult(2)
	st.Partitions[1].Lag = i64(0)
	r := Reply{Kind: KindStatus, Result: st}
	if h := r.Headline(); h != "Lag of group billing on demo: 100 messages across 2 partitions" {
		t.Fatal(h)
	}
	if tb := r.Table(); tb != "TOPIC   PART  COMMITTED  END  LAG\norders  0     20         120  100\norders  1     21         120  0" {
		t.Fatalf("%q", tb)
	}
	e := Reply{Kind: KindError, Result: &reset.Result{Status: reset.StatusRefused, Error: "group billing has 1 active member(s)"}, Message: "group billing has 1 active member(s)"}
	if h := e.Headline(); h != "refused: group billing has 1 active member(s)" {
		t.Fatal(h)
	}
	esc := Reply{Kind: KindError, Message: "group <b&c>"}
	if b, _ := json.Marshal(esc.Slack()); !strings.Contains(string(b), "group \\u0026lt;b\\u0026amp;c\\u0026gt;") {
		t.Fatalf("%s", b)
	}
	help := Reply{Kind: KindHelp}
	if !strings.Contains(help.DingTalk().Markdown.Text, "status <target> <group> — lag per partition") {
		t.Fatal(help.DingTalk().Markdown.Text)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"plan demo billing orders latest", "plan demo analytics-web clickstream:0,1 latest", "confirm x.y", "status demo billing", "apply a b c:1,2 shift:+5"} {
		f.Add(s)
	}
	for _, s := range hostile.Chat {
		f.Add(string(s.Build(MaxText)))
		f.Add(string(s.Build(MaxText + 64)))
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			return
		}
		if r.Verb == VerbPlan || r.Verb == VerbApply {
			again, err := Parse(Format("", r.Verb, r.Command))
			if err != nil || !reflect.DeepEqual(again.Command, r.Command) {
				t.Fatalf("%q → %+v does not format back (%v)", s, r.Command, err)
			}
			_ = Reply{Kind: KindPlan, Result: &reset.Result{Group: r.Command.Group, Target: r.Command.Target}}.Slack()
		}
		_ = fmt.Sprint(r)
	})
}
