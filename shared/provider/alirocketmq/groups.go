package alirocketmq

import (
	"context"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ons"

	"offsetreset/shared/provider/aliyun"
)

// ListGroups implements reset.GroupLister with one OnsGroupList of the instance (no GroupId or
// GroupType filter, so TCP and HTTP groups alike): the API is not paged. A RAM user sees only the
// groups it holds permissions on.
func (p *Provider) ListGroups(ctx context.Context) ([]string, error) {
	resp, err := aliyun.Do(ctx, p.API, call("OnsGroupList", "of instance "+p.instance), func() (requests.AcsRequest, *ons.OnsGroupListResponse) {
		req := ons.CreateOnsGroupListRequest()
		req.InstanceId = p.instance
		return req, ons.CreateOnsGroupListResponse()
	}, nil)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(resp.Data.SubscribeInfoDo))
	for _, g := range resp.Data.SubscribeInfoDo {
		names = append(names, g.GroupId)
	}
	return aliyun.SortedNames(names), nil
}
