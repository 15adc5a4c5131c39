package chat

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"offsetreset/shared/internal/hostile"
	"offsetreset/shared/reset"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]Request{
		"plan prod billing latest":                                          {Verb: VerbPlan, Command: reset.Command{Target: "prod", Group: "billing", To: "latest"}},
		"  PLAN prod billing orders:0,2 shift:-500":                         {Verb: VerbPlan, Command: reset.Command{Target: "prod", Group: "billing", Topics: []string{"orders"}, Partitions: []int32{0, 2}, To: "shift:-500"}},
		"/offsets apply prod billing orders time:2026-05-01T02:00:00+08:00": {Verb: VerbApply, Command: reset.Command{Target: "prod", Group: "billing", Topics: []string{"orders"}, To: "time:2026-05-01T02:00:00+08:00"}},
		"@offsetbot plan demo analytics-web clickstream ago:1d":             {Verb: VerbPlan, Command: reset.Command{Target: "demo", Group: "analytics-web", Topics: []string{"clickstream"}, To: "ago:1d"}},
		"plan demo analytics-* clickstream latest":                          {Verb: VerbPlan, Command: reset.Command{Target: "demo", Groups: []string{"analytics-*"}, Topics: []string{"clickstream"}, To: "latest"}},
		"apply demo billing-copy orders group:billing":                      {Verb: VerbApply, Command: reset.Command{Target: "demo", Group: "billing-copy", Topics: []string{"orders"}, To: "group:billing"}},
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
		"plan prod billing[ latest":                  `the group pattern "billing[" is not a valid glob (syntax error in pattern); use * ? and [a-z], such as analytics-*`,
		"confirm":                                    "confirm takes exactly one token: confirm <token> (copy it from the plan)",
		"status demo":                                "status takes a target and a group: status <target> <group>",
		"reset demo billing latest":                  `unknown command "reset"; use plan, apply, confirm, status or help`,
		strings.Repeat("x", MaxText+1):               "the command is 8193 bytes long; keep it under 8192",
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
	// Slack: the token rides in the Apply and Cancel buttons; no token to copy.
	msg := plan.Slack()
	b, _ := json.Marshal(msg)
	if msg.ResponseType != "ephemeral" || !strings.Contains(string(b), "```\\nTOPIC   PART") || strings.Contains(string(b), "/offsets confirm") ||
		!strings.Contains(string(b), `{"type":"actions","block_id":"offsetreset.plan","elements":[{"type":"button","text":{"type":"plain_text","text":"Apply"},"action_id":"offsetreset.apply","value":"tok.sig","style":"primary"},{"type":"button","text":{"type":"plain_text","text":"Cancel"},"action_id":"offsetreset.cancel","value":"tok.sig"}]}`) ||
		!strings.Contains(string(b), "nothing changes until you press Apply.") {
		t.Fatalf("%s", b)
	}
	var back SlackMessage
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, msg) {
		t.Fatalf("%v\n%+v\n%+v", err, back, msg)
	}
	// DingTalk: an ActionCard without buttons (its robots cannot receive presses): typed confirm.
	dt := plan.DingTalk()
	if dt.MsgType != "actionCard" || dt.ActionCard.Title != "offsetreset: billing" || !strings.Contains(dt.Text(), "- orders/0: 20 → 120 (skip 100) planned\n") || !strings.Contains(dt.Text(), "\nconfirm tok.sig\n") {
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
	// A button press names who pressed, as a Slack mention.
	ar.By = "slack:U024BE7LH"
	if h := ar.Slack().Blocks[0].Text.Text; h != "*Applied: group billing on demo to latest: 3 partitions, skipping 297 messages. (by <@U024BE7LH>)*" {
		t.Fatal(h)
	}
	cancelled := Reply{Kind: KindCancelled, By: "slack:U024BE7LH", Message: "The plan of group billing on demo was dropped."}
	if m := cancelled.Slack(); len(m.Blocks) != 1 || m.Blocks[0].Text.Text != "*Cancelled by <@U024BE7LH>: nothing was applied. The plan of group billing on demo was dropped.*" {
		t.Fatalf("%+v", m)
	}
}

// Words people read: thousands separators, times in the command's zone with their distance,
// nothing to do without a token, and a summary per group.
func TestWords(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567", 12345678901: "12,345,678,901"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{0: "just now", 45 * time.Second: "45 s ago", 15 * time.Minute: "15 min ago", 2 * time.Hour: "2 h ago", 72 * time.Hour: "3 d ago", -5 * time.Minute: "in 5 min"} {
		if got := Ago(now.Add(-d), now); got != want {
			t.Errorf("Ago(-%s) = %q, want %q", d, got, want)
		}
	}
	big := planResult(2)
	big.Skipped = i64(1234567)
	if h := (Reply{Kind: KindPlan, Result: big}).Headline(); !strings.Contains(h, "skipping 1,234,567 messages") {
		t.Fatal(h)
	}
	at := now.Add(-2 * time.Hour).UnixMilli()
	ago := planResult(1)
	ago.To, ago.At = "ago:2h", &at
	if h := (Reply{Kind: KindPlan, Result: ago, Now: now}).Headline(); h != "Plan for group billing on demo to ago:2h (2026-05-01T08:00:00Z, 2 h ago): 1 partition, skipping 100 messages. Nothing has changed yet." {
		t.Fatal(h)
	}
	zoned := planResult(1)
	zoned.To, zoned.At = "time:2026-05-01T16:00:00+08:00", &at
	zoned.Status, zoned.DryRun, zoned.Partitions[0].Status = reset.StatusApplied, false, reset.StatusApplied
	if h := (Reply{Kind: KindApplied, Result: zoned, Now: now}).Headline(); h != "Applied: group billing on demo to time:2026-05-01T16:00:00+08:00 (2026-05-01T16:00:00+08:00, 2 h ago): 1 partition, skipping 100 messages." {
		t.Fatal(h)
	}
	ms := planResult(1)
	ms.To, ms.At = "time:1777629600000", &at
	if w := When(ms, now); w != "2026-05-01T08:00:00Z, 2 h ago" {
		t.Fatal(w)
	}
	// A plan that changes nothing: no token, no confirm line, no "Applied".
	idle := planResult(2)
	for i := range idle.Partitions {
		idle.Partitions[i].Status, idle.Partitions[i].Skipped = reset.StatusUnchanged, i64(0)
	}
	idle.Skipped = i64(0)
	idle.Notes = []string{"nothing to do: group billing is already at latest on every selected partition, so no confirm token was issued"}
	r := Reply{Kind: KindPlan, Result: idle}
	if h := r.Headline(); h != "Nothing to do: group billing on demo is already at latest." {
		t.Fatal(h)
	}
	if n, notes, s := r.Next(SlackPrefix), r.Notes(), r.Slack(); len(n) != 0 || len(notes) != 0 || strings.Contains(fmt.Sprint(s), "Apply") {
		t.Fatalf("%q %q %+v", n, notes, s)
	}

	// Several groups: one line each, one token, the undo of each.
	a, b, c := planResult(2), planResult(1), planResult(1)
	a.Group, b.Group, c.Group = "analytics-batch", "analytics-web", "analytics-x"
	c.Partitions[0].Status, c.Partitions[0].Skipped, c.Skipped = reset.StatusUnchanged, i64(0), i64(0)
	many := Reply{Kind: KindPlan, Results: []*reset.Result{a, b, c}, Token: "tok.sig"}
	if h := many.Headline(); h != "Plan for 3 groups on demo to latest: 3 partitions in 2 groups, skipping 299 messages. Nothing has changed yet." {
		t.Fatal(h)
	}
	if tb := many.Table(); tb != "GROUP            PARTS  SKIP  STATUS\nanalytics-batch  2      199   planned\nanalytics-web    1      100   planned\nanalytics-x      0      0     nothing to do (already at latest)" {
		t.Fatalf("%q", tb)
	}
	if dt := many.DingTalk(); dt.ActionCard.Title != "offsetreset: 3 groups" || !strings.Contains(dt.Text(), "- analytics-web: 1 partitions, skip 100, planned\n") {
		t.Fatalf("%s", dt.Text())
	}
	for _, r := range []*reset.Result{a, b} {
		r.Status, r.DryRun = reset.StatusApplied, false
		r.Undo = &reset.Command{Target: "demo", Group: r.Group, Offsets: []reset.PartitionOffset{{Topic: "orders", Partition: 0, Offset: 20}}}
		for i := range r.Partitions {
			r.Partitions[i].Status = reset.StatusApplied
		}
	}
	c.Status, c.Error = reset.StatusRefused, "the offsets moved since the plan"
	done := Reply{Kind: KindApplied, Results: []*reset.Result{a, b, c}}
	if h := done.Headline(); h != "Applied to 2 of 3 groups on demo to latest: 3 partitions, skipping 299 messages. 1 group not (see the table)." {
		t.Fatal(h)
	}
	if next := done.Next(SlackPrefix); !reflect.DeepEqual(next, []string{"To undo, send these (each plans its group's undo and asks for a confirm):",
		"/offsets apply demo analytics-batch orders:0=20", "/offsets apply demo analytics-web orders:0=20"}) {
		t.Fatalf("%q", next)
	}
}

func TestTruncation(t *testing.T) {
	r := Reply{Kind: KindPlan, Result: planResult(45), Token: "t"}
	tb := r.Table()
	lines := strings.Split(tb, "\n")
	if len(lines) != 1+MaxRows+1 || lines[len(lines)-1] != "… and 25 more partitions (45 in all; the JSON API shows every row)" {
		t.Fatalf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
	if !strings.Contains(r.DingTalk().Text(), "- … and 25 more partitions (45 in all)\n") {
		t.Fatal(r.DingTalk().Text())
	}
	// A token too long for a button's value is typed, as on DingTalk.
	long := Reply{Kind: KindPlan, Result: planResult(2), Token: strings.Repeat("x", SlackMaxValue+1)}
	if b, _ := json.Marshal(long.Slack()); strings.Contains(string(b), `"actions"`) || !strings.Contains(string(b), "`/offsets confirm xxx") {
		t.Fatalf("%.300s", b)
	}
	// A reply too long for a Slack section falls back to plain text.
	long = Reply{Kind: KindPlan, Result: planResult(2), Token: strings.Repeat("x", 3100)}
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
	if !strings.Contains(help.DingTalk().Text(), "status <target> <group> — lag per partition") {
		t.Fatal(help.DingTalk().Text())
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
