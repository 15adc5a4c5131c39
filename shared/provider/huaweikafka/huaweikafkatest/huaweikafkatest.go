// Package huaweikafkatest emulates the Huawei Cloud DMS for Kafka API over HTTP, for tests and the
// demo: the routes the huaweikafka provider calls, with the SDK's paths, methods, signatures and
// error shape, over a model of one instance (topics, partitions with log bounds and message
// timestamps, consumer groups with committed offsets and members).
//
// Routes (H/services/kafka/v2/kafka_meta.go):
//
//	GET  /v2/{project_id}/instances/{instance_id}/groups[?offset=&limit=&group=]                  ListInstanceConsumerGroups
//	GET  /v2/{project_id}/instances/{instance_id}/management/groups/{group}                       ShowGroups
//	GET  /v2/{project_id}/kafka/instances/{instance_id}/topics/{topic}/partitions                 ListTopicPartitions
//	PUT  /v2/kafka/{project_id}/instances/{instance_id}/groups/{group}/reset-message-offset       ResetMessageOffsetWithEngine (204)
//	POST /v2/{project_id}/instances/{instance_id}/management/groups/{group}/reset-message-offset  ResetMessageOffset (204)
//
// ListInstanceConsumerGroups pages through the groups in creation order (offset from 0, limit 1 to
// 50, default 10, as the SDK documents) with the total; group keeps the names that contain it.
//
// Reset rules (seeds 001 and 004): the group must exist and have no members ("Kafka instances do
// not support resetting the consumer offset online"); topic is required; partition -1 resets every
// partition of the topic; exactly one of message_offset and timestamp. message_offset is clamped into
// [start, end]. timestamp resolves to the first message at or after it; earlier than the first
// message gives the log start, later than the last message gives the log end.
//
// Message timestamps are a function of the offset (First + (offset−Start)·Step), so partitions can
// hold offsets far above 2^31 without storing messages. ListTopicPartitions' last_offset is the log
// end offset (the offset the next message gets), so message_count = last_offset − start_offset.
package huaweikafkatest

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"sort"
	"strings"

	"offsetreset/shared/provider/huaweicloud/huaweicloudtest"
)

// Operation names, as recorded in Calls and used for faults.
const (
	OpListInstanceConsumerGroups   = "ListInstanceConsumerGroups"
	OpShowGroups                   = "ShowGroups"
	OpListTopicPartitions          = "ListTopicPartitions"
	OpResetMessageOffsetWithEngine = "ResetMessageOffsetWithEngine"
	OpResetMessageOffset           = "ResetMessageOffset"
)

// Partition is one partition: messages Start..End−1, message o stored at First + (o−Start)·Step ms.
type Partition struct {
	Start, End  int64
	First, Step int64
}

func (p Partition) span() huaweicloudtest.Span {
	return huaweicloudtest.Span{Start: p.Start, End: p.End, First: p.First, Step: p.Step}
}

// Time is the timestamp of message o.
func (p Partition) Time(o int64) int64 { return p.span().Time(o) }

// OffsetAt is the first offset whose message timestamp is ≥ ms, clamped as the seeds say: the log
// start for a time before the first message, the log end for a time after the last.
func (p Partition) OffsetAt(ms int64) int64 { return p.span().OffsetAt(ms) }

// Member is an active member of a group.
type Member struct {
	ID, ClientID, Host string
	// Assignment is topic → partitions.
	Assignment map[string][]int32
}

type group struct {
	state   string // "" = derived from members
	members []Member
	offsets map[string]map[int32]int64
}

// Kafka is a running emulator of one DMS for Kafka instance.
type Kafka struct {
	*huaweicloudtest.DMS
	huaweicloudtest.Model[Partition, group]
}

// Start runs an emulator for instance in project; register keys with AddKey.
func Start(project, instance string) *Kafka {
	dms := huaweicloudtest.NewDMS(project, instance)
	k := &Kafka{DMS: dms, Model: huaweicloudtest.NewModel[Partition](&dms.Mu, func() *group { return &group{offsets: map[string]map[int32]int64{}} })}
	k.Route(OpListInstanceConsumerGroups, "GET /v2/{project_id}/instances/{instance_id}/groups", k.listGroups)
	k.Route(OpShowGroups, "GET /v2/{project_id}/instances/{instance_id}/management/groups/{group}", k.showGroups)
	k.Route(OpListTopicPartitions, "GET /v2/{project_id}/kafka/instances/{instance_id}/topics/{topic}/partitions", k.listTopicPartitions)
	k.Route(OpResetMessageOffsetWithEngine, "PUT /v2/kafka/{project_id}/instances/{instance_id}/groups/{group}/reset-message-offset", k.reset)
	k.Route(OpResetMessageOffset, "POST /v2/{project_id}/instances/{instance_id}/management/groups/{group}/reset-message-offset", k.reset)
	k.Server.Start()
	return k
}

// Commit sets a group's committed offset, creating the group.
func (k *Kafka) Commit(groupName, topic string, partition int32, offset int64) {
	k.UpdateGroup(groupName, func(g *group) {
		if g.offsets[topic] == nil {
			g.offsets[topic] = map[int32]int64{}
		}
		g.offsets[topic][partition] = offset
	})
}

// Join adds an active member to a group, creating the group.
func (k *Kafka) Join(groupName string, m Member) {
	k.UpdateGroup(groupName, func(g *group) { g.members = append(g.members, m) })
}

// Leave removes every member of a group.
func (k *Kafka) Leave(groupName string) { k.UpdateGroup(groupName, func(g *group) { g.members = nil }) }

// SetState overrides the group state ShowGroups reports ("" = Stable with members, else Empty).
func (k *Kafka) SetState(groupName, state string) {
	k.UpdateGroup(groupName, func(g *group) { g.state = state })
}

// Committed reads a group's committed offsets: topic → partition → offset.
func (k *Kafka) Committed(groupName string) map[string]map[int32]int64 {
	k.Mu.Lock()
	defer k.Mu.Unlock()
	out := map[string]map[int32]int64{}
	if g, ok := k.Groups[groupName]; ok {
		for t, ps := range g.offsets {
			out[t] = maps.Clone(ps)
		}
	}
	return out
}

// Partitions returns a topic's partitions.
func (k *Kafka) Partitions(topic string) []Partition { return k.Parts(topic) }

func (g *group) currentState() string {
	switch {
	case g.state != "":
		return g.state
	case len(g.members) > 0:
		return "Stable"
	}
	return "Empty"
}

func (k *Kafka) listGroups(r *http.Request, _ []byte) huaweicloudtest.Reply {
	page, _, _, total, bad := k.GroupPage(r, 50, strings.Contains)
	if bad != nil {
		return *bad
	}
	type groupInfo struct {
		CreatedAt     int64  `json:"createdAt"`
		GroupID       string `json:"group_id"`
		State         string `json:"state"`
		CoordinatorID int32  `json:"coordinator_id"`
		GroupDesc     string `json:"group_desc"`
		Lag           int64  `json:"lag"`
	}
	groups := make([]groupInfo, len(page))
	for i, name := range page {
		g := k.Groups[name]
		var lag int64
		for t, ps := range g.offsets {
			for p, o := range ps {
				if parts := k.Topics[t]; int(p) < len(parts) {
					lag += max(0, parts[p].End-o)
				}
			}
		}
		groups[i] = groupInfo{CreatedAt: huaweicloudtest.GroupsCreatedAt, GroupID: name, State: g.currentState(), CoordinatorID: 1, Lag: lag}
	}
	return huaweicloudtest.OK(map[string]any{"groups": groups, "total": total})
}

func (k *Kafka) showGroups(r *http.Request, _ []byte) huaweicloudtest.Reply {
	name := r.PathValue("group")
	g, ok := k.Groups[name]
	if !ok {
		return huaweicloudtest.Fail(http.StatusNotFound, "DMS.00404040", "The consumer group %s does not exist.", name)
	}
	type assignment struct {
		Topic      string  `json:"topic"`
		Partitions []int32 `json:"partitions"`
	}
	type member struct {
		Host       string       `json:"host"`
		Assignment []assignment `json:"assignment"`
		MemberID   string       `json:"member_id"`
		ClientID   string       `json:"client_id"`
	}
	type offset struct {
		Partition int32  `json:"partition"`
		Lag       int64  `json:"lag"`
		Topic     string `json:"topic"`
		Current   int64  `json:"message_current_offset"`
		LogEnd    int64  `json:"message_log_end_offset"`
	}
	members := []member{}
	for _, m := range g.members {
		mm := member{Host: m.Host, MemberID: m.ID, ClientID: m.ClientID, Assignment: []assignment{}}
		for t, ps := range m.Assignment {
			mm.Assignment = append(mm.Assignment, assignment{t, ps})
		}
		sort.Slice(mm.Assignment, func(i, j int) bool { return mm.Assignment[i].Topic < mm.Assignment[j].Topic })
		members = append(members, mm)
	}
	offsets := []offset{}
	for t, ps := range g.offsets {
		parts := k.Topics[t]
		for p, o := range ps {
			var end int64
			if int(p) < len(parts) {
				end = parts[p].End
			}
			offsets = append(offsets, offset{Partition: p, Lag: max(0, end-o), Topic: t, Current: o, LogEnd: end})
		}
	}
	sort.Slice(offsets, func(i, j int) bool {
		if offsets[i].Topic != offsets[j].Topic {
			return offsets[i].Topic < offsets[j].Topic
		}
		return offsets[i].Partition < offsets[j].Partition
	})
	return huaweicloudtest.OK(map[string]any{"group": map[string]any{
		"group_id": name, "state": g.currentState(), "coordinator_id": 1, "assignment_strategy": "range",
		"members": members, "group_message_offsets": offsets,
	}})
}

func (k *Kafka) listTopicPartitions(r *http.Request, _ []byte) huaweicloudtest.Reply {
	offset, limit, bad := huaweicloudtest.Paging(r, 10, 50)
	if bad != nil {
		return *bad
	}
	name := r.PathValue("topic")
	parts, ok := k.Topics[name]
	if !ok {
		return huaweicloudtest.Fail(http.StatusNotFound, "DMS.00404054", "The topic %s does not exist.", name)
	}
	type partition struct {
		Partition   int32 `json:"partition"`
		Start       int64 `json:"start_offset"`
		Last        int64 `json:"last_offset"`
		Count       int64 `json:"message_count"`
		LastUpdated int64 `json:"last_update_time"`
	}
	page := []partition{}
	for i := offset; i < len(parts) && i < offset+limit; i++ {
		p := parts[i]
		last := p.First
		if p.End > p.Start {
			last = p.Time(p.End - 1)
		}
		page = append(page, partition{Partition: int32(i), Start: p.Start, Last: p.End, Count: p.End - p.Start, LastUpdated: last})
	}
	return huaweicloudtest.OK(map[string]any{"total": len(parts), "partitions": page})
}

// ResetBody is the request body of both reset routes (model.ResetMessageOffsetReq).
type ResetBody struct {
	Topic         string `json:"topic"`
	Partition     *int32 `json:"partition"`
	MessageOffset *int64 `json:"message_offset"`
	Timestamp     *int64 `json:"timestamp"`
}

// DecodeReset reads a recorded reset call's body.
func DecodeReset(body []byte) (ResetBody, error) {
	var b ResetBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	err := dec.Decode(&b)
	return b, err
}

func (k *Kafka) reset(r *http.Request, body []byte) huaweicloudtest.Reply {
	b, err := DecodeReset(body)
	if err != nil {
		return huaweicloudtest.Fail(http.StatusBadRequest, "DMS.00400000", "The request body is not valid JSON: %v", err)
	}
	name := r.PathValue("group")
	g, ok := k.Groups[name]
	if !ok {
		return huaweicloudtest.Fail(http.StatusNotFound, "DMS.00404040", "The consumer group %s does not exist.", name)
	}
	if st := g.currentState(); len(g.members) > 0 || (st != "Empty" && st != "Dead") {
		return huaweicloudtest.Fail(http.StatusBadRequest, "DMS.00400880", "The consumer group %s is %s with %d active member(s); Kafka instances do not support resetting the consumer offset online. Stop the consumers and retry.", name, st, len(g.members))
	}
	if b.Topic == "" {
		return huaweicloudtest.Fail(http.StatusBadRequest, "DMS.00400001", "The parameter topic is required.")
	}
	parts, ok := k.Topics[b.Topic]
	if !ok {
		return huaweicloudtest.Fail(http.StatusNotFound, "DMS.00404054", "The topic %s does not exist.", b.Topic)
	}
	if b.Partition == nil {
		return huaweicloudtest.Fail(http.StatusBadRequest, "DMS.00400001", "The parameter partition is required.")
	}
	if (b.MessageOffset == nil) == (b.Timestamp == nil) {
		return huaweicloudtest.Fail(http.StatusBadRequest, "DMS.00400001", "Either message_offset or timestamp must be specified, not both.")
	}
	which := []int32{*b.Partition}
	if *b.Partition == -1 {
		which = which[:0]
		for i := range parts {
			which = append(which, int32(i))
		}
	} else if *b.Partition < 0 || int(*b.Partition) >= len(parts) {
		return huaweicloudtest.Fail(http.StatusBadRequest, "DMS.00400001", "The partition %d of topic %s does not exist (it has %d).", *b.Partition, b.Topic, len(parts))
	}
	if g.offsets[b.Topic] == nil {
		g.offsets[b.Topic] = map[int32]int64{}
	}
	for _, p := range which {
		pt := parts[p]
		var o int64
		if b.MessageOffset != nil {
			o = min(max(*b.MessageOffset, pt.Start), pt.End)
		} else {
			o = pt.OffsetAt(*b.Timestamp)
		}
		g.offsets[b.Topic][p] = o
	}
	return huaweicloudtest.NoContent()
}

// String describes the emulator for banners.
func (k *Kafka) String() string { return k.Describe("Kafka") }
