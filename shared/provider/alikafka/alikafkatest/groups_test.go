package alikafkatest_test

import (
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/alikafka"

	"offsetreset/shared/reset/resettest"
)

// GetConsumerList through the SDK's generated client: pages in creation order with Total, the
// default page size, and refusals of bad paging and of the filter it does not emulate.
func TestConsumerList(t *testing.T) {
	in, c, host := start(t)
	resettest.AddGroups(in.AddGroup, "g%02d", 25)
	list := func(page, size, consumer string) *alikafka.GetConsumerListResponse {
		t.Helper()
		r := alikafka.CreateGetConsumerListRequest()
		r.Scheme, r.Domain = requests.HTTP, host
		r.InstanceId, r.ConsumerId = "alikafka_x", consumer
		r.CurrentPage, r.PageSize = requests.Integer(page), requests.Integer(size)
		resp, err := c.GetConsumerList(r)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	ids := func(r *alikafka.GetConsumerListResponse) string {
		var out []string
		for _, vo := range r.ConsumerList.ConsumerVO {
			if vo.InstanceId != "alikafka_x" || vo.RegionId != "cn-hangzhou" {
				t.Errorf("entry %+v", vo)
			}
			out = append(out, vo.ConsumerId)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		page, size, want  string
		current, pageSize int
	}{
		{"", "", "g24,g23,g22,g21,g20,g19,g18,g17,g16,g15", 1, 10},
		{"3", "", "g04,g03,g02,g01,g00", 3, 10},
		{"2", "20", "g04,g03,g02,g01,g00", 2, 20},
		{"4", "10", "", 4, 10},
	} {
		r := list(c.page, c.size, "")
		if !r.Success || r.Total != 25 || r.CurrentPage != c.current || r.PageSize != c.pageSize || ids(r) != c.want {
			t.Errorf("page %q size %q: %+v %s", c.page, c.size, r, ids(r))
		}
	}
	for _, bad := range [][3]string{{"0", "10", ""}, {"1", "101", ""}, {"1", "x", ""}, {"", "", "g01"}} {
		if r := list(bad[0], bad[1], bad[2]); r.Success || r.Code != 400 || r.Message == "" {
			t.Errorf("page %q size %q ConsumerId %q: %+v", bad[0], bad[1], bad[2], r)
		}
	}
}
