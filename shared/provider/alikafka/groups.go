package alikafka

import (
	"context"
	"fmt"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/alikafka"

	"offsetreset/shared/provider/aliyun"
)

// GroupsPageSize is the PageSize of GetConsumerList calls; the API reference documents no limit,
// and 100 is the largest page the other ApsaraMQ list APIs take.
const GroupsPageSize = 100

// ListGroups implements reset.GroupLister with GetConsumerList (no ConsumerId filter), page by
// page (CurrentPage from 1, PageSize GroupsPageSize) until Total groups are read.
func (p *Provider) ListGroups(ctx context.Context) ([]string, error) {
	return aliyun.ListPages(GroupsPageSize, func(page int) ([]string, int64, error) {
		call := p.call("GetConsumerList", fmt.Sprintf("of instance %s (page %d)", p.instance, page))
		resp, err := aliyun.Do(ctx, p.API, call, func() (requests.AcsRequest, *alikafka.GetConsumerListResponse) {
			req := alikafka.CreateGetConsumerListRequest()
			req.InstanceId = p.instance
			req.CurrentPage = requests.NewInteger(page)
			req.PageSize = requests.NewInteger(GroupsPageSize)
			return req, alikafka.CreateGetConsumerListResponse()
		}, func(r *alikafka.GetConsumerListResponse) error {
			return p.check(call.What, "", r.Success, r.Code, r.Message, r.RequestId)
		})
		if err != nil {
			return nil, 0, err
		}
		names := make([]string, 0, len(resp.ConsumerList.ConsumerVO))
		for _, c := range resp.ConsumerList.ConsumerVO {
			names = append(names, c.ConsumerId)
		}
		return names, resp.Total, nil
	})
}
