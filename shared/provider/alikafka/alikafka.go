// Package alikafka is the provider for ApsaraMQ for Kafka through its OpenAPI (alikafka
// 2019-09-16): GetConsumerList to list groups, GetConsumerProgress and GetTopicStatus to plan,
// UpdateConsumerOffset to write.
package alikafka

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/alikafka"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/aliyun"
	"offsetreset/shared/reset"
)

// Kind is the provider name in the config.
const Kind = "alikafka"

// MaxOffsetsPerCall bounds the partitions of one UpdateConsumerOffset call: the Offsets JSON
// travels in the query string, and a topic with thousands of partitions would make a URL no
// gateway accepts. A bigger topic takes several calls, each with absolute offsets.
const MaxOffsetsPerCall = 256

// TimeSubsetInvalid is the answer to a point in time for a partition subset.
const TimeSubsetInvalid = "ApsaraMQ for Kafka applies a point in time (time:, ago:) to whole topics only, and it cannot look up the offset of a time for single partitions; leave partitions out, or give the offset with offset:N"

// Provider talks to one ApsaraMQ for Kafka instance.
type Provider struct {
	// API is the signed-call client; tests tune its Limiter and Timeout.
	API      *aliyun.Client
	instance string
}

// DefaultHost is the public OpenAPI endpoint of a region.
func DefaultHost(region string) string { return "alikafka." + region + ".aliyuncs.com" }

// New checks an alikafka target: region and instance are required.
func New(name string, t config.Target) (reset.Provider, error) {
	c, err := aliyun.NewClient(name, Kind, t, DefaultHost)
	if err != nil {
		return nil, err
	}
	return &Provider{API: c, instance: t.Instance}, nil
}

// Kind implements reset.Provider.
func (p *Provider) Kind() string { return Kind }

// Capabilities implements reset.Provider: every form, partition subsets and exact offsets. The
// API shows no group members, so there is no guard to check before writing; the service itself
// refuses while consumers are online, and that refusal is reported as refused.
func (p *Provider) Capabilities() reset.Capabilities {
	return reset.Capabilities{
		Forms:           reset.AllForms,
		Partitions:      true,
		TimeWholeTopics: true,
		TimeSubset:      TimeSubsetInvalid,
		ExactOffsets:    true,
		Guard:           reset.GuardNone,
		Describe:        "ApsaraMQ for Kafka supports every target; a point in time (time:, ago:) applies to whole topics",
	}
}

// RAMActions are the RAM actions behind the API operations this provider calls, as the API
// reference lists them (they are not named after the operations).
var RAMActions = map[string]string{
	"GetConsumerList":      "alikafka:ListGroup",
	"GetConsumerProgress":  "alikafka:ListGroup",
	"GetTopicStatus":       "alikafka:ListTopic",
	"UpdateConsumerOffset": "alikafka:UpdateGroup",
}

func (p *Provider) call(api, what string) aliyun.Call {
	return aliyun.Call{What: api + " " + what, API: api, RAM: RAMActions[api]}
}

// check turns Success false into an error: for a write of group (group != ""), the refusal for
// online consumers; otherwise the service's code and message.
func (p *Provider) check(what, group string, success bool, code int, msg, requestID string) error {
	if success {
		return nil
	}
	if group != "" && isOnline(msg) {
		return reset.Refused("group %s has consumers online, and ApsaraMQ for Kafka resets offsets only while none is running (the service said: %s); stop the consumers, wait for their sessions to time out (10 s by default) and retry",
			group, strings.TrimSuffix(msg, "."))
	}
	return &aliyun.APIError{What: what, Status: 200, Code: strconv.Itoa(code), Message: msg, RequestID: requestID}
}

// isOnline recognises the service's refusal to reset a group whose consumers run. The exact
// wording is not documented; it names the consumers (or group) and says online, active or
// running.
func isOnline(msg string) bool {
	m := strings.ToLower(msg)
	if !strings.Contains(m, "consumer") && !strings.Contains(m, "group") {
		return false
	}
	for _, w := range []string{"online", "active", "running", "in use", "not empty"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}

func notFound(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "not exist") || strings.Contains(m, "not found") || strings.Contains(m, "notexist")
}

func (p *Provider) progress(ctx context.Context, group string) (*alikafka.GetConsumerProgressResponse, error) {
	call := p.call("GetConsumerProgress", "of group "+group)
	resp, err := aliyun.Do(ctx, p.API, call, func() (requests.AcsRequest, *alikafka.GetConsumerProgressResponse) {
		req := alikafka.CreateGetConsumerProgressRequest()
		req.InstanceId = p.instance
		req.ConsumerId = group
		return req, alikafka.CreateGetConsumerProgressResponse()
	}, func(r *alikafka.GetConsumerProgressResponse) error {
		return p.check(call.What, "", r.Success, r.Code, r.Message, r.RequestId)
	})
	if err != nil {
		if api := (*aliyun.APIError)(nil); errors.As(err, &api) && notFound(api.Message) {
			return nil, reset.Invalid("group %q was not found on target %s (%s); check the group name", group, p.API.Target, strings.TrimSuffix(api.Message, "."))
		}
		return nil, err
	}
	return resp, nil
}

func (p *Provider) topicStatus(ctx context.Context, topic string) (*alikafka.GetTopicStatusResponse, error) {
	call := p.call("GetTopicStatus", "of topic "+topic)
	resp, err := aliyun.Do(ctx, p.API, call, func() (requests.AcsRequest, *alikafka.GetTopicStatusResponse) {
		req := alikafka.CreateGetTopicStatusRequest()
		req.InstanceId = p.instance
		req.Topic = topic
		return req, alikafka.CreateGetTopicStatusResponse()
	}, func(r *alikafka.GetTopicStatusResponse) error {
		return p.check(call.What, "", r.Success, r.Code, r.Message, r.RequestId)
	})
	if err != nil {
		if api := (*aliyun.APIError)(nil); errors.As(err, &api) && notFound(api.Message) {
			return nil, reset.Invalid("topic %q does not exist on target %s (%s); check the name", topic, p.API.Target, strings.TrimSuffix(api.Message, "."))
		}
		return nil, err
	}
	return resp, nil
}

// Snapshot implements reset.Provider: one GetConsumerProgress for the committed offsets (and,
// without topics, the topic list), then one GetTopicStatus per topic for every partition's
// log start and end. A group with 2,000 partitions on one topic costs two calls.
func (p *Provider) Snapshot(ctx context.Context, q reset.Query) (*reset.Snapshot, error) {
	prog, err := p.progress(ctx, q.Group)
	if err != nil {
		return nil, err
	}
	committed := map[string]map[int32]alikafka.OffsetListItem{}
	var listed []string
	for _, t := range prog.ConsumerProgress.TopicList.TopicListItem {
		m := map[int32]alikafka.OffsetListItem{}
		for _, o := range t.OffsetList.OffsetListItem {
			m[int32(o.Partition)] = o
		}
		committed[t.Topic] = m
		listed = append(listed, t.Topic)
	}
	topics := q.Topics
	if len(topics) == 0 {
		topics = listed
	}
	sort.Strings(topics)
	snap := &reset.Snapshot{}
	if len(topics) == 0 {
		return snap, nil
	}

	statuses := make([]*alikafka.GetTopicStatusResponse, len(topics))
	errs := make([]error, len(topics))
	var wg sync.WaitGroup
	for i, t := range topics {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], errs[i] = p.topicStatus(ctx, t)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}

	for i, t := range topics {
		seen := map[int32]bool{}
		items := statuses[i].TopicStatus.OffsetTable.OffsetTableItem
		sort.Slice(items, func(a, b int) bool { return items[a].Partition < items[b].Partition })
		for _, it := range items {
			part := int32(it.Partition)
			if seen[part] {
				continue
			}
			seen[part] = true
			row := reset.PartitionState{Topic: t, Partition: part, Start: reset.Int64(it.MinOffset), End: reset.Int64(it.MaxOffset)}
			if o, ok := committed[t][part]; ok && o.ConsumerOffset >= 0 {
				row.Committed = reset.Int64(o.ConsumerOffset)
			}
			snap.Rows = append(snap.Rows, row)
		}
		// Partitions the progress names but the topic status does not (a partition added in
		// between): the broker offset is the end, the start is unknown.
		var extra []int32
		for part := range committed[t] {
			if !seen[part] {
				extra = append(extra, part)
			}
		}
		sort.Slice(extra, func(a, b int) bool { return extra[a] < extra[b] })
		for _, part := range extra {
			o := committed[t][part]
			row := reset.PartitionState{Topic: t, Partition: part, End: reset.Int64(o.BrokerOffset)}
			if o.ConsumerOffset >= 0 {
				row.Committed = reset.Int64(o.ConsumerOffset)
			}
			snap.Rows = append(snap.Rows, row)
		}
	}
	return snap, nil
}

// Apply implements reset.Provider.
//
// In its own terms (latest, earliest, a point in time; every partition moves): ResetType
// timestamp with Time -1, -2 or the instant in ms; with no topics named, one call with Topic
// omitted for the whole group, else one call per topic. Otherwise (offset:, shift:, a pinned
// plan, a partition subset): ResetType offset with the absolute per-partition Offsets, one topic
// per call. A failed call fails the moves of its topic; when no call succeeded nothing was
// written and the first error is returned.
func (p *Provider) Apply(ctx context.Context, a *reset.Apply) ([]reset.Outcome, error) {
	out := make([]reset.Outcome, len(a.Moves))
	var order []string
	byTopic := map[string][]int{}
	for i, m := range a.Moves {
		if _, ok := byTopic[m.Topic]; !ok {
			order = append(order, m.Topic)
		}
		byTopic[m.Topic] = append(byTopic[m.Topic], i)
	}

	if a.InOwnTerms && a.AllPartitions {
		tm := timeParam(a)
		if a.AllTopics {
			if err := p.update(ctx, a.Group, "", "timestamp", tm, nil); err != nil {
				return nil, err
			}
			return out, nil
		}
		return p.perTopic(order, byTopic, out, func(topic string) error {
			return p.update(ctx, a.Group, topic, "timestamp", tm, nil)
		})
	}

	if a.To.IsTime() {
		for _, m := range a.Moves {
			if m.Offset == nil {
				return nil, reset.Invalid("%s", TimeSubsetInvalid)
			}
		}
	}
	return p.perTopic(order, byTopic, out, func(topic string) error {
		var offsets []alikafka.UpdateConsumerOffsetOffsets
		var missing []string
		for _, i := range byTopic[topic] {
			m := a.Moves[i]
			if m.Offset == nil {
				missing = append(missing, strconv.Itoa(int(m.Partition)))
				continue
			}
			offsets = append(offsets, alikafka.UpdateConsumerOffsetOffsets{Partition: strconv.Itoa(int(m.Partition)), Offset: strconv.FormatInt(*m.Offset, 10)})
		}
		if len(missing) > 0 {
			return fmt.Errorf("the target offset of partition(s) %s of topic %s is unknown (the log bounds could not be read); nothing was written for this topic", strings.Join(missing, ", "), topic)
		}
		for start := 0; start < len(offsets); start += MaxOffsetsPerCall {
			chunk := offsets[start:min(start+MaxOffsetsPerCall, len(offsets))]
			if err := p.update(ctx, a.Group, topic, "offset", "", chunk); err != nil {
				return err
			}
		}
		return nil
	})
}

// perTopic runs one write per topic in order. A refusal stops the rest.
func (p *Provider) perTopic(order []string, byTopic map[string][]int, out []reset.Outcome, write func(topic string) error) ([]reset.Outcome, error) {
	done := 0
	var first error
	for k, topic := range order {
		err := write(topic)
		if err == nil {
			done++
			continue
		}
		if first == nil {
			first = err
		}
		if reset.StatusOf(err) == reset.StatusRefused {
			if done == 0 {
				return nil, err
			}
			for _, t := range order[k:] {
				for _, i := range byTopic[t] {
					out[i].Err = err
				}
			}
			return out, nil
		}
		for _, i := range byTopic[topic] {
			out[i].Err = err
		}
	}
	if done == 0 && first != nil {
		return nil, first
	}
	return out, nil
}

func timeParam(a *reset.Apply) string {
	switch a.To.Form {
	case reset.FormLatest:
		return "-1"
	case reset.FormEarliest:
		return "-2"
	}
	return strconv.FormatInt(a.Millis, 10)
}

// update is one UpdateConsumerOffset call; topic "" resets every subscribed topic.
func (p *Provider) update(ctx context.Context, group, topic, resetType, tm string, offsets []alikafka.UpdateConsumerOffsetOffsets) error {
	what := "of group " + group
	if topic != "" {
		what += " on topic " + topic
	} else {
		what += " on all its topics"
	}
	call := p.call("UpdateConsumerOffset", what)
	_, err := aliyun.Do(ctx, p.API, call, func() (requests.AcsRequest, *alikafka.UpdateConsumerOffsetResponse) {
		req := alikafka.CreateUpdateConsumerOffsetRequest()
		req.InstanceId = p.instance
		req.ConsumerId = group
		req.Topic = topic
		req.ResetType = resetType
		req.Time = tm
		if offsets != nil {
			o := append([]alikafka.UpdateConsumerOffsetOffsets(nil), offsets...)
			req.Offsets = &o
		}
		return req, alikafka.CreateUpdateConsumerOffsetResponse()
	}, func(r *alikafka.UpdateConsumerOffsetResponse) error {
		return p.check(call.What, group, r.Success, r.Code, r.Message, r.RequestId)
	})
	return err
}
