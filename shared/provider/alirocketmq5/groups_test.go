package alirocketmq5_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"offsetreset/shared/provider/alirocketmq5"
	"offsetreset/shared/provider/alirocketmq5/alirocketmq5test"
	"offsetreset/shared/reset"
)

// ListConsumerGroups is read page by page (pageNumber 1, 2, 3 of pageSize 100 for 251 groups);
// the list comes back sorted although the service answers in creation order.
func TestListGroupsReadsEveryPage(t *testing.T) {
	e := setup(t)
	want := []string{"billing"}
	for i := range 250 {
		want = append(want, fmt.Sprintf("g-%03d", i))
		e.in.AddGroup(fmt.Sprintf("g-%03d", 249-i))
	}
	e.Server.ResetCalls()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var lister reset.GroupLister = e.prov
	got, err := lister.ListGroups(ctx)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("ListGroups = %d names %v, want %d", len(got), err, len(want))
	}
	calls := e.srv.Calls()
	if len(calls) != 3 {
		t.Fatalf("%d calls, want 3: %+v", len(calls), calls)
	}
	for i, c := range calls {
		if c.Action != alirocketmq5test.ListConsumerGroups || c.Method != "GET" || c.Path != "/instances/"+instance+"/consumerGroups" ||
			c.Params["pageNumber"] != fmt.Sprint(i+1) || c.Params["pageSize"] != fmt.Sprint(alirocketmq5.GroupsPageSize) || c.Params["filter"] != "" {
			t.Errorf("call %d: %+v", i, c)
		}
	}
}
