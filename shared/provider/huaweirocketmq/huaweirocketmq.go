// Package huaweirocketmq is the provider for Huawei Cloud DMS for RocketMQ through its management
// API (SDK services/rocketmq/v2): ListInstanceConsumerGroups to list groups,
// ShowConsumerConnections and ShowConsumerListOrDetails to plan, ResetConsumeOffset to write.
//
// The API resets a whole topic to a point in time (timestamp, a string of Unix milliseconds), so
// this provider supports latest, earliest, time: and ago:, never exact offsets or single queues:
//   - time:T and ago:D send T in milliseconds;
//   - earliest sends "0": every queue moves to its first message (a time before every message);
//   - latest sends the current time plus one minute: a time after the newest message, so every
//     queue moves to its max offset (the minute absorbs clock skew between this function and the
//     brokers).
//
// Huawei documents that the reset works only while a consumer of the group is online (the brokers
// push the new offsets to the consumers), so the guard checks ShowConsumerConnections.
package huaweirocketmq

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core"
	rocketmq "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/rocketmq/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/rocketmq/v2/model"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/huaweicloud"
	"offsetreset/shared/reset"
)

// IAM actions of the calls: role/policy-based authorization, then identity policies.
var (
	opConsumerList  = huaweicloud.Op{Name: "ShowConsumerListOrDetails", Action: "dms:instance:get (identity policies: dms:group:get)"}
	opConnections   = huaweicloud.Op{Name: "ShowConsumerConnections", Action: "dms:instance:get (identity policies: dms:group:get)"}
	opResetConsumer = huaweicloud.Op{Name: "ResetConsumeOffset", Action: "dms:instance:modify (identity policies: dms:group:resetConsumeOffset)"}
)

// LatestAhead is how far past the current time `latest` is sent.
const LatestAhead = time.Minute

// pageSize is ShowConsumerListOrDetails' largest limit.
const pageSize = 50

// Describe is the sentence the planner shows for forms and queue subsets the API cannot express.
const Describe = "Huawei DMS for RocketMQ resets whole topics to a point in time: latest, earliest, time:T or ago:D"

// Provider resets consumer groups of one DMS for RocketMQ instance.
type Provider struct {
	name     string
	instance string
	engine   string
	// Cloud is the target's API access (endpoint, credentials, limiter); tests tune its Limiter.
	Cloud *huaweicloud.Client
	// Now is the clock `latest` is measured from; time.Now when nil.
	Now func() time.Time

	mu sync.Mutex
	// rowOf maps group → topic → "broker/queue" → row number, from the last Snapshot.
	rowOf map[string]map[string]map[string]int32
}

// New checks a huaweirocketmq target: region or endpoint, project, instance, and engine
// (reliability, the default, or rocketmq). It contacts nothing.
func New(name string, t config.Target) (reset.Provider, error) {
	c, err := huaweicloud.NewClient(name, t)
	if err != nil {
		return nil, err
	}
	engine := strings.TrimSpace(t.Engine)
	switch engine {
	case "":
		engine = "reliability"
	case "reliability", "rocketmq":
	default:
		return nil, fmt.Errorf("engine %q is not a DMS for RocketMQ engine; use reliability (the default) or rocketmq", t.Engine)
	}
	if t.API != "" {
		return nil, fmt.Errorf("api %q does not apply to huaweirocketmq; leave it out", t.API)
	}
	return &Provider{name: name, instance: strings.TrimSpace(t.Instance), engine: engine, Cloud: c,
		rowOf: map[string]map[string]map[string]int32{}}, nil
}

// Kind implements reset.Provider.
func (p *Provider) Kind() string { return "huaweirocketmq" }

// Capabilities implements reset.Provider: points in time only, whole topics, no exact offsets, and
// a consumer must be online.
func (p *Provider) Capabilities() reset.Capabilities {
	return reset.Capabilities{
		Forms:    []reset.Form{reset.FormLatest, reset.FormEarliest, reset.FormTime, reset.FormAgo},
		Guard:    reset.GuardOnline,
		Describe: Describe,
	}
}

func (p *Provider) call(ctx context.Context, op huaweicloud.Op, what string, fn func(*rocketmq.RocketMQClient) error) error {
	return p.Cloud.Call(ctx, op, what, func(hc *core.HcHttpClient) error { return fn(rocketmq.NewRocketMQClient(hc)) })
}

// Snapshot implements reset.Provider: whether a consumer is online (ShowConsumerConnections), the
// topics (ShowConsumerListOrDetails without topic, when the command names none) and one row per
// queue (ShowConsumerListOrDetails with the topic, one call per topic, concurrently): committed =
// consumer offset, end = broker offset. The API gives no queue's min offset, so log start is
// unknown. Queue ids restart on every broker; rows number a topic's queues across its brokers in
// name order (with a note when there is more than one broker).
func (p *Provider) Snapshot(ctx context.Context, q reset.Query) (*reset.Snapshot, error) {
	var conn *model.ShowConsumerConnectionsResponse
	err := p.call(ctx, opConnections, "ShowConsumerConnections "+q.Group, func(c *rocketmq.RocketMQClient) error {
		var err error
		conn, err = c.ShowConsumerConnections(&model.ShowConsumerConnectionsRequest{InstanceId: p.instance, Group: q.Group, Limit: ptr(int32(10))})
		return err
	})
	if err != nil {
		return nil, p.notFound(err, fmt.Sprintf("group %q", q.Group), "check the group name")
	}
	online := len(deref(conn.Clients)) > 0 || deref(conn.Total) > 0
	if conn.Online != nil {
		online = online || *conn.Online
	}
	snap := &reset.Snapshot{Online: &online}

	topics := q.Topics
	if len(topics) == 0 {
		if topics, err = p.topics(ctx, q.Group); err != nil {
			return nil, err
		}
	}
	details := make([]*model.ShowConsumerListOrDetailsResponse, len(topics))
	errs := make([]error, len(topics))
	var wg sync.WaitGroup
	for i, t := range topics {
		wg.Go(func() {
			errs[i] = p.call(ctx, opConsumerList, fmt.Sprintf("ShowConsumerListOrDetails %s/%s", q.Group, t), func(c *rocketmq.RocketMQClient) error {
				var err error
				details[i], err = c.ShowConsumerListOrDetails(&model.ShowConsumerListOrDetailsRequest{InstanceId: p.instance, Group: q.Group, Topic: &t})
				return err
			})
			errs[i] = p.notFound(errs[i], fmt.Sprintf("topic %q (or the group's consumer offsets on it)", t), "check the topic name and that group "+q.Group+" consumes it")
		})
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil && reset.StatusOf(e) == reset.StatusInvalid {
			return nil, e
		}
	}
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	rowOf := map[string]map[string]int32{}
	for i, t := range topics {
		rows, mapping := p.rows(ctx, t, details[i])
		snap.Rows = append(snap.Rows, rows...)
		rowOf[t] = mapping
	}
	p.mu.Lock()
	p.rowOf[q.Group] = rowOf
	p.mu.Unlock()
	return snap, nil
}

// topics lists the topics the group consumes, page by page.
func (p *Provider) topics(ctx context.Context, group string) ([]string, error) {
	var out []string
	for offset := int32(0); ; {
		var resp *model.ShowConsumerListOrDetailsResponse
		err := p.call(ctx, opConsumerList, "ShowConsumerListOrDetails "+group, func(c *rocketmq.RocketMQClient) error {
			var err error
			resp, err = c.ShowConsumerListOrDetails(&model.ShowConsumerListOrDetailsRequest{InstanceId: p.instance, Group: group,
				Limit: ptr(int32(pageSize)), Offset: &offset})
			return err
		})
		if err != nil {
			return nil, p.notFound(err, fmt.Sprintf("group %q", group), "check the group name")
		}
		page := deref(resp.Topics)
		out = append(out, page...)
		offset += int32(len(page))
		if len(page) == 0 || resp.Total == nil || offset >= *resp.Total {
			break
		}
	}
	sort.Strings(out)
	return out, nil
}

type queueRef struct {
	broker string
	q      model.Queue
}

// rows turns one topic's detail into rows and the broker/queue → row mapping.
func (p *Provider) rows(ctx context.Context, topic string, d *model.ShowConsumerListOrDetailsResponse) ([]reset.PartitionState, map[string]int32) {
	var refs []queueRef
	brokers := map[string]int{}
	for _, b := range deref(d.Brokers) {
		for _, q := range deref(b.Queues) {
			if q.Id == nil {
				continue
			}
			refs = append(refs, queueRef{deref(b.BrokerName), q})
			brokers[deref(b.BrokerName)]++
		}
	}
	if len(refs) == 0 {
		// No queue detail: one row for the whole topic, with the lag the API reports.
		return []reset.PartitionState{{Topic: topic, Partition: -1, Lag: d.Lag}}, nil
	}
	sort.Slice(refs, func(i, j int) bool {
		if refs[i].broker != refs[j].broker {
			return refs[i].broker < refs[j].broker
		}
		return *refs[i].q.Id < *refs[j].q.Id
	})
	mapping := map[string]int32{}
	var rows []reset.PartitionState
	var ranges []string
	for i, r := range refs {
		n := *r.q.Id
		if len(brokers) > 1 {
			n = int32(i)
			if i == 0 || refs[i-1].broker != r.broker {
				last := i + brokers[r.broker] - 1
				ranges = append(ranges, fmt.Sprintf("%s queues %d–%d are rows %d–%d", r.broker, *r.q.Id, *refs[last].q.Id, i, last))
			}
		}
		mapping[queueKey(r.broker, *r.q.Id)] = n
		rows = append(rows, reset.PartitionState{Topic: topic, Partition: n,
			Committed: r.q.ConsumerOffset, End: r.q.BrokerOffset, Lag: r.q.Lag})
	}
	if len(ranges) > 0 {
		reset.AddNote(ctx, "topic %s has queues on %d brokers; its rows number them across brokers: %s", topic, len(brokers), strings.Join(ranges, ", "))
	}
	return rows, mapping
}

func queueKey(broker string, id int32) string { return broker + "/" + strconv.Itoa(int(id)) }

// Apply implements reset.Provider: one ResetConsumeOffset per topic (concurrently under the
// limiter) with the timestamp of the target; each queue's after-state is the offset the call
// returns for it.
func (p *Provider) Apply(ctx context.Context, a *reset.Apply) ([]reset.Outcome, error) {
	if !a.InOwnTerms {
		return nil, reset.Invalid("Huawei DMS for RocketMQ cannot set exact queue offsets, so a plan with pinned offsets cannot be applied; reset to latest, earliest, time:T or ago:D instead")
	}
	var ts int64
	switch {
	case a.To.IsTime():
		ts = a.Millis
	case a.To.Form == reset.FormEarliest:
		ts = 0
	case a.To.Form == reset.FormLatest:
		now := time.Now
		if p.Now != nil {
			now = p.Now
		}
		ts = now().Add(LatestAhead).UnixMilli()
	default:
		return nil, reset.Invalid("huaweirocketmq targets cannot be reset to %s: %s", a.To.Form, Describe)
	}
	var topics []string
	moves := map[string][]int{}
	for i, m := range a.Moves {
		if _, ok := moves[m.Topic]; !ok {
			topics = append(topics, m.Topic)
		}
		moves[m.Topic] = append(moves[m.Topic], i)
	}
	p.mu.Lock()
	rowOf := p.rowOf[a.Group]
	p.mu.Unlock()

	out := make([]reset.Outcome, len(a.Moves))
	var wg sync.WaitGroup
	for _, t := range topics {
		wg.Go(func() {
			queues, err := p.reset(ctx, a.Group, t, ts)
			after := map[int32]int64{}
			mapping := rowOf[t]
			if mapping == nil {
				mapping = numbering(queues)
			}
			for _, q := range queues {
				if q.QueueId == nil || q.TimestampOffset == nil {
					continue
				}
				if n, ok := mapping[queueKey(deref(q.BrokerName), *q.QueueId)]; ok {
					after[n] = *q.TimestampOffset
				}
			}
			for _, i := range moves[t] {
				if err != nil {
					out[i].Err = err
					continue
				}
				if v, ok := after[a.Moves[i].Partition]; ok && a.Moves[i].Partition >= 0 {
					out[i].After = reset.Int64(v)
				}
			}
		})
	}
	wg.Wait()
	return out, nil
}

// numbering is the row numbering of Snapshot, rebuilt from a reset's answer.
func numbering(queues []model.ResetConsumeOffsetRespQueues) map[string]int32 {
	brokers := map[string]bool{}
	var keys []queueRef
	for _, q := range queues {
		if q.QueueId != nil {
			brokers[deref(q.BrokerName)] = true
			keys = append(keys, queueRef{broker: deref(q.BrokerName), q: model.Queue{Id: q.QueueId}})
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].broker != keys[j].broker {
			return keys[i].broker < keys[j].broker
		}
		return *keys[i].q.Id < *keys[j].q.Id
	})
	m := map[string]int32{}
	for i, k := range keys {
		n := *k.q.Id
		if len(brokers) > 1 {
			n = int32(i)
		}
		m[queueKey(k.broker, *k.q.Id)] = n
	}
	return m
}

func (p *Provider) reset(ctx context.Context, group, topic string, ts int64) ([]model.ResetConsumeOffsetRespQueues, error) {
	what := fmt.Sprintf("ResetConsumeOffset of group %s on topic %s", group, topic)
	var resp *model.ResetConsumeOffsetResponse
	err := p.call(ctx, opResetConsumer, what, func(c *rocketmq.RocketMQClient) error {
		var err error
		resp, err = c.ResetConsumeOffset(&model.ResetConsumeOffsetRequest{Engine: p.engine, InstanceId: p.instance, Group: group,
			Body: &model.ResetConsumeOffsetReq{Topic: topic, Timestamp: strconv.FormatInt(ts, 10)}})
		return err
	})
	var ae *huaweicloud.APIError
	if errors.As(err, &ae) {
		switch ae.Status {
		case http.StatusNotFound:
			return nil, fmt.Errorf("%s: %s; the group or topic no longer exists", what, err)
		case http.StatusBadRequest:
			return nil, fmt.Errorf("%s was refused: %s; a consumer of group %s must be online (and the group must not consume in broadcast mode)", what, err, group)
		}
	}
	if err != nil {
		return nil, err
	}
	return deref(resp.Queues), nil
}

// notFound turns a 404 into an invalid-input error about what; other errors pass unchanged.
func (p *Provider) notFound(err error, what, fix string) error {
	var ae *huaweicloud.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return reset.Invalid("%s does not exist on target %s (instance %s): %s; %s", what, p.name, p.instance, ae.Error(), fix)
	}
	return err
}

func ptr[T any](v T) *T { return &v }

func deref[T any](v *T) T {
	var zero T
	if v == nil {
		return zero
	}
	return *v
}
