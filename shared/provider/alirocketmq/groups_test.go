package alirocketmq_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"offsetreset/shared/provider/alirocketmq/alirocketmqtest"
	"offsetreset/shared/reset"
)

// OnsGroupList answers every group in one unpaged answer, in creation order; the list comes back
// sorted, from one call that carries no filter.
func TestListGroups(t *testing.T) {
	e := setup(t)
	want := []string{"GID_billing"}
	for i := range 40 {
		want = append(want, fmt.Sprintf("GID_g%02d", i))
		e.in.AddGroup(fmt.Sprintf("GID_g%02d", 39-i))
	}
	e.Server.ResetCalls()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var lister reset.GroupLister = e.prov
	got, err := lister.ListGroups(ctx)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("ListGroups = %q %v\nwant %q", got, err, want)
	}
	calls := e.srv.Calls()
	if len(calls) != 1 || calls[0].Action != alirocketmqtest.OnsGroupList || calls[0].Params["InstanceId"] != instance ||
		calls[0].Params["GroupId"] != "" || calls[0].Params["GroupType"] != "" {
		t.Errorf("calls %+v", calls)
	}
}
