package kafka_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"offsetreset/shared/reset"
	"offsetreset/shared/reset/resettest"
)

// The broker answers the commit REQUEST_TIMED_OUT yet applies it, as a real coordinator can:
// the read-back shows the truth, so the result is applied, with its undo, not "nothing applied".
func TestCommitTimedOutButAppliedIsApplied(t *testing.T) {
	e := setup(t)
	f := e.k.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Err: kerr.RequestTimedOut, Count: -1})
	defer f.Remove()
	r := e.planner.Run(context.Background(), reset.Command{Target: "k", Group: "g", Topics: []string{"payments"}, To: "shift:+2"},
		reset.Options{Identity: "lambda:req-1"})
	resettest.WantStatus(t, r, reset.StatusApplied)
	resettest.WantNote(t, r, "the backend reported an error for 2 partition(s), but reading back shows they were written")
	for _, p := range r.Partitions {
		if p.Status != reset.StatusApplied || *p.Before != 1 || *p.After != 3 {
			t.Errorf("row %+v", p)
		}
	}
	if r.Undo == nil || len(r.Undo.Offsets) != 2 || r.Undo.Offsets[0].Offset != 1 {
		t.Fatalf("undo %+v", r.Undo)
	}
	if f.Hits() == 0 {
		t.Fatal("the fault never answered a commit")
	}
	if c := e.committed(t)["payments"]; c[0] != 3 || c[1] != 3 {
		t.Fatalf("committed %v", c)
	}

	// The platform delivers the same invocation again (Lambda retry, another instance with no
	// memory of the first): it finds its own marks and moves nothing further.
	again := e.planner.Run(context.Background(), reset.Command{Target: "k", Group: "g", Topics: []string{"payments"}, To: "shift:+2"},
		reset.Options{Identity: "lambda:req-1"})
	resettest.WantStatus(t, again, reset.StatusApplied)
	resettest.WantNote(t, again, "2 partition(s) were already moved by an earlier delivery of this invocation")
	if again.Duplicate == "" || again.Undo == nil || again.Undo.Offsets[0].Offset != 1 || *again.Skipped != 4 {
		t.Fatalf("%s", resettest.Dump(again))
	}
	if c := e.committed(t)["payments"]; c[0] != 3 || c[1] != 3 {
		t.Fatalf("a retried shift moved again: %v", c)
	}
	// A different invocation is a new shift.
	other := e.planner.Run(context.Background(), reset.Command{Target: "k", Group: "g", Topics: []string{"payments"}, To: "shift:+1"},
		reset.Options{Identity: "lambda:req-2"})
	resettest.WantStatus(t, other, reset.StatusApplied)
	if c := e.committed(t)["payments"]; c[0] != 4 || c[1] != 4 {
		t.Fatalf("committed %v", c)
	}
}

// A commit held past the invocation's end (the caller's context ends while the broker holds the
// request, which it then applies): the write reports the deadline, the read-back — which has a
// reserve of its own — finds the commit applied.
func TestCommitHeldPastTheDeadlineIsVerified(t *testing.T) {
	e := setup(t)
	arrived, release := make(chan struct{}), make(chan struct{})
	e.k.ControlKey(int16(kmsg.OffsetCommit), func(kmsg.Request) (kmsg.Response, error, bool) {
		close(arrived)
		e.k.SleepControl(func() { <-release })
		return nil, nil, false // then the broker handles it normally: applied
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *reset.Result)
	go func() {
		done <- e.planner.Run(ctx, reset.Command{Target: "k", Group: "g", Topics: []string{"orders"}, Partitions: []int32{0}, To: "offset:7"}, reset.Options{})
	}()
	<-arrived
	cancel() // the invocation's time is up while the broker holds the commit
	close(release)
	r := <-done
	resettest.WantStatus(t, r, reset.StatusApplied)
	if p := r.Partitions[0]; p.Status != reset.StatusApplied || *p.After != 7 {
		t.Fatalf("%s", resettest.Dump(r))
	}
	if c := e.committed(t)["orders"]; c[0] != 7 {
		t.Fatalf("committed %v", c)
	}
}

// Every commit attempt loses its connection: the read-back proves nothing moved, so the result is
// failed (and a retry is safe), each row unchanged with the reason.
// A connection dropped on every commit attempt gives no answer: the read-back shows nothing
// moved yet, but a request the broker received may still be applied after it, so the result is
// unknown (not "failed, nothing applied"), each row saying why; a shift without an identity is
// not retryable, and nothing is on the broker.
func TestConnectionDroppedMidCommitIsUnknown(t *testing.T) {
	e := setup(t)
	before := e.committed(t)
	e.dropAfter(kmsg.OffsetCommit, 0)
	r := e.run(t, reset.Command{Group: "g", Topics: []string{"orders"}, Partitions: []int32{0, 1}, To: "shift:+1"})
	resettest.WantError(t, r, reset.StatusUnknown, "2 of 2 partitions may or may not have been written", "read the offsets with a dry run before retrying")
	if r.Retryable || r.Undo != nil {
		t.Fatalf("%s", resettest.Dump(r))
	}
	for _, p := range r.Partitions {
		if p.Status != reset.StatusUnknown || !strings.Contains(p.Error, "as before, but without an answer the write may still be applied") ||
			!strings.Contains(p.Error, "closed the connection before answering") {
			t.Errorf("row %+v", p)
		}
	}
	assertCommitted(t, e, before)
}

// One partition answers NOT_COORDINATOR: partial, the others applied. Delivering the same
// invocation three times leaves the others at +2, not +6, and the failed one is retried.
func TestNotCoordinatorOnOnePartitionRetriesConverge(t *testing.T) {
	e := setup(t)
	f := e.k.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Topic: "orders", Partitions: []int32{1}, Err: kerr.NotCoordinator, Count: -1})
	cmd := reset.Command{Target: "k", Group: "g", Topics: []string{"orders"}, Partitions: []int32{0, 1}, To: "shift:+2"}
	var r *reset.Result
	for i := 0; i < 3; i++ {
		r = e.planner.Run(context.Background(), cmd, reset.Options{Identity: "fc:req-7"})
		resettest.WantStatus(t, r, reset.StatusPartial)
		if !r.Retryable {
			t.Fatal("a marked Kafka invocation is safe to retry")
		}
	}
	if p := r.Partitions[1]; p.Status != reset.StatusUnchanged || !strings.Contains(p.Error, "NOT_COORDINATOR") {
		t.Fatalf("%s", resettest.Dump(r))
	}
	if c := e.committed(t)["orders"]; c[0] != 4 || c[1] != 5 {
		t.Fatalf("committed %v, want orders/0 at 2+2 and orders/1 untouched at 5", c)
	}
	// The coordinator recovers; the next delivery completes the invocation exactly.
	f.Remove()
	r = e.planner.Run(context.Background(), cmd, reset.Options{Identity: "fc:req-7"})
	resettest.WantStatus(t, r, reset.StatusApplied)
	if c := e.committed(t)["orders"]; c[0] != 4 || c[1] != 7 {
		t.Fatalf("committed %v", c)
	}
	if r.Undo == nil || len(r.Undo.Offsets) != 2 || r.Undo.Offsets[0].Offset != 2 || r.Undo.Offsets[1].Offset != 5 {
		t.Fatalf("undo %+v", r.Undo)
	}
}

// The read-back itself fails after a write error: unknown, per partition and whole, with the
// sentence that says to look before retrying.
func TestReadBackFailureIsUnknown(t *testing.T) {
	e := setup(t)
	e.k.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Err: kerr.RequestTimedOut, Count: -1})
	// The snapshot's OffsetFetch passes; every later one (the read-back) fails.
	e.dropAfter(kmsg.OffsetFetch, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := e.planner.Run(ctx, reset.Command{Target: "k", Group: "g", Topics: []string{"payments"}, To: "latest"}, reset.Options{})
	resettest.WantError(t, r, reset.StatusUnknown, "2 of 2 partitions may or may not have been written", "read the offsets with a dry run before retrying")
	for _, p := range r.Partitions {
		if p.Status != reset.StatusUnknown || p.After != nil || !strings.Contains(p.Error, "may or may not have been applied") {
			t.Errorf("row %+v", p)
		}
	}
	if r.Undo != nil {
		t.Fatalf("an unknown write has no undo: %+v", r.Undo)
	}
}

// A misspelt group: the dry run warns and suggests the real one, an apply is refused unless
// createGroup is set, and nothing is created.
func TestMisspeltGroupIsNotCreated(t *testing.T) {
	e := setup(t)
	if err := e.k.Commit(context.Background(), "billing", "orders", 0, 1); err != nil {
		t.Fatal(err)
	}
	dry := e.run(t, reset.Command{Group: "biling", Topics: []string{"orders"}, To: "latest", DryRun: true})
	resettest.WantStatus(t, dry, reset.StatusPlanned)
	resettest.WantNote(t, dry, "warning: group biling has no committed offset on any selected partition of target k; did you mean billing?")
	r := e.run(t, reset.Command{Group: "biling", Topics: []string{"orders"}, To: "latest"})
	resettest.WantError(t, r, reset.StatusRefused, "group biling has no committed offset on any selected partition of target k; did you mean billing?",
		`resend with "createGroup": true`)
	if c, _ := e.k.Committed(context.Background(), "biling"); len(c) != 0 {
		t.Fatalf("group created: %v", c)
	}
	created := e.run(t, reset.Command{Group: "biling", Topics: []string{"orders"}, To: "latest", CreateGroup: true})
	resettest.WantStatus(t, created, reset.StatusApplied)
	if c, _ := e.k.Committed(context.Background(), "biling"); len(c["orders"]) != 3 {
		t.Fatalf("committed %v", c)
	}
}

// Edges: a huge shift saturates at the log end instead of wrapping to the start.
func TestHugeShiftSaturates(t *testing.T) {
	e := setup(t)
	r := e.run(t, reset.Command{Group: "g", Topics: []string{"orders"}, Partitions: []int32{0}, To: "shift:+9223372036854775807"})
	resettest.WantStatus(t, r, reset.StatusApplied)
	if c := e.committed(t)["orders"]; c[0] != 10 {
		t.Fatalf("committed %v, want the log end 10", c)
	}
	r = e.run(t, reset.Command{Group: "g", Topics: []string{"orders"}, Partitions: []int32{0}, To: "shift:-9223372036854775808"})
	resettest.WantStatus(t, r, reset.StatusApplied)
	if c := e.committed(t)["orders"]; c[0] != 0 {
		t.Fatalf("committed %v, want the log start 0", c)
	}
}

// Explicit offsets: one bad row and nothing is written; good rows are clamped like offset:N.
func TestExplicitOffsets(t *testing.T) {
	e := setup(t)
	before := e.committed(t)
	bad := e.run(t, reset.Command{Group: "g", Offsets: []reset.PartitionOffset{{Topic: "orders", Partition: 0, Offset: 4}, {Topic: "orders", Partition: 9, Offset: 1}}})
	resettest.WantError(t, bad, reset.StatusInvalid, "offsets name partitions that do not exist on target k: orders/9 (the topic has 3 partitions); nothing was written")
	assertCommitted(t, e, before)
	r := e.run(t, reset.Command{Group: "g", Offsets: []reset.PartitionOffset{{Topic: "orders", Partition: 0, Offset: 4}, {Topic: "payments", Partition: 1, Offset: 99}}})
	resettest.WantStatus(t, r, reset.StatusApplied)
	if c := e.committed(t); c["orders"][0] != 4 || c["payments"][1] != 5 || c["orders"][1] != 5 {
		t.Fatalf("committed %v", c)
	}
	// The undo is one command that puts both back.
	u := e.run(t, *r.Undo)
	resettest.WantStatus(t, u, reset.StatusApplied)
	assertCommitted(t, e, before)
}
