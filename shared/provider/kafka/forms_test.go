package kafka_test

import (
	"context"
	"testing"

	"offsetreset/shared/reset"
	"offsetreset/shared/reset/resettest"
)

// group:NAME copies another group's committed offsets, clamped; partitions the source never
// committed are per-partition errors and are not written.
func TestCopyFromGroup(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	// orders/1 starts at 3: clamped up
	if err := e.k.CommitOffsets(ctx, "src", map[string]map[int32]int64{"orders": {0: 7, 1: 1}}); err != nil {
		t.Fatal(err)
	}
	r := e.run(t, reset.Command{Group: "g", Topics: []string{"orders"}, To: "group:src"})
	resettest.WantError(t, r, reset.StatusPartial, "1 of 3 partitions were not moved: group src has no committed offset on orders/2 to copy; this partition is not written")
	if c := e.committed(t)["orders"]; c[0] != 7 || c[1] != 3 || len(c) != 2 {
		t.Fatalf("committed %v", c)
	}
	resettest.WantNote(t, r, "1 partition(s) clamped into [logStart, logEnd]")

	// Cloning into a new group copies every partition the source committed; creating the group
	// must be asked for.
	r = e.run(t, reset.Command{Group: "clone", To: "group:g"})
	resettest.WantError(t, r, reset.StatusRefused, "group clone has no committed offset on any selected partition")
	r = e.run(t, reset.Command{Group: "clone", To: "group:g", CreateGroup: true})
	resettest.WantError(t, r, reset.StatusPartial, "group g has no committed offset on orders/2 to copy")
	clone, _ := e.k.Committed(ctx, "clone")
	if g := e.committed(t); clone["orders"][0] != g["orders"][0] || clone["orders"][1] != g["orders"][1] || clone["payments"][1] != g["payments"][1] || len(clone["orders"]) != 2 {
		t.Fatalf("clone %v, source %v", clone, g)
	}
	// A group cannot copy itself, and an unknown source says so.
	resettest.WantError(t, e.run(t, reset.Command{Group: "g", Topics: []string{"orders"}, To: "group:g"}), reset.StatusInvalid, "names the group being moved")
	resettest.WantError(t, e.run(t, reset.Command{Group: "g", To: "group:nobody"}), reset.StatusInvalid, "group nobody has no committed offsets on target k to copy")
}

// current moves nothing: a dry run is the export of the committed offsets, bounds and lag, and
// works on an active group.
func TestCurrentIsTheExport(t *testing.T) {
	e := setup(t)
	before := e.committed(t)
	r := e.run(t, reset.Command{Group: "g", Topics: []string{"orders"}, To: "current", DryRun: true})
	resettest.WantStatus(t, r, reset.StatusPlanned)
	want := []struct {
		before, start, end, lag *int64
	}{{reset.Int64(2), reset.Int64(0), reset.Int64(10), reset.Int64(8)}, {reset.Int64(5), reset.Int64(3), reset.Int64(10), reset.Int64(5)}, {nil, reset.Int64(0), reset.Int64(10), nil}}
	for i, p := range r.Partitions {
		w := want[i]
		if p.Status != reset.StatusUnchanged || !eq(p.Before, w.before) || !eq(p.After, w.before) || !eq(p.LogStart, w.start) || !eq(p.LogEnd, w.end) || !eq(p.Lag, w.lag) {
			t.Errorf("row %d: %+v", i, p)
		}
	}
	if r.State != "Empty" || *r.Skipped != 0 {
		t.Errorf("state %q skipped %v", r.State, r.Skipped)
	}
	assertCommitted(t, e, before)
}

func eq(a, b *int64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
