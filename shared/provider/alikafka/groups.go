package alikafka

import (
	"context"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/alikafka"

	"offsetreset/shared/provider/aliyun"
)

// ListGroups implements reset.GroupLister with GetConsumerList (no ConsumerId filter), page by
// page (CurrentPage from 1, PageSize aliyun.GroupsPageSize) until Total groups are read.
func (p *Provider) ListGroups(ctx context.Context) ([]string, error) {
	return aliyun.ListGroupPages(p.instance, func(page int, what string) ([]string, int64, error) {
		call := p.call("GetConsumerList", what)
		resp, err := aliyun.Do(ctx, p.API, call, func() (requests.AcsRequest, *alikafka.GetConsumerListResponse) {
			req := alikafka.CreateGetConsumerListRequest()
			req.InstanceId = p.instance
			req.CurrentPage = requests.NewInteger(page)
			req.PageSize = requests.NewInteger(aliyun.GroupsPageSize)
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
