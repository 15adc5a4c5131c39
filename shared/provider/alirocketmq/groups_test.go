package alirocketmq_test

import (
	"testing"

	"offsetreset/shared/provider/alirocketmq/alirocketmqtest"
	"offsetreset/shared/reset/resettest"
)

// OnsGroupList answers every group in one unpaged answer, in creation order; the list comes back
// sorted, from one call that carries no filter.
func TestListGroups(t *testing.T) {
	e := setup(t)
	want := append([]string{"GID_billing"}, resettest.AddGroups(e.in.AddGroup, "GID_g%02d", 40)...)
	e.Server.ResetCalls()
	resettest.WantGroups(t, e.prov, want)
	calls := e.srv.Calls()
	if len(calls) != 1 || calls[0].Action != alirocketmqtest.OnsGroupList || calls[0].Params["InstanceId"] != instance ||
		calls[0].Params["GroupId"] != "" || calls[0].Params["GroupType"] != "" {
		t.Errorf("calls %+v", calls)
	}
}
