// Package huaweirocketmqtest emulates the Huawei Cloud DMS for RocketMQ API over HTTP, for tests
// and the demo: the routes the huaweirocketmq provider calls, with the SDK's paths, methods,
// signatures and error shape, over a model of one instance (topics with queues on brokers, queue
// offsets and message timestamps, consumer groups with consumer offsets and online clients).
//
// Routes (H/services/rocketmq/v2/rocketMQ_meta.go):
//
//	GET  /v2/{project_id}/instances/{instance_id}/groups[?limit=&offset=]                              ListInstanceConsumerGroups
//	GET  /v2/{project_id}/instances/{instance_id}/groups/{group}/topics[?topic=&limit=&offset=]        ShowConsumerListOrDetails
//	GET  /v2/rocketmq/{project_id}/instances/{instance_id}/groups/{group}/clients                     ShowConsumerConnections
//	POST /v2/{engine}/{project_id}/instances/{instance_id}/groups/{group}/reset-message-offset        ResetConsumeOffset (200, queues)
//
// ListInstanceConsumerGroups pages through the groups in creation order (offset from 0, limit
// default 10; the SDK documents no largest limit, the emulator takes up to 50) with total, max,
// remaining, next_offset and previous_offset (-1 when there is no such page, as in the API's
// example); its group filter is not emulated.
//
// Reset rules (seed 003 and the DMS user guide): engine is rocketmq or reliability; topic and
// timestamp (a string of Unix milliseconds) are required; the reset is refused while no consumer of
// the group is online and for broadcast groups. Every queue of the topic moves to the first message
// stored at or after the timestamp, clamped: a time at or before a queue's first message gives its
// min offset (so "0" means earliest), a time after its newest message gives its max offset (so any
// time past the newest message means latest). The answer lists every queue with its new offset.
//
// Message timestamps are a function of the offset (First + (offset−Min)·Step), so queues can hold
// offsets far above 2^31 without storing messages.
package huaweirocketmqtest

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"

	"offsetreset/shared/provider/huaweicloud/huaweicloudtest"
)

// Operation names, as recorded in Calls and used for faults.
const (
	OpListInstanceConsumerGroups = "ListInstanceConsumerGroups"
	OpShowConsumerListOrDetails  = "ShowConsumerListOrDetails"
	OpShowConsumerConnections    = "ShowConsumerConnections"
	OpResetConsumeOffset         = "ResetConsumeOffset"
)

// Queue is one queue of a topic on a broker: messages Min..Max−1, message o stored at
// First + (o−Min)·Step ms.
type Queue struct {
	Broker      string
	ID          int32
	Min, Max    int64
	First, Step int64
}

func (q Queue) span() huaweicloudtest.Span {
	return huaweicloudtest.Span{Start: q.Min, End: q.Max, First: q.First, Step: q.Step}
}

// Time is the store timestamp of message o.
func (q Queue) Time(o int64) int64 { return q.span().Time(o) }

// OffsetAt is the queue's offset for a reset to ms, clamped into [Min, Max] as documented above.
func (q Queue) OffsetAt(ms int64) int64 { return q.span().OffsetAt(ms) }

// Client is an online consumer of a group.
type Client struct {
	ID, Addr string
	Topics   []string
}

type qkey struct {
	broker string
	id     int32
}

type group struct {
	offsets   map[string]map[qkey]int64
	clients   []Client
	broadcast bool
}

// RocketMQ is a running emulator of one DMS for RocketMQ instance.
type RocketMQ struct {
	*huaweicloudtest.DMS
	huaweicloudtest.Model[Queue, group]
}

// Start runs an emulator for instance in project; register keys with AddKey.
func Start(project, instance string) *RocketMQ {
	dms := huaweicloudtest.NewDMS(project, instance)
	m := &RocketMQ{DMS: dms, Model: huaweicloudtest.NewModel[Queue](&dms.Mu, func() *group { return &group{offsets: map[string]map[qkey]int64{}} })}
	m.Route(OpListInstanceConsumerGroups, "GET /v2/{project_id}/instances/{instance_id}/groups", m.listGroups)
	m.Route(OpShowConsumerListOrDetails, "GET /v2/{project_id}/instances/{instance_id}/groups/{group}/topics", m.consumerList)
	m.Route(OpShowConsumerConnections, "GET /v2/rocketmq/{project_id}/instances/{instance_id}/groups/{group}/clients", m.connections)
	m.Route(OpResetConsumeOffset, "POST /v2/{engine}/{project_id}/instances/{instance_id}/groups/{group}/reset-message-offset", m.reset)
	m.Server.Start()
	return m
}

// Subscribe makes a group consume a topic with every queue's consumer offset at offset(queue),
// creating the group.
func (m *RocketMQ) Subscribe(groupName, topic string, offset func(Queue) int64) {
	m.UpdateGroup(groupName, func(g *group) {
		g.offsets[topic] = map[qkey]int64{}
		for _, q := range m.Topics[topic] {
			g.offsets[topic][qkey{q.Broker, q.ID}] = offset(q)
		}
	})
}

// Connect brings a client of a group online, creating the group.
func (m *RocketMQ) Connect(groupName string, c Client) {
	m.UpdateGroup(groupName, func(g *group) { g.clients = append(g.clients, c) })
}

// Disconnect takes every client of a group offline.
func (m *RocketMQ) Disconnect(groupName string) {
	m.UpdateGroup(groupName, func(g *group) { g.clients = nil })
}

// SetBroadcast marks a group as consuming in broadcast mode.
func (m *RocketMQ) SetBroadcast(groupName string, on bool) {
	m.UpdateGroup(groupName, func(g *group) { g.broadcast = on })
}

// Offset is a group's consumer offset of one queue.
func (m *RocketMQ) Offset(groupName, topic, broker string, id int32) (int64, bool) {
	m.Mu.Lock()
	defer m.Mu.Unlock()
	g, ok := m.Groups[groupName]
	if !ok {
		return 0, false
	}
	o, ok := g.offsets[topic][qkey{broker, id}]
	return o, ok
}

// Queues returns a topic's queues.
func (m *RocketMQ) Queues(topic string) []Queue { return m.Parts(topic) }

// lookup finds the group and, when topic is not empty, its offsets of the topic.
func (m *RocketMQ) lookup(groupName, topic string) (*group, map[qkey]int64, *huaweicloudtest.Reply) {
	g, ok := m.Groups[groupName]
	if !ok {
		rep := huaweicloudtest.Fail(http.StatusNotFound, "DMS.00404041", "The consumer group %s does not exist.", groupName)
		return nil, nil, &rep
	}
	if topic == "" {
		return g, nil, nil
	}
	if _, ok := m.Topics[topic]; !ok {
		rep := huaweicloudtest.Fail(http.StatusNotFound, "DMS.00404054", "The topic %s does not exist.", topic)
		return nil, nil, &rep
	}
	offs, ok := g.offsets[topic]
	if !ok {
		rep := huaweicloudtest.Fail(http.StatusNotFound, "DMS.00404042", "The consumer group %s has no consumer offsets on topic %s.", groupName, topic)
		return nil, nil, &rep
	}
	return g, offs, nil
}

// MaxGroups is the max ListInstanceConsumerGroups reports: how many groups the instance may hold.
const MaxGroups = 4000

func (m *RocketMQ) listGroups(r *http.Request, _ []byte) huaweicloudtest.Reply {
	page, offset, limit, total, bad := m.GroupPage(r, 50, nil)
	if bad != nil {
		return *bad
	}
	type consumerGroup struct {
		Enabled                bool     `json:"enabled"`
		Broadcast              bool     `json:"broadcast"`
		Brokers                []string `json:"brokers"`
		Name                   string   `json:"name"`
		GroupDesc              string   `json:"group_desc"`
		RetryMaxTime           int32    `json:"retry_max_time"`
		CreatedAt              int64    `json:"created_at"`
		Permissions            []string `json:"permissions"`
		ConsumeOrderly         bool     `json:"consume_orderly"`
		GroupOnline            bool     `json:"group_online"`
		TopicSubscriptionCount int64    `json:"topic_subscription_count"`
	}
	groups := make([]consumerGroup, len(page))
	for i, name := range page {
		g := m.Groups[name]
		brokers := map[string]bool{}
		for t := range g.offsets {
			for _, q := range m.Topics[t] {
				brokers[q.Broker] = true
			}
		}
		names := slices.AppendSeq([]string{}, maps.Keys(brokers))
		slices.Sort(names)
		groups[i] = consumerGroup{Enabled: true, Broadcast: g.broadcast, Brokers: names, Name: name,
			RetryMaxTime: 16, CreatedAt: huaweicloudtest.GroupsCreatedAt, Permissions: []string{"sub"}, GroupOnline: len(g.clients) > 0,
			TopicSubscriptionCount: int64(len(g.offsets))}
	}
	next, prev := -1, -1
	if offset+limit < total {
		next = offset + limit
	}
	if offset > 0 {
		prev = max(0, offset-limit)
	}
	return huaweicloudtest.OK(map[string]any{"total": total, "groups": groups, "max": MaxGroups,
		"remaining": max(0, MaxGroups-total), "next_offset": next, "previous_offset": prev})
}

func (m *RocketMQ) consumerList(r *http.Request, _ []byte) huaweicloudtest.Reply {
	offset, limit, bad := huaweicloudtest.Paging(r, 10, 50)
	if bad != nil {
		return *bad
	}
	topic := r.URL.Query().Get("topic")
	g, offs, bad := m.lookup(r.PathValue("group"), topic)
	if bad != nil {
		return *bad
	}
	if topic == "" {
		names := make([]string, 0, len(g.offsets))
		for t := range g.offsets {
			names = append(names, t)
		}
		sort.Strings(names)
		page := []string{}
		for i := offset; i < len(names) && i < offset+limit; i++ {
			page = append(page, names[i])
		}
		return huaweicloudtest.OK(map[string]any{"topics": page, "total": len(names)})
	}
	type queue struct {
		ID              int32 `json:"id"`
		Lag             int64 `json:"lag"`
		BrokerOffset    int64 `json:"broker_offset"`
		ConsumerOffset  int64 `json:"consumer_offset"`
		LastMessageTime int64 `json:"last_message_time"`
	}
	type broker struct {
		Name   string  `json:"broker_name"`
		Queues []queue `json:"queues"`
	}
	byBroker := map[string]*broker{}
	var brokers []*broker
	var lag, maxOff, consumed int64
	for _, q := range m.Topics[topic] {
		b, ok := byBroker[q.Broker]
		if !ok {
			b = &broker{Name: q.Broker, Queues: []queue{}}
			byBroker[q.Broker] = b
			brokers = append(brokers, b)
		}
		c := offs[qkey{q.Broker, q.ID}]
		var last int64
		if q.Max > q.Min {
			last = q.Time(q.Max - 1)
		}
		b.Queues = append(b.Queues, queue{ID: q.ID, Lag: max(0, q.Max-c), BrokerOffset: q.Max, ConsumerOffset: c, LastMessageTime: last})
		lag += max(0, q.Max-c)
		maxOff += q.Max
		consumed += c
	}
	sort.Slice(brokers, func(i, j int) bool { return brokers[i].Name < brokers[j].Name })
	for _, b := range brokers {
		sort.Slice(b.Queues, func(i, j int) bool { return b.Queues[i].ID < b.Queues[j].ID })
	}
	return huaweicloudtest.OK(map[string]any{"lag": lag, "max_offset": maxOff, "consumer_offset": consumed, "brokers": brokers})
}

func (m *RocketMQ) connections(r *http.Request, _ []byte) huaweicloudtest.Reply {
	offset, limit, bad := huaweicloudtest.Paging(r, 10, 50)
	if bad != nil {
		return *bad
	}
	name := r.PathValue("group")
	g, _, bad := m.lookup(name, "")
	if bad != nil {
		return *bad
	}
	type sub struct {
		Topic      string `json:"topic"`
		Type       string `json:"type"`
		Expression string `json:"expression"`
	}
	type client struct {
		Language      string `json:"language"`
		Version       string `json:"version"`
		ClientID      string `json:"client_id"`
		ClientAddr    string `json:"client_addr"`
		ConsumeType   string `json:"consume_type"`
		Subscriptions []sub  `json:"subscriptions"`
	}
	page := []client{}
	for i := offset; i < len(g.clients) && i < offset+limit; i++ {
		c := g.clients[i]
		cl := client{Language: "JAVA", Version: "V4_9_7", ClientID: c.ID, ClientAddr: c.Addr, ConsumeType: "CONSUME_PASSIVELY", Subscriptions: []sub{}}
		for _, t := range c.Topics {
			cl.Subscriptions = append(cl.Subscriptions, sub{Topic: t, Type: "TAG", Expression: "*"})
		}
		page = append(page, cl)
	}
	return huaweicloudtest.OK(map[string]any{"group_name": name, "online": len(g.clients) > 0,
		"subscription_consistency": true, "total": len(g.clients), "clients": page})
}

// ResetBody is the request body of ResetConsumeOffset (model.ResetConsumeOffsetReq).
type ResetBody struct {
	Topic     string `json:"topic"`
	Timestamp string `json:"timestamp"`
}

// DecodeReset reads a recorded reset call's body.
func DecodeReset(body []byte) (ResetBody, error) {
	var b ResetBody
	err := json.Unmarshal(body, &b)
	return b, err
}

func (m *RocketMQ) reset(r *http.Request, body []byte) huaweicloudtest.Reply {
	if e := r.PathValue("engine"); e != "rocketmq" && e != "reliability" {
		return huaweicloudtest.Fail(http.StatusBadRequest, "DMS.00400001", "The engine %s is invalid; use rocketmq or reliability.", e)
	}
	b, err := DecodeReset(body)
	if err != nil {
		return huaweicloudtest.Fail(http.StatusBadRequest, "DMS.00400000", "The request body is not valid JSON: %v", err)
	}
	if b.Topic == "" || b.Timestamp == "" {
		return huaweicloudtest.Fail(http.StatusBadRequest, "DMS.00400001", "The parameters topic and timestamp are required.")
	}
	ts, err := strconv.ParseInt(b.Timestamp, 10, 64)
	if err != nil || ts < 0 {
		return huaweicloudtest.Fail(http.StatusBadRequest, "DMS.00400001", "The timestamp %q is not a Unix time in milliseconds.", b.Timestamp)
	}
	name := r.PathValue("group")
	g, offs, bad := m.lookup(name, b.Topic)
	if bad != nil {
		return *bad
	}
	if g.broadcast {
		return huaweicloudtest.Fail(http.StatusBadRequest, "DMS.00400962", "The consumer group %s consumes in broadcast mode; consumer offsets cannot be reset.", name)
	}
	if len(g.clients) == 0 {
		return huaweicloudtest.Fail(http.StatusBadRequest, "DMS.00400961", "The consumer group %s is offline; consumer offsets can be reset only while a consumer is online.", name)
	}
	type queue struct {
		Broker string `json:"broker_name"`
		ID     int32  `json:"queue_id"`
		Offset int64  `json:"timestamp_offset"`
	}
	out := []queue{}
	for _, q := range m.Topics[b.Topic] {
		o := q.OffsetAt(ts)
		offs[qkey{q.Broker, q.ID}] = o
		out = append(out, queue{q.Broker, q.ID, o})
	}
	return huaweicloudtest.OK(map[string]any{"queues": out})
}

// String describes the emulator for banners.
func (m *RocketMQ) String() string { return m.Describe("RocketMQ") }
