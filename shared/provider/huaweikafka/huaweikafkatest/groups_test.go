package huaweikafkatest_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	kafka "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"

	"offsetreset/shared/provider/huaweicloud/huaweicloudtest"
	"offsetreset/shared/provider/huaweikafka/huaweikafkatest"
	"offsetreset/shared/reset/resettest"
)

// ListInstanceConsumerGroups through the SDK: pages of the groups in creation order with total,
// the documented fields decoded into the SDK's model, the group filter (name contains) and the
// refusal of a limit above 50.
func TestListInstanceConsumerGroups(t *testing.T) {
	emu := huaweikafkatest.Start("proj", "inst")
	c := kafka.NewKafkaClient(huaweicloudtest.SDKClient(t, emu.Server, "proj"))
	emu.AddTopic("t", huaweikafkatest.Partition{Start: 0, End: 100})
	resettest.AddGroups(emu.AddGroup, "g%02d", 12)
	emu.Commit("g05", "t", 0, 40)
	emu.Join("g05", huaweikafkatest.Member{ID: "m1", ClientID: "c1", Host: "/10.0.0.1"})
	list := func(offset, limit int, group string) (*model.ListInstanceConsumerGroupsResponse, error) {
		req := &model.ListInstanceConsumerGroupsRequest{InstanceId: "inst"}
		if offset >= 0 {
			req.Offset = new(strconv.Itoa(offset))
		}
		if limit > 0 {
			req.Limit = new(strconv.Itoa(limit))
		}
		if group != "" {
			req.Group = &group
		}
		return c.ListInstanceConsumerGroups(req)
	}
	names := func(r *model.ListInstanceConsumerGroupsResponse) string {
		var out []string
		for _, g := range *r.Groups {
			out = append(out, *g.GroupId)
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		offset, limit int
		group, want   string
	}{
		{-1, 0, "", "g11,g10,g09,g08,g07,g06,g05,g04,g03,g02"}, // limit 10 by default
		{10, 5, "", "g01,g00"},
		{3, 2, "", "g08,g07"},
		{12, 5, "", ""},
		{-1, 0, "g0", "g09,g08,g07,g06,g05,g04,g03,g02,g01,g00"},
	} {
		r, err := list(tc.offset, tc.limit, tc.group)
		total := 12
		if tc.group != "" {
			total = 10
		}
		if err != nil || r.Total == nil || int(*r.Total) != total || names(r) != tc.want {
			t.Errorf("offset %d limit %d group %q: %v %s", tc.offset, tc.limit, tc.group, err, names(r))
		}
	}
	r, err := list(5, 1, "")
	if err != nil || len(*r.Groups) != 1 {
		t.Fatalf("g06: %v", err)
	}
	if g := (*r.Groups)[0]; *g.GroupId != "g06" || *g.State != "Empty" || *g.CreatedAt != huaweicloudtest.GroupsCreatedAt || g.Lag == nil {
		t.Errorf("g06: %+v", g)
	}
	if r, _ = list(6, 1, ""); *(*r.Groups)[0].State != "Stable" || *(*r.Groups)[0].Lag != 60 {
		t.Errorf("g05 (one member, committed 40 of 100): %+v", (*r.Groups)[0])
	}
	var sre *sdkerr.ServiceResponseError
	if _, err := list(0, 51, ""); !errors.As(err, &sre) || sre.StatusCode != http.StatusBadRequest {
		t.Errorf("limit 51: %v", err)
	}
}
