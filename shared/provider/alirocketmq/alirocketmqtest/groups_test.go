package alirocketmqtest_test

import (
	"errors"
	"strings"
	"testing"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ons"

	"offsetreset/shared/provider/alirocketmq/alirocketmqtest"
	"offsetreset/shared/provider/aliyun/aliyuntest"
)

// OnsGroupList through the SDK's generated client: every group in creation order, GroupId keeping
// the IDs that contain it (as documented), and the filters it does not emulate refused.
func TestGroupList(t *testing.T) {
	s := alirocketmqtest.Start()
	defer s.Close()
	c := aliyuntest.SDKClient(t, s.Server, "cn-shanghai", ons.NewClientWithAccessKey)
	in := s.Instance("MQ_INST_x", "cn-shanghai")
	for _, g := range []string{"GID_b", "GID_a", "GID_test_ABC_1", "GID_ABC"} {
		in.AddGroup(g)
	}
	list := func(mod func(r *ons.OnsGroupListRequest)) (string, error) {
		r := ons.CreateOnsGroupListRequest()
		r.Scheme, r.Domain = requests.HTTP, strings.TrimPrefix(s.URL, "http://")
		r.InstanceId = "MQ_INST_x"
		mod(r)
		resp, err := c.OnsGroupList(r)
		if err != nil {
			return "", err
		}
		var ids []string
		for _, g := range resp.Data.SubscribeInfoDo {
			if g.InstanceId != "MQ_INST_x" || g.GroupType != "tcp" {
				t.Errorf("entry %+v", g)
			}
			ids = append(ids, g.GroupId)
		}
		return strings.Join(ids, ","), nil
	}
	if got, err := list(func(*ons.OnsGroupListRequest) {}); err != nil || got != "GID_b,GID_a,GID_test_ABC_1,GID_ABC" {
		t.Errorf("all groups: %q %v", got, err)
	}
	if got, err := list(func(r *ons.OnsGroupListRequest) { r.GroupId = "ABC" }); err != nil || got != "GID_test_ABC_1,GID_ABC" {
		t.Errorf("GroupId ABC: %q %v", got, err)
	}
	for name, mod := range map[string]func(r *ons.OnsGroupListRequest){
		"GroupType":    func(r *ons.OnsGroupListRequest) { r.GroupType = "http" },
		"Tag":          func(r *ons.OnsGroupListRequest) { r.Tag = &[]ons.OnsGroupListTag{{Key: "k", Value: "v"}} },
		"no instance":  func(r *ons.OnsGroupListRequest) { r.InstanceId = "" },
		"unknown inst": func(r *ons.OnsGroupListRequest) { r.InstanceId = "MQ_INST_y" },
	} {
		var se *sdkerrors.ServerError
		if _, err := list(mod); !errors.As(err, &se) || se.HttpStatus() < 400 {
			t.Errorf("%s: %v", name, err)
		}
	}
}
