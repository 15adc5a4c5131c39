package huaweikafka

import (
	"context"
	"strconv"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core"
	kafka "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
)

// GroupsPageSize is ListInstanceConsumerGroups' largest limit (1 to 50).
const GroupsPageSize = 50

// ListGroups implements reset.GroupLister with ListInstanceConsumerGroups (no group filter), page
// by page: offset from 0 and limit GroupsPageSize, both strings in this API, until total groups
// are read.
func (p *Provider) ListGroups(ctx context.Context) ([]string, error) {
	return p.Cloud.ListGroups(ctx, p.instance, func(hc *core.HcHttpClient, offset int) ([]string, int, error) {
		resp, err := kafka.NewKafkaClient(hc).ListInstanceConsumerGroups(&model.ListInstanceConsumerGroupsRequest{InstanceId: p.instance,
			Offset: ptr(strconv.Itoa(offset)), Limit: ptr(strconv.Itoa(GroupsPageSize))})
		if err != nil {
			return nil, 0, err
		}
		var names []string
		for _, g := range deref(resp.Groups) {
			names = append(names, deref(g.GroupId))
		}
		return names, int(deref(resp.Total)), nil
	})
}
