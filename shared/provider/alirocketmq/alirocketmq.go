// Package alirocketmq is the provider for ApsaraMQ for RocketMQ 4.x through its OpenAPI (Ons
// 2019-02-14): OnsGroupList to list groups, OnsConsumerAccumulate to plan, OnsConsumerTimeSpan to
// place earliest and points in time, OnsConsumerResetOffset to write. The API moves a group on a
// whole topic by time only: there are no per-queue offsets, so rows are per topic (partition -1)
// and there is no undo.
package alirocketmq

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ons"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/aliyun"
	"offsetreset/shared/reset"
)

// Kind is the provider name in the config.
const Kind = "alirocketmq"

// Describe is what RocketMQ 4.x can do, for the invalid answer to anything else.
const Describe = "ApsaraMQ for RocketMQ 4.x moves a group on a whole topic to latest, earliest or a point in time (time:T, ago:D); it cannot set offsets (offset:N, shift:±N) or move single queues"

// Provider talks to one RocketMQ 4.x instance.
type Provider struct {
	// API is the signed-call client; tests tune its Limiter and Timeout.
	API      *aliyun.Client
	instance string
}

// DefaultHost is the OpenAPI endpoint of a region (the SDK's table where it has one).
func DefaultHost(region string) string {
	if h, ok := ons.GetEndpointMap()[region]; ok {
		return h
	}
	return "ons." + region + ".aliyuncs.com"
}

// New checks an alirocketmq target: region and instance are required.
func New(name string, t config.Target) (reset.Provider, error) {
	c, err := aliyun.NewClient(name, Kind, t, DefaultHost)
	if err != nil {
		return nil, err
	}
	return &Provider{API: c, instance: t.Instance}, nil
}

// Kind implements reset.Provider.
func (p *Provider) Kind() string { return Kind }

// Capabilities implements reset.Provider: latest, earliest and points in time, whole topics,
// no exact offsets; resets work while consumers are online.
func (p *Provider) Capabilities() reset.Capabilities {
	return reset.Capabilities{
		Forms:    []reset.Form{reset.FormLatest, reset.FormEarliest, reset.FormTime, reset.FormAgo},
		Guard:    reset.GuardNone,
		Describe: Describe,
	}
}

// RAMActions are the RAM actions behind the API operations this provider calls, as the API
// reference lists them; some versions of the reference also ask for mq:QueryInstanceBaseInfo.
var RAMActions = map[string]string{
	"OnsConsumerAccumulate":  "mq:QueryConsumerAccumulate",
	"OnsConsumerTimeSpan":    "mq:QueryConsumerTimeSpan",
	"OnsConsumerResetOffset": "mq:ResetConsumerOffset",
	"OnsGroupList":           "mq:QueryInstanceBaseInfoList",
}

func call(api, what string) aliyun.Call {
	return aliyun.Call{What: api + " " + what, API: api, RAM: RAMActions[api]}
}

// notFound turns a "no such group/topic" answer into the caller's mistake.
func (p *Provider) notFound(err error, kind, name string) error {
	var api *aliyun.APIError
	if errors.As(err, &api) && strings.Contains(strings.ToUpper(api.Code), strings.ToUpper(kind)) && strings.Contains(strings.ToUpper(api.Code), "NOT_FOUND") {
		return reset.Invalid("%s %q was not found on target %s (%s); check the name", strings.ToLower(kind), name, p.API.Target, strings.TrimSuffix(api.Message, "."))
	}
	return err
}

// internal reports the retry and dead-letter topics RocketMQ keeps per group.
func internal(topic string) bool {
	return strings.HasPrefix(topic, "%RETRY%") || strings.HasPrefix(topic, "%DLQ%")
}

// Snapshot implements reset.Provider with one OnsConsumerAccumulate (Detail=true): one row per
// topic with the backlog as lag. The retry and dead-letter topics of the group are left out
// unless named.
func (p *Provider) Snapshot(ctx context.Context, q reset.Query) (*reset.Snapshot, error) {
	resp, err := aliyun.Do(ctx, p.API, call("OnsConsumerAccumulate", "of group "+q.Group), func() (requests.AcsRequest, *ons.OnsConsumerAccumulateResponse) {
		req := ons.CreateOnsConsumerAccumulateRequest()
		req.InstanceId = p.instance
		req.GroupId = q.Group
		req.Detail = requests.NewBoolean(true)
		return req, ons.CreateOnsConsumerAccumulateResponse()
	}, nil)
	if err != nil {
		return nil, p.notFound(err, "group", q.Group)
	}
	online := resp.Data.Online
	snap := &reset.Snapshot{Online: &online}
	want := map[string]bool{}
	for _, t := range q.Topics {
		want[t] = true
	}
	var skipped []string
	for _, d := range resp.Data.DetailInTopicList.DetailInTopicDo {
		switch {
		case len(want) > 0 && !want[d.Topic]:
			continue
		case len(want) == 0 && internal(d.Topic):
			skipped = append(skipped, d.Topic)
			continue
		}
		snap.Rows = append(snap.Rows, reset.PartitionState{Topic: d.Topic, Partition: -1, Lag: reset.Int64(d.TotalDiff)})
	}
	if len(skipped) > 0 {
		reset.AddNote(ctx, "the group's retry and dead-letter topics (%s) are left alone; name them in topics to move them", strings.Join(skipped, ", "))
	}
	return snap, nil
}

// Apply implements reset.Provider: one OnsConsumerResetOffset per topic. latest is Type 0;
// earliest is Type 1 at the topic's oldest message (OnsConsumerTimeSpan); a point in time is
// Type 1 at that time, placed within the topic's time range first (the API refuses times
// outside it): before the oldest message means the oldest, after the newest means latest.
func (p *Provider) Apply(ctx context.Context, a *reset.Apply) ([]reset.Outcome, error) {
	return aliyun.EachTopic(a.Moves, func(topic string) error { return p.resetTopic(ctx, a, topic) })
}

func (p *Provider) resetTopic(ctx context.Context, a *reset.Apply, topic string) error {
	if a.To.Form == reset.FormLatest {
		return p.reset(ctx, a.Group, topic, 0, 0)
	}
	span, err := p.timeSpan(ctx, a.Group, topic)
	if err != nil {
		return err
	}
	lo, hi := span.Data.MinTimeStamp, span.Data.MaxTimeStamp
	if lo <= 0 && hi <= 0 {
		reset.AddNote(ctx, "topic %s holds no messages: the group was moved to its end (Type 0)", topic)
		return p.reset(ctx, a.Group, topic, 0, 0)
	}
	at := a.Millis
	switch {
	case a.To.Form == reset.FormEarliest:
		at = lo
	case at > hi:
		reset.AddNote(ctx, "no message of topic %s is at or after %s (the newest is from %s): the group was moved to latest (Type 0)", topic, stamp(a.Millis), stamp(hi))
		return p.reset(ctx, a.Group, topic, 0, 0)
	case at < lo:
		reset.AddNote(ctx, "%s is before the oldest retained message of topic %s: the group was moved to that message (%s)", stamp(a.Millis), topic, stamp(lo))
		at = lo
	}
	return p.reset(ctx, a.Group, topic, 1, at)
}

func stamp(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano) }

func (p *Provider) timeSpan(ctx context.Context, group, topic string) (*ons.OnsConsumerTimeSpanResponse, error) {
	resp, err := aliyun.Do(ctx, p.API, call("OnsConsumerTimeSpan", "of group "+group+" on topic "+topic), func() (requests.AcsRequest, *ons.OnsConsumerTimeSpanResponse) {
		req := ons.CreateOnsConsumerTimeSpanRequest()
		req.InstanceId = p.instance
		req.GroupId = group
		req.Topic = topic
		return req, ons.CreateOnsConsumerTimeSpanResponse()
	}, nil)
	if err != nil {
		return nil, p.notFound(err, "topic", topic)
	}
	return resp, nil
}

// reset is one OnsConsumerResetOffset: Type 0 = clear the backlog, Type 1 = go to ms.
func (p *Provider) reset(ctx context.Context, group, topic string, typ int, ms int64) error {
	_, err := aliyun.Do(ctx, p.API, call("OnsConsumerResetOffset", "of group "+group+" on topic "+topic), func() (requests.AcsRequest, *ons.OnsConsumerResetOffsetResponse) {
		req := ons.CreateOnsConsumerResetOffsetRequest()
		req.InstanceId = p.instance
		req.GroupId = group
		req.Topic = topic
		req.Type = requests.NewInteger(typ)
		if typ == 1 {
			req.ResetTimestamp = requests.NewInteger64(ms)
		}
		return req, ons.CreateOnsConsumerResetOffsetResponse()
	}, nil)
	return p.notFound(err, "topic", topic)
}
