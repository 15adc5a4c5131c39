package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/kafka"
	"offsetreset/shared/provider/kafka/kafkatest"
	"offsetreset/shared/reset"
	"offsetreset/shared/reset/resettest"
)

// base is the timestamp of message 0; message i is at base + i*10s.
var base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type env struct {
	k       *kafkatest.Cluster
	planner *reset.Planner
}

// setup: orders (3 partitions × 10 messages, orders/1 log start 3), payments (2 × 5), audit
// (1 × 5, never committed by g). Group g: orders/0=2, orders/1=5, orders/2 none, payments/*=1.
func setup(t *testing.T) *env {
	t.Helper()
	k, err := kafkatest.Start(map[string]int32{"orders": 3, "payments": 2, "audit": 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	ctx := context.Background()
	for topic, n := range map[string]struct{ parts, msgs int }{"orders": {3, 10}, "payments": {2, 5}, "audit": {1, 5}} {
		for p := 0; p < n.parts; p++ {
			if err := k.Produce(ctx, topic, int32(p), n.msgs, func(i int) time.Time { return base.Add(time.Duration(i) * 10 * time.Second) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := k.DeleteRecords("orders", 1, 3); err != nil {
		t.Fatal(err)
	}
	if err := k.CommitOffsets(ctx, "g", map[string]map[int32]int64{"orders": {0: 2, 1: 5}, "payments": {0: 1, 1: 1}}); err != nil {
		t.Fatal(err)
	}
	prov, err := kafka.New("k", config.Target{Provider: "kafka", Brokers: k.Addrs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prov.(*kafka.Provider).Close)
	return &env{k: k, planner: &reset.Planner{Targets: resettest.Only("k", prov), Now: func() time.Time { return base.Add(95 * time.Second) }}}
}

// dropAfter lets the first n requests of key through to the broker and fails every later one as
// a dropped connection.
func (e *env) dropAfter(key kmsg.Key, n int) {
	seen := 0
	e.k.ControlKey(int16(key), func(kmsg.Request) (kmsg.Response, error, bool) {
		e.k.KeepControl()
		seen++
		if seen <= n {
			return nil, nil, false
		}
		return nil, errors.New("connection dropped"), true
	})
}

func (e *env) run(t *testing.T, cmd reset.Command) *reset.Result {
	t.Helper()
	if cmd.Target == "" {
		cmd.Target = "k"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return e.planner.Run(ctx, cmd, reset.Options{})
}

func (e *env) committed(t *testing.T) map[string]map[int32]int64 {
	t.Helper()
	c, err := e.k.Committed(context.Background(), "g")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var initial = map[string]map[int32]int64{"orders": {0: 2, 1: 5}, "payments": {0: 1, 1: 1}}

func equal(a, b map[string]map[int32]int64) bool {
	return maps.EqualFunc(a, b, func(x, y map[int32]int64) bool { return maps.Equal(x, y) })
}

func assertCommitted(t *testing.T, e *env, want map[string]map[int32]int64) {
	t.Helper()
	if got := e.committed(t); !equal(got, want) {
		t.Fatalf("committed offsets on the broker = %v, want %v", got, want)
	}
}

func rows(r *reset.Result) string {
	var b strings.Builder
	for _, p := range r.Partitions {
		fmt.Fprintf(&b, "%s/%d:%s:%s->%s ", p.Topic, p.Partition, p.Status, opt(p.Before), opt(p.After))
	}
	return strings.TrimSpace(b.String())
}

func opt(v *int64) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(*v)
}

func TestEveryForm(t *testing.T) {
	cases := []struct {
		name    string
		cmd     reset.Command
		status  reset.Status
		rows    string
		after   map[string]map[int32]int64
		skipped string
	}{
		{"latest", reset.Command{Group: "g", Topics: []string{"orders"}, To: "latest"}, reset.StatusApplied,
			"orders/0:applied:2->10 orders/1:applied:5->10 orders/2:applied:null->10",
			map[string]map[int32]int64{"orders": {0: 10, 1: 10, 2: 10}, "payments": {0: 1, 1: 1}}, "null"},
		{"earliest", reset.Command{Group: "g", Topics: []string{"orders"}, To: "earliest"}, reset.StatusApplied,
			"orders/0:applied:2->0 orders/1:applied:5->3 orders/2:applied:null->0",
			map[string]map[int32]int64{"orders": {0: 0, 1: 3, 2: 0}, "payments": {0: 1, 1: 1}}, "null"},
		{"offset clamps both ends", reset.Command{Group: "g", Topics: []string{"orders"}, To: "offset:1"}, reset.StatusApplied,
			"orders/0:applied:2->1 orders/1:applied:5->3 orders/2:applied:null->1",
			map[string]map[int32]int64{"orders": {0: 1, 1: 3, 2: 1}, "payments": {0: 1, 1: 1}}, "null"},
		{"offset above the end", reset.Command{Group: "g", Topics: []string{"payments"}, To: "offset:999"}, reset.StatusApplied,
			"payments/0:applied:1->5 payments/1:applied:1->5",
			map[string]map[int32]int64{"orders": {0: 2, 1: 5}, "payments": {0: 5, 1: 5}}, "8"},
		{"shift forward, no commit is a row error", reset.Command{Group: "g", Topics: []string{"orders"}, To: "shift:+3"}, reset.StatusPartial,
			"orders/0:applied:2->5 orders/1:applied:5->8 orders/2:error:null->null",
			map[string]map[int32]int64{"orders": {0: 5, 1: 8}, "payments": {0: 1, 1: 1}}, "6"},
		{"shift back clamps to log start", reset.Command{Group: "g", Topics: []string{"orders"}, Partitions: []int32{0, 1}, To: "shift:-4"}, reset.StatusApplied,
			"orders/0:applied:2->0 orders/1:applied:5->3",
			map[string]map[int32]int64{"orders": {0: 0, 1: 3}, "payments": {0: 1, 1: 1}}, "-4"},
		{"time between two messages", reset.Command{Group: "g", Topics: []string{"payments"}, To: "time:2026-01-01T08:00:25+08:00"}, reset.StatusApplied,
			"payments/0:applied:1->3 payments/1:applied:1->3",
			map[string]map[int32]int64{"orders": {0: 2, 1: 5}, "payments": {0: 3, 1: 3}}, "4"},
		{"time after the last message is the log end", reset.Command{Group: "g", Topics: []string{"payments"}, To: "time:2026-01-01T01:00:00Z"}, reset.StatusApplied,
			"payments/0:applied:1->5 payments/1:applied:1->5",
			map[string]map[int32]int64{"orders": {0: 2, 1: 5}, "payments": {0: 5, 1: 5}}, "8"},
		{"time as unix ms", reset.Command{Group: "g", Topics: []string{"payments"}, To: fmt.Sprintf("time:%d", base.Add(10*time.Second).UnixMilli())}, reset.StatusApplied,
			"payments/0:unchanged:1->1 payments/1:unchanged:1->1",
			initial, "0"},
		{"ago counts back from now", reset.Command{Group: "g", Topics: []string{"payments"}, To: "ago:70s"}, reset.StatusApplied,
			"payments/0:applied:1->3 payments/1:applied:1->3",
			map[string]map[int32]int64{"orders": {0: 2, 1: 5}, "payments": {0: 3, 1: 3}}, "4"},
		{"topics omitted = every committed topic", reset.Command{Group: "g", To: "earliest"}, reset.StatusApplied,
			"orders/0:applied:2->0 orders/1:applied:5->3 payments/0:applied:1->0 payments/1:applied:1->0",
			map[string]map[int32]int64{"orders": {0: 0, 1: 3}, "payments": {0: 0, 1: 0}}, "-6"},
		{"partition subset", reset.Command{Group: "g", Topics: []string{"orders"}, Partitions: []int32{0, 2}, To: "latest"}, reset.StatusApplied,
			"orders/0:applied:2->10 orders/2:applied:null->10",
			map[string]map[int32]int64{"orders": {0: 10, 1: 5, 2: 10}, "payments": {0: 1, 1: 1}}, "null"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := setup(t)
			r := e.run(t, c.cmd)
			if r.Status != c.status || rows(r) != c.rows {
				t.Fatalf("status %s rows %q (error %q), want %s %q", r.Status, rows(r), r.Error, c.status, c.rows)
			}
			if got := opt(r.Skipped); got != c.skipped {
				t.Errorf("skipped = %s, want %s", got, c.skipped)
			}
			assertCommitted(t, e, c.after)
		})
	}
}

func TestTopicsOmittedLeavesUncommittedTopicsAlone(t *testing.T) {
	e := setup(t)
	r := e.run(t, reset.Command{Group: "g", To: "latest", DryRun: true})
	for _, p := range r.Partitions {
		if p.Topic == "audit" {
			t.Fatalf("audit has no commits by g but is in the plan: %s", rows(r))
		}
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	e := setup(t)
	r := e.run(t, reset.Command{Group: "g", To: "latest", DryRun: true})
	if r.Status != reset.StatusPlanned || opt(r.Skipped) != "21" {
		t.Fatalf("status %s skipped %s: %s", r.Status, opt(r.Skipped), r.Error)
	}
	if rows(r) != "orders/0:planned:2->10 orders/1:planned:5->10 payments/0:planned:1->5 payments/1:planned:1->5" {
		t.Fatalf("rows %s", rows(r))
	}
	assertCommitted(t, e, initial)
}

func TestShiftOnlyUncommittedIsInvalid(t *testing.T) {
	e := setup(t)
	r := e.run(t, reset.Command{Group: "g", Topics: []string{"orders"}, Partitions: []int32{2}, To: "shift:+1"})
	want := "no partition can be moved: partition orders/2 has no committed offset to shift from; use offset:N, earliest, latest or time:T for it"
	if r.Status != reset.StatusInvalid || r.Error != want {
		t.Fatalf("status %s error %q", r.Status, r.Error)
	}
	assertCommitted(t, e, initial)
}

func TestUndoRestoresBefore(t *testing.T) {
	e := setup(t)
	r := e.run(t, reset.Command{Group: "g", Topics: []string{"orders", "payments"}, To: "latest", Reason: "INC-1"})
	if r.Status != reset.StatusApplied {
		t.Fatalf("%s: %s", r.Status, r.Error)
	}
	if r.Undo == nil || len(r.Undo.Offsets) != 4 || len(r.Notes) == 0 || !strings.Contains(strings.Join(r.Notes, "|"), "orders/2") {
		t.Fatalf("undo %+v notes %v", r.Undo, r.Notes)
	}
	if u := *r.Undo; u.Reason != "undo: INC-1" || u.To != "" || len(u.Topics) != 0 {
		t.Errorf("undo %+v", u)
	}
	if ur := e.run(t, *r.Undo); ur.Status != reset.StatusApplied {
		t.Fatalf("undo %+v: %s %s", r.Undo, ur.Status, ur.Error)
	}
	assertCommitted(t, e, map[string]map[int32]int64{"orders": {0: 2, 1: 5, 2: 10}, "payments": {0: 1, 1: 1}})
}

func TestActiveGroupIsRefused(t *testing.T) {
	e := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := e.k.CommitAndJoin(ctx, "live", "orders", 1, "consumer-1")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Leave()
	r := e.run(t, reset.Command{Group: "live", To: "latest"})
	if r.Status != reset.StatusRefused || r.RefusedBy != "guard" || len(r.Members) != 1 {
		t.Fatalf("status %s by %q members %v: %s", r.Status, r.RefusedBy, r.Members, r.Error)
	}
	if !strings.HasPrefix(r.Error, "group live has 1 active member(s) (consumer-1@") ||
		!strings.HasSuffix(r.Error, "; Kafka offsets can only be reset while the group is empty: stop the consumers, wait for their session to expire and retry") {
		t.Fatalf("error %q", r.Error)
	}
	got, err := e.k.Committed(ctx, "live")
	if err != nil || !equal(got, map[string]map[int32]int64{"orders": {0: 1}}) {
		t.Fatalf("live group's offsets changed: %v %v", got, err)
	}
}

func TestBadInputIsInvalidAndChangesNothing(t *testing.T) {
	cases := []struct {
		name string
		cmd  reset.Command
		err  string
	}{
		{"unknown target", reset.Command{Target: "nope", Group: "g", To: "latest"}, `unknown target "nope"; configured targets: k`},
		{"empty group", reset.Command{Group: " ", To: "latest"}, "group is empty; name the consumer group (Kafka) or group ID (RocketMQ) to move"},
		{"partitions with two topics", reset.Command{Group: "g", Topics: []string{"orders", "payments"}, Partitions: []int32{0}, To: "latest"}, "partitions [0] need exactly one topic, but the command names 2; send one command per topic"},
		{"time without zone", reset.Command{Group: "g", To: "time:2026-01-01T00:00:25"}, `to "time:2026-01-01T00:00:25": the time "2026-01-01T00:00:25" has no zone; add one, e.g. 2026-01-01T00:00:25Z for UTC or 2026-01-01T00:00:25+08:00 for China Standard Time`},
		{"negative offset", reset.Command{Group: "g", To: "offset:-1"}, `to "offset:-1": offsets are never negative; use earliest for the start of the log or shift:-N to move back`},
		{"negative partition", reset.Command{Group: "g", Topics: []string{"orders"}, Partitions: []int32{-1}, To: "latest"}, "partition -1 is negative; partitions are numbered from 0"},
		{"unknown topic", reset.Command{Group: "g", Topics: []string{"ordres"}, To: "latest"}, `topic "ordres" does not exist on target k; check the name`},
		{"unknown partition", reset.Command{Group: "g", Topics: []string{"orders"}, Partitions: []int32{1, 9}, To: "latest"}, `topic "orders" has no partition 9 (it has 3 partitions, 0 to 2); check the partition numbers`},
		{"group without commits", reset.Command{Group: "nobody", To: "latest"}, `group "nobody" has no committed offsets on target k; name the topics to reset`},
		{"shift without sign", reset.Command{Group: "g", To: "shift:5"}, `to "shift:5": a shift needs a sign, such as shift:+500 (skip ahead) or shift:-500 (re-read)`},
	}
	e := setup(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.run(t, c.cmd)
			if r.Status != reset.StatusInvalid || r.Error != c.err {
				t.Fatalf("status %s error %q\nwant invalid %q", r.Status, r.Error, c.err)
			}
			assertCommitted(t, e, initial)
		})
	}
}

func TestConfig(t *testing.T) {
	for _, c := range []struct {
		t   config.Target
		err string
	}{
		{config.Target{}, "brokers is empty; list at least one host:port"},
		{config.Target{Brokers: []string{"kafka"}}, `broker "kafka" has no port; write host:port`},
		{config.Target{Brokers: []string{"k:9092"}, SASL: &config.SASL{Mechanism: "GSSAPI"}}, `sasl.mechanism "GSSAPI" is not supported; use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, AWS_MSK_IAM or OAUTHBEARER`},
		{config.Target{Brokers: []string{"k:9092"}, SASL: &config.SASL{Mechanism: "SCRAM-SHA-512", Username: "ops"}}, "sasl needs username and passwordEnv (the name of the variable holding the password)"},
	} {
		if _, err := kafka.New("x", c.t); err == nil || err.Error() != c.err {
			t.Errorf("New(%+v) = %v, want %q", c.t, err, c.err)
		}
	}
}
