package huaweirocketmq_test

import (
	"slices"
	"testing"

	"offsetreset/shared/provider/huaweirocketmq/huaweirocketmqtest"
	"offsetreset/shared/reset/resettest"
)

// ListInstanceConsumerGroups is read page by page (offsets 0 and 50 of limit 50 for 62 groups);
// the list comes back sorted although the service answers in creation order.
func TestListGroupsReadsEveryPage(t *testing.T) {
	e := setup(t, nil)
	want := append([]string{"batch", "billing"}, resettest.AddGroups(e.emu.AddGroup, "g-%02d", 60)...)
	resettest.WantGroups(t, e.p, want)
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
