// Package huaweikafka is the provider for Huawei Cloud DMS for Kafka through its management API
// (SDK services/kafka/v2): ListInstanceConsumerGroups to list groups, ShowGroups and
// ListTopicPartitions to plan, ResetMessageOffsetWithEngine (or ResetMessageOffset with
// `api: management`) to write.
//
// Only APIs whose offsets are int64 in the SDK are used: the int32 ones fail to decode once an
// offset passes 2^31.
package huaweikafka

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core"
	kafka "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/huaweicloud"
	"offsetreset/shared/reset"
)

// IAM actions of the calls: role/policy-based authorization, then identity policies (Huawei lists
// no identity-policy action for the engine reset route).
var (
	opShowGroups          = huaweicloud.Op{Name: "ShowGroups", Action: "dms:instance:get (identity policies: dms:group:get)"}
	opListTopicPartitions = huaweicloud.Op{Name: "ListTopicPartitions", Action: "dms:instance:get (identity policies: dms:topic:get)"}
	opResetEngine         = huaweicloud.Op{Name: "ResetMessageOffsetWithEngine", Action: "dms:instance:modify"}
	opResetManagement     = huaweicloud.Op{Name: "ResetMessageOffset", Action: "dms:instance:modify"}
)

// Latest is the message_offset sent for `latest` in the API's own terms: the seeds document that
// an offset beyond the largest is reset to the latest offset, partition by partition.
const Latest = math.MaxInt64

// pageSize is ListTopicPartitions' largest limit.
const pageSize = 50

// Provider resets consumer groups of one DMS for Kafka instance.
type Provider struct {
	name     string
	instance string
	// Cloud is the target's API access (endpoint, credentials, limiter); tests tune its Limiter.
	Cloud *huaweicloud.Client
	// Management selects the older management route (POST …/management/groups/{group}/reset-message-offset).
	Management bool

	mu sync.Mutex
	// whole records, per Snapshot query, which topics have a row for every partition: only those
	// may be reset with one partition -1 call.
	whole map[wholeKey]bool
}

type wholeKey struct {
	group, topic string
	named        bool // the command named its topics
}

// New checks a huaweikafka target: region or endpoint, project, instance, and api (engine, the
// default, or management). It contacts nothing.
func New(name string, t config.Target) (reset.Provider, error) {
	c, err := huaweicloud.NewClient(name, t)
	if err != nil {
		return nil, err
	}
	p := &Provider{name: name, instance: strings.TrimSpace(t.Instance), Cloud: c, whole: map[wholeKey]bool{}}
	switch strings.ToLower(strings.TrimSpace(t.API)) {
	case "", "engine":
	case "management":
		p.Management = true
	default:
		return nil, fmt.Errorf("api %q is not known; leave it out for ResetMessageOffsetWithEngine or set api: management for ResetMessageOffset", t.API)
	}
	if e := strings.TrimSpace(t.Engine); e != "" && e != "kafka" {
		return nil, fmt.Errorf("engine %q does not apply to huaweikafka (its engine is kafka); leave it out", t.Engine)
	}
	return p, nil
}

// Kind implements reset.Provider.
func (p *Provider) Kind() string { return "huaweikafka" }

// Capabilities implements reset.Provider: every form, partition subsets and exact offsets; the
// group must be empty (seeds 001/004: no reset while consumers are online).
func (p *Provider) Capabilities() reset.Capabilities {
	return reset.Capabilities{
		Forms:        reset.AllForms,
		Partitions:   true,
		ExactOffsets: true,
		Guard:        reset.GuardEmpty,
		Describe:     "Huawei DMS for Kafka supports every target",
	}
}

func (p *Provider) call(ctx context.Context, op huaweicloud.Op, what string, fn func(*kafka.KafkaClient) error) error {
	return p.Cloud.Call(ctx, op, what, func(hc *core.HcHttpClient) error { return fn(kafka.NewKafkaClient(hc)) })
}

// Snapshot implements reset.Provider: ShowGroups gives the state, members and committed offsets;
// ListTopicPartitions (one call per topic, concurrently) gives every partition's log bounds. With
// topics named, every partition of them is a row; with none, the rows are the partitions the group
// has committed offsets for (as kafka-consumer-groups --all-topics).
func (p *Provider) Snapshot(ctx context.Context, q reset.Query) (*reset.Snapshot, error) {
	g, err := p.showGroup(ctx, q.Group)
	if err != nil {
		return nil, err
	}
	snap := &reset.Snapshot{}
	type tp = reset.TopicPartition
	committed, logEnd := map[tp]int64{}, map[tp]int64{}
	var groupTopics []string
	if g != nil {
		snap.State = deref(g.State)
		for _, m := range deref(g.Members) {
			snap.Members = append(snap.Members, reset.Member{ID: deref(m.MemberId), ClientID: deref(m.ClientId),
				Host: strings.TrimPrefix(deref(m.Host), "/")})
		}
		seen := map[string]bool{}
		for _, o := range deref(g.GroupMessageOffsets) {
			if o.Topic == nil || o.Partition == nil {
				continue
			}
			k := tp{Topic: *o.Topic, Partition: *o.Partition}
			if o.MessageCurrentOffset != nil && *o.MessageCurrentOffset >= 0 {
				committed[k] = *o.MessageCurrentOffset
			}
			if o.MessageLogEndOffset != nil {
				logEnd[k] = *o.MessageLogEndOffset
			}
			if !seen[*o.Topic] {
				seen[*o.Topic] = true
				groupTopics = append(groupTopics, *o.Topic)
			}
		}
	}
	topics := q.Topics
	if len(topics) == 0 {
		sort.Strings(groupTopics)
		topics = groupTopics
	}
	if len(topics) == 0 {
		return snap, nil
	}
	parts, err := p.partitions(ctx, topics)
	if err != nil {
		return nil, err
	}
	whole := map[wholeKey]bool{}
	for i, t := range topics {
		all := true
		for _, pt := range parts[i] {
			if pt.Partition == nil {
				all = false
				continue
			}
			k := tp{Topic: t, Partition: *pt.Partition}
			row := reset.PartitionState{Topic: t, Partition: k.Partition}
			if c, ok := committed[k]; ok {
				row.Committed = reset.Int64(c)
			} else if len(q.Topics) == 0 {
				all = false
				continue
			}
			switch {
			case pt.StartOffset == nil || pt.LastOffset == nil:
				row.Err = fmt.Errorf("ListTopicPartitions gave no start or last offset for %s/%d", t, k.Partition)
			default:
				// last_offset is the log end offset (message_count = last − start). The two reads are
				// not atomic and log ends only grow, so the larger of the two is the newer.
				row.Start, row.End = reset.Int64(*pt.StartOffset), reset.Int64(max(*pt.LastOffset, logEnd[k]))
			}
			snap.Rows = append(snap.Rows, row)
		}
		whole[wholeKey{q.Group, t, len(q.Topics) > 0}] = all
	}
	p.mu.Lock()
	for k, v := range whole {
		p.whole[k] = v
	}
	p.mu.Unlock()
	return snap, nil
}

// showGroup is one ShowGroups call: state, members and every committed offset of the group.
func (p *Provider) showGroup(ctx context.Context, group string) (*model.ShowGroupsRespGroup, error) {
	var g *model.ShowGroupsRespGroup
	err := p.call(ctx, opShowGroups, "ShowGroups "+group, func(c *kafka.KafkaClient) error {
		resp, err := c.ShowGroups(&model.ShowGroupsRequest{InstanceId: p.instance, Group: group})
		if err == nil {
			g = resp.Group
		}
		return err
	})
	if err != nil {
		return nil, p.notFound(err, fmt.Sprintf("group %q", group), "check the group name")
	}
	return g, nil
}

// Committed implements reset.CommittedReader: the read-back after a reset is one ShowGroups call,
// not another ListTopicPartitions per topic.
func (p *Provider) Committed(ctx context.Context, q reset.Query) (map[reset.TopicPartition]int64, error) {
	g, err := p.showGroup(ctx, q.Group)
	if err != nil || g == nil {
		return nil, err
	}
	out := map[reset.TopicPartition]int64{}
	for _, o := range deref(g.GroupMessageOffsets) {
		if o.Topic != nil && o.Partition != nil && o.MessageCurrentOffset != nil && *o.MessageCurrentOffset >= 0 {
			out[reset.TopicPartition{Topic: *o.Topic, Partition: *o.Partition}] = *o.MessageCurrentOffset
		}
	}
	return out, nil
}

// partitions lists every partition of every topic, one ListTopicPartitions call per page, the
// topics concurrently under the limiter. An unknown topic is the caller's mistake.
func (p *Provider) partitions(ctx context.Context, topics []string) ([][]model.KafkaTopicPartitionResponsePartitions, error) {
	out := make([][]model.KafkaTopicPartitionResponsePartitions, len(topics))
	errs := make([]error, len(topics))
	var wg sync.WaitGroup
	for i, t := range topics {
		wg.Go(func() {
			for offset := int32(0); ; {
				var resp *model.ListTopicPartitionsResponse
				err := p.call(ctx, opListTopicPartitions, "ListTopicPartitions "+t, func(c *kafka.KafkaClient) error {
					var err error
					resp, err = c.ListTopicPartitions(&model.ListTopicPartitionsRequest{InstanceId: p.instance, Topic: t,
						Offset: &offset, Limit: ptr(int32(pageSize))})
					return err
				})
				if err != nil {
					errs[i] = p.notFound(err, fmt.Sprintf("topic %q", t), "check the name")
					return
				}
				page := deref(resp.Partitions)
				out[i] = append(out[i], page...)
				offset += int32(len(page))
				if len(page) == 0 || resp.Total == nil || offset >= *resp.Total {
					return
				}
			}
		})
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil && reset.StatusOf(e) == reset.StatusInvalid {
			return nil, e
		}
	}
	if err := firstErr(errs); err != nil {
		return nil, err
	}
	for i := range out {
		sort.Slice(out[i], func(a, b int) bool { return deref(out[i][a].Partition) < deref(out[i][b].Partition) })
	}
	return out, nil
}

// resetCall is one reset request and the moves it covers.
type resetCall struct {
	body  model.ResetMessageOffsetReq
	moves []int
}

// Apply implements reset.Provider. Where the planner lets the target be expressed in the API's
// own terms and the plan covers every partition of a topic, one call per topic with partition -1:
// time:/ago: as timestamp, latest as message_offset MaxInt64 and earliest as message_offset 0
// (both clamped by the service, partition by partition). Otherwise one call per partition with
// message_offset (offsets, shifts, pinned plans, subsets) — or with the timestamp or latest/earliest
// in own terms for subsets. Calls run concurrently under the target's limiter.
func (p *Provider) Apply(ctx context.Context, a *reset.Apply) ([]reset.Outcome, error) {
	var calls []*resetCall
	byTopic := map[string]*resetCall{}
	p.mu.Lock()
	whole := map[string]bool{}
	for _, m := range a.Moves {
		whole[m.Topic] = p.whole[wholeKey{a.Group, m.Topic, !a.AllTopics}]
	}
	p.mu.Unlock()
	for i, m := range a.Moves {
		body := model.ResetMessageOffsetReq{Topic: m.Topic, Partition: m.Partition}
		switch {
		case a.InOwnTerms && a.To.IsTime():
			body.Timestamp = ptr(a.Millis)
		case a.InOwnTerms && a.To.Form == reset.FormLatest:
			body.MessageOffset = ptr(int64(Latest))
		case a.InOwnTerms && a.To.Form == reset.FormEarliest:
			body.MessageOffset = ptr(int64(0))
		case m.Offset != nil:
			body.MessageOffset = ptr(*m.Offset)
		default:
			return nil, fmt.Errorf("internal error: no resolved offset for %s/%d", m.Topic, m.Partition)
		}
		if a.InOwnTerms && a.AllPartitions && whole[m.Topic] {
			if c, ok := byTopic[m.Topic]; ok {
				c.moves = append(c.moves, i)
				continue
			}
			body.Partition = -1
			c := &resetCall{body: body, moves: []int{i}}
			byTopic[m.Topic] = c
			calls = append(calls, c)
			continue
		}
		calls = append(calls, &resetCall{body: body, moves: []int{i}})
	}

	out := make([]reset.Outcome, len(a.Moves))
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Go(func() {
			if err := p.reset(ctx, a.Group, c.body); err != nil {
				for _, i := range c.moves {
					out[i].Err = err
				}
			}
		})
	}
	wg.Wait()
	return out, nil
}

func (p *Provider) reset(ctx context.Context, group string, body model.ResetMessageOffsetReq) error {
	op := opResetEngine
	if p.Management {
		op = opResetManagement
	}
	where := fmt.Sprintf("topic %s", body.Topic)
	if body.Partition >= 0 {
		where = fmt.Sprintf("%s/%d", body.Topic, body.Partition)
	}
	what := fmt.Sprintf("%s of group %s on %s", op.Name, group, where)
	err := p.call(ctx, op, what, func(c *kafka.KafkaClient) error {
		b := body
		var err error
		if p.Management {
			_, err = c.ResetMessageOffset(&model.ResetMessageOffsetRequest{InstanceId: p.instance, Group: group, Body: &b})
		} else {
			_, err = c.ResetMessageOffsetWithEngine(&model.ResetMessageOffsetWithEngineRequest{InstanceId: p.instance, Group: group, Body: &b})
		}
		return err
	})
	var ae *huaweicloud.APIError
	if errors.As(err, &ae) {
		switch ae.Status {
		case http.StatusNotFound:
			return fmt.Errorf("%s: %s; the group or topic no longer exists", what, err)
		case http.StatusBadRequest:
			return fmt.Errorf("%s was refused: %s; if consumers of group %s came back online, stop them and retry", what, err, group)
		}
	}
	return err
}

// notFound turns a 404 into an invalid-input error about what; other errors pass unchanged.
func (p *Provider) notFound(err error, what, fix string) error {
	var ae *huaweicloud.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return reset.Invalid("%s does not exist on target %s (instance %s): %s; %s", what, p.name, p.instance, ae.Error(), fix)
	}
	return err
}

func firstErr(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

func deref[T any](v *T) T {
	var zero T
	if v == nil {
		return zero
	}
	return *v
}
