package huaweirocketmq

import (
	"context"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core"
	rocketmq "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/rocketmq/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/rocketmq/v2/model"
)

// ListGroups implements reset.GroupLister with ListInstanceConsumerGroups (no group filter), page
// by page: offset from 0 and limit 50 (as ShowConsumerListOrDetails) until total groups are read.
func (p *Provider) ListGroups(ctx context.Context) ([]string, error) {
	return p.Cloud.ListGroups(ctx, p.instance, func(hc *core.HcHttpClient, offset int) ([]string, int, error) {
		resp, err := rocketmq.NewRocketMQClient(hc).ListInstanceConsumerGroups(&model.ListInstanceConsumerGroupsRequest{InstanceId: p.instance,
			Offset: ptr(int32(offset)), Limit: ptr(int32(pageSize))})
		if err != nil {
			return nil, 0, err
		}
		var names []string
		for _, g := range deref(resp.Groups) {
			names = append(names, deref(g.Name))
		}
		// total is a JSON number the SDK types as float32.
		return names, int(resp.Total), nil
	})
}
