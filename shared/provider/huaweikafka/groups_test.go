package huaweikafka_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/huaweikafka"
	"offsetreset/shared/provider/huaweikafka/huaweikafkatest"
	"offsetreset/shared/reset/resettest"
)

// seedGroups adds n groups g-000… in an order that is not sorted and returns every group name of
// the instance sorted (setup's billing and dashboard included).
func (e *env) seedGroups(n int) []string {
	return append([]string{"billing", "dashboard"}, resettest.AddGroups(e.emu.AddGroup, "g-%03d", n)...)
}

// wantPages checks the offsets and limits of the recorded ListInstanceConsumerGroups calls.
func (e *env) wantPages(t *testing.T, offsets ...string) {
	t.Helper()
	var got []string
	for _, c := range e.emu.Calls(huaweikafkatest.OpListInstanceConsumerGroups) {
		if c.Query.Get("limit") != fmt.Sprint(huaweikafka.GroupsPageSize) || c.Query.Has("group") {
			t.Errorf("query %v", c.Query)
		}
		got = append(got, c.Query.Get("offset"))
	}
	if !slices.Equal(got, offsets) {
		t.Errorf("offsets %q, want %q", got, offsets)
	}
}

// ListInstanceConsumerGroups is read page by page (offsets 0, 50, 100 for 122 groups); the list
// comes back sorted although the service answers in creation order.
func TestListGroupsReadsEveryPage(t *testing.T) {
	e := setup(t, nil)
	want := e.seedGroups(120)
	resettest.WantGroups(t, e.p, want)
	e.wantPages(t, "0", "50", "100")
	if n := len(e.emu.Calls()); n != 3 {
		t.Errorf("%d calls, want 3", n)
	}
}

// APIG's throttling of a page is retried under the limiter, and the list is still whole.
func TestListGroupsThrottledThenRead(t *testing.T) {
	e := setup(t, nil)
	want := e.seedGroups(60)
	e.emu.Throttle(huaweikafkatest.OpListInstanceConsumerGroups, 1)
	resettest.WantGroups(t, e.p, want)
	e.wantPages(t, "0", "0", "50")
	if calls := e.emu.Calls(); calls[0].Status != http.StatusTooManyRequests || calls[1].Status != http.StatusOK {
		t.Errorf("calls %+v", calls[:2])
	}
}

// A wrong secret key fails at once (no retry) with the authentication sentence naming what to fix.
func TestListGroupsAuthenticationFails(t *testing.T) {
	e := setup(t, nil)
	t.Setenv("HUAWEICLOUD_SDK_SK", "not-the-secret")
	got, err := resettest.ListGroups(e.p)
	if err == nil || !strings.Contains(err.Error(), "authentication failed for target hw") || !strings.Contains(err.Error(), "APIG.0301") ||
		!strings.Contains(err.Error(), "HUAWEICLOUD_SDK_SK") {
		t.Fatalf("ListGroups = %q, %v; want an authentication failure", got, err)
	}
	if calls := e.emu.Calls(); len(calls) != 1 || calls[0].Status != http.StatusUnauthorized {
		t.Errorf("calls %+v, want one refused call", calls)
	}
}

// An instance that does not exist is named with what to check.
func TestListGroupsUnknownInstance(t *testing.T) {
	e := setup(t, func(tg *config.Target) { tg.Instance = "no-such-instance" })
	_, err := resettest.ListGroups(e.p)
	if err == nil || !strings.Contains(err.Error(), "HTTP 404") || !strings.Contains(err.Error(), "check that instance no-such-instance of target hw exists in project "+project) {
		t.Errorf("unknown instance: %v", err)
	}
}
