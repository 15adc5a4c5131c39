package kafka

import (
	"context"

	"offsetreset/shared/reset"
)

// ListGroups implements reset.GroupLister with ListGroups on every broker, sorted by name.
func (p *Provider) ListGroups(ctx context.Context) ([]string, error) {
	adm, err := p.client()
	if err != nil {
		return nil, err
	}
	listed, err := adm.ListGroups(ctx)
	if err != nil {
		return nil, p.wireErr("list the consumer groups", err)
	}
	return listed.Groups(), nil
}

var _ reset.GroupLister = (*Provider)(nil)
