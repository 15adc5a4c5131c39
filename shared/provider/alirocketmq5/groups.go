package alirocketmq5

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"offsetreset/shared/provider/aliyun"
)

// ListGroups implements reset.GroupLister with ListConsumerGroups (GET
// /instances/{instanceId}/consumerGroups, no filter), page by page (pageNumber from 1, pageSize
// aliyun.GroupsPageSize) until data.totalCount groups are read.
func (p *Provider) ListGroups(ctx context.Context) ([]string, error) {
	return aliyun.ListGroupPages(p.instance, func(page int, what string) ([]string, int64, error) {
		ans, err := p.do(ctx, call("ListConsumerGroups", what), http.MethodGet, "/instances/[instanceId]/consumerGroups",
			map[string]string{"instanceId": p.instance},
			map[string]string{"pageNumber": strconv.Itoa(page), "pageSize": strconv.Itoa(aliyun.GroupsPageSize)}, nil)
		if err != nil {
			return nil, 0, err
		}
		var data struct {
			TotalCount int64 `json:"totalCount"`
			List       []struct {
				ConsumerGroupID string `json:"consumerGroupId"`
			} `json:"list"`
		}
		if len(ans.Data) > 0 {
			if err := json.Unmarshal(ans.Data, &data); err != nil {
				return nil, 0, fmt.Errorf("ListConsumerGroups %s: the answer's data cannot be read (%v); retry, and report it if it persists", what, err)
			}
		}
		names := make([]string, 0, len(data.List))
		for _, g := range data.List {
			names = append(names, g.ConsumerGroupID)
		}
		return names, data.TotalCount, nil
	})
}
