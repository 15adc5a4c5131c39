package alirocketmq5_test

import (
	"fmt"
	"testing"

	"offsetreset/shared/provider/alirocketmq5/alirocketmq5test"
	"offsetreset/shared/provider/aliyun"
	"offsetreset/shared/reset/resettest"
)

// ListConsumerGroups is read page by page (pageNumber 1, 2, 3 of pageSize 100 for 251 groups);
// the list comes back sorted although the service answers in creation order.
func TestListGroupsReadsEveryPage(t *testing.T) {
	e := setup(t)
	want := append([]string{"billing"}, resettest.AddGroups(e.in.AddGroup, "g-%03d", 250)...)
	e.Server.ResetCalls()
	resettest.WantGroups(t, e.prov, want)
	calls := e.srv.Calls()
	if len(calls) != 3 {
		t.Fatalf("%d calls, want 3: %+v", len(calls), calls)
	}
	for i, c := range calls {
		if c.Action != alirocketmq5test.ListConsumerGroups || c.Method != "GET" || c.Path != "/instances/"+instance+"/consumerGroups" ||
			c.Params["pageNumber"] != fmt.Sprint(i+1) || c.Params["pageSize"] != fmt.Sprint(aliyun.GroupsPageSize) || c.Params["filter"] != "" {
			t.Errorf("call %d: %+v", i, c)
		}
	}
}
