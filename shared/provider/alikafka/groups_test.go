package alikafka_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"offsetreset/shared/provider/alikafka/alikafkatest"
	"offsetreset/shared/provider/aliyun"
	"offsetreset/shared/provider/aliyun/aliyuntest"
	"offsetreset/shared/reset/resettest"
)

// seedGroups adds n groups g-000… to the instance in an order that is not sorted, and returns
// every group name of the instance sorted (setup's billing included).
func (e *env) seedGroups(n int) []string {
	want := []string{"billing"}
	for i := range n {
		want = append(want, fmt.Sprintf("g-%03d", i))
		e.in.AddGroup(fmt.Sprintf("g-%03d", (i*7)%n)) // n is not a multiple of 7: every name once
	}
	return want
}

// The list follows GetConsumerList's pages (CurrentPage 1, 2, 3 of PageSize 100 for 231 groups)
// and comes back sorted although the service answers in creation order.
func TestListGroupsReadsEveryPage(t *testing.T) {
	e := setup(t)
	want := e.seedGroups(230)
	e.Server.ResetCalls()
	resettest.WantGroups(t, e.prov, want)
	calls := e.srv.CallsOf(alikafkatest.GetConsumerList)
	if len(calls) != 3 || e.srv.Count("") != 3 {
		t.Fatalf("%d GetConsumerList calls of %d, want 3", len(calls), e.srv.Count(""))
	}
	for i, c := range calls {
		if c.Params["CurrentPage"] != fmt.Sprint(i+1) || c.Params["PageSize"] != fmt.Sprint(aliyun.GroupsPageSize) ||
			c.Params["InstanceId"] != instance || c.Params["ConsumerId"] != "" {
			t.Errorf("call %d params %v", i, c.Params)
		}
	}
}

// A page answered with throttling is retried under the limiter, and the list is still whole (151
// groups: two pages, the second one twice).
func TestListGroupsThrottledThenRead(t *testing.T) {
	e := setup(t)
	want := e.seedGroups(150)
	e.Server.ResetCalls()
	e.srv.Inject(aliyuntest.Fault{Action: alikafkatest.GetConsumerList, Kind: aliyuntest.Throttle, Match: map[string]string{"CurrentPage": "2"}})
	resettest.WantGroups(t, e.prov, want)
	var codes []string
	for _, c := range e.srv.CallsOf(alikafkatest.GetConsumerList) {
		codes = append(codes, c.Params["CurrentPage"]+":"+c.Code)
	}
	if !slices.Equal(codes, []string{"1:", "2:Throttling.User", "2:"}) {
		t.Errorf("calls (page:code) %v", codes)
	}
}

// A wrong secret fails at once (no retry) with the authentication sentence naming what to fix.
func TestListGroupsAuthenticationFails(t *testing.T) {
	e := setup(t)
	e.seedGroups(5)
	e.Server.ResetCalls()
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "not-the-secret")
	got, err := resettest.ListGroups(e.prov)
	if err == nil || !aliyun.IsAuth(err) || !strings.Contains(err.Error(), "authentication failed for target ali") ||
		!strings.Contains(err.Error(), "ALIBABA_CLOUD_ACCESS_KEY_SECRET") {
		t.Fatalf("ListGroups = %q, %v; want an authentication failure", got, err)
	}
	if n := e.srv.Count(""); n != 1 {
		t.Errorf("%d calls, want 1: authentication failures are not retried", n)
	}
}
