package huaweicloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core"

	"offsetreset/shared/reset"
)

// opListGroups is ListInstanceConsumerGroups, the same route in DMS for Kafka and for RocketMQ.
var opListGroups = Op{Name: "ListInstanceConsumerGroups", Action: "dms:instance:get"}

// ListGroups lists every consumer group of instance with ListInstanceConsumerGroups (GET
// /v2/{project_id}/instances/{instance_id}/groups), one Call per page, as reset.GroupLister wants
// them: sorted, without duplicates. page reads the names from offset on through the product's
// SDK client (at its largest limit) and the total the service reports.
func (c *Client) ListGroups(ctx context.Context, instance string, page func(hc *core.HcHttpClient, offset int) (names []string, total int, err error)) ([]string, error) {
	return ListOffsets(func(offset int) (names []string, total int, err error) {
		err = c.Call(ctx, opListGroups, fmt.Sprintf("ListInstanceConsumerGroups of instance %s from offset %d", instance, offset), func(hc *core.HcHttpClient) error {
			var err error
			names, total, err = page(hc, offset)
			return err
		})
		if ae := (*APIError)(nil); errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			return nil, 0, fmt.Errorf("%w; check that instance %s of target %s exists in project %s", err, instance, c.Target, c.projectName())
		}
		return names, total, err
	})
}

// ListOffsets collects every name of a DMS list API paged by offset and limit, sorted and without
// duplicates. fetch reads the names from offset on and the total the service reports (0 when it
// reports none). The next offset is the current one plus the names received, so a service that
// gives fewer than asked loses nothing. Paging stops at an empty page, at the total, and at a
// page that brings no new name (a service that ignores offset answers the same page again).
func ListOffsets(fetch func(offset int) (names []string, total int, err error)) ([]string, error) {
	var all reset.GroupSet
	for offset := 0; ; {
		names, total, err := fetch(offset)
		if err != nil {
			return nil, err
		}
		fresh := all.Add(names)
		offset += len(names)
		if !fresh || (total > 0 && offset >= total) {
			return all.Sorted(), nil
		}
	}
}
