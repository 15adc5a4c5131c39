package huaweirocketmq_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"offsetreset/shared/provider/huaweirocketmq/huaweirocketmqtest"
	"offsetreset/shared/reset"
)

// ListInstanceConsumerGroups is read page by page (offsets 0 and 50 of limit 50 for 62 groups);
// the list comes back sorted although the service answers in creation order.
func TestListGroupsReadsEveryPage(t *testing.T) {
	e := setup(t, nil)
	want := []string{"batch", "billing"}
	for i := range 60 {
		want = append(want, fmt.Sprintf("g-%02d", i))
		e.emu.AddGroup(fmt.Sprintf("g-%02d", 59-i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var lister reset.GroupLister = e.p
	got, err := lister.ListGroups(ctx)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("ListGroups = %d names %v, want %d", len(got), err, len(want))
	}
	var pages []string
	for _, c := range e.emu.Calls() {
		if c.Op != huaweirocketmqtest.OpListInstanceConsumerGroups || c.Query.Get("limit") != "50" || c.Query.Has("group") {
			t.Errorf("call %+v", c)
		}
		pages = append(pages, c.Query.Get("offset"))
	}
	if !slices.Equal(pages, []string{"0", "50"}) {
		t.Errorf("offsets %q, want 0 and 50", pages)
	}
}
