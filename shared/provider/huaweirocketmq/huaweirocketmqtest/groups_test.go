package huaweirocketmqtest_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	rocketmq "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/rocketmq/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/rocketmq/v2/model"

	"offsetreset/shared/provider/huaweicloud/huaweicloudtest"
	"offsetreset/shared/provider/huaweirocketmq/huaweirocketmqtest"
	"offsetreset/shared/reset/resettest"
)

// ListInstanceConsumerGroups through the SDK: pages of the groups in creation order with total,
// max, remaining and the neighbouring pages' offsets, the documented fields decoded into the
// SDK's model, and the refusal of the group filter it does not emulate and of bad paging.
func TestListInstanceConsumerGroups(t *testing.T) {
	emu := huaweirocketmqtest.Start("proj", "inst")
	c := rocketmq.NewRocketMQClient(huaweicloudtest.SDKClient(t, emu.Server, "proj"))
	emu.AddTopic("orders", huaweirocketmqtest.Queue{Broker: "broker-1", ID: 0}, huaweirocketmqtest.Queue{Broker: "broker-0", ID: 0})
	resettest.AddGroups(emu.AddGroup, "g%d", 7)
	emu.Subscribe("g4", "orders", func(huaweirocketmqtest.Queue) int64 { return 0 })
	emu.Connect("g4", huaweirocketmqtest.Client{ID: "c1"})
	list := func(offset, limit int32) (*model.ListInstanceConsumerGroupsResponse, error) {
		return c.ListInstanceConsumerGroups(&model.ListInstanceConsumerGroupsRequest{InstanceId: "inst", Offset: &offset, Limit: &limit})
	}
	for _, tc := range []struct {
		offset, limit int32
		want          string
		next, prev    int32
	}{
		{0, 3, "g6,g5,g4", 3, -1},
		{3, 3, "g3,g2,g1", 6, 0},
		{6, 3, "g0", -1, 3},
		{2, 10, "g4,g3,g2,g1,g0", -1, 0},
	} {
		r, err := list(tc.offset, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, g := range *r.Groups {
			names = append(names, *g.Name)
		}
		if strings.Join(names, ",") != tc.want || r.Total != 7 || *r.Max != huaweirocketmqtest.MaxGroups || *r.Remaining != huaweirocketmqtest.MaxGroups-7 ||
			*r.NextOffset != tc.next || *r.PreviousOffset != tc.prev {
			t.Errorf("offset %d limit %d: %v total %v next %d previous %d", tc.offset, tc.limit, names, r.Total, *r.NextOffset, *r.PreviousOffset)
		}
	}
	r, err := list(2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if g := (*r.Groups)[0]; *g.Name != "g4" || !*g.GroupOnline || *g.Broadcast || !slices.Equal(*g.Brokers, []string{"broker-0", "broker-1"}) ||
		*g.TopicSubscriptionCount != 1 || *g.CreatedAt != huaweicloudtest.GroupsCreatedAt {
		t.Errorf("g4: %+v", g)
	}
	group := "g"
	var sre *sdkerr.ServiceResponseError
	if _, err := c.ListInstanceConsumerGroups(&model.ListInstanceConsumerGroupsRequest{InstanceId: "inst", Group: &group}); !errors.As(err, &sre) || sre.StatusCode != http.StatusBadRequest {
		t.Errorf("group filter: %v", err)
	}
	if _, err := list(-1, 10); !errors.As(err, &sre) || sre.StatusCode != http.StatusBadRequest {
		t.Errorf("offset -1: %v", err)
	}
}
