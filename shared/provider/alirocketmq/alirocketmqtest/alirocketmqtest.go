// Package alirocketmqtest emulates the ApsaraMQ for RocketMQ 4.x OpenAPI (Ons 2019-02-14) over
// real HTTP: the gateway checks of package aliyuntest (RPC signature v1, AccessKey, timestamp,
// nonce, version), an instance model (topics whose messages have timestamps, groups with a
// consumed position per topic and online consumers) and the documented behaviour of
// OnsConsumerAccumulate, OnsConsumerTimeSpan and OnsConsumerResetOffset: Type 0 clears the
// backlog (jumps to the newest message), Type 1 moves to the first message at or after
// ResetTimestamp, which must lie between the topic's oldest and newest message; resets work while
// consumers are online. Errors come back as HTTP 4xx with a string Code.
//
// The error codes for business failures (BIZ_GROUP_NOT_FOUND, …) are the emulator's choice; the
// API documentation does not list them per operation.
package alirocketmqtest

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"offsetreset/shared/provider/aliyun/aliyuntest"
)

// Version is the API version the emulator serves.
const Version = "2019-02-14"

// Actions the emulator implements.
const (
	OnsConsumerAccumulate  = "OnsConsumerAccumulate"
	OnsConsumerTimeSpan    = "OnsConsumerTimeSpan"
	OnsConsumerResetOffset = "OnsConsumerResetOffset"
)

// Server is a running emulator.
type Server struct {
	*aliyuntest.Server

	mu        sync.Mutex
	instances map[string]*Instance
}

// Start runs an emulator with no instances and no keys.
func Start() *Server {
	s := &Server{instances: map[string]*Instance{}}
	s.Server = aliyuntest.Start(aliyuntest.RPC, Version, (*api)(s))
	return s
}

// Instance is one RocketMQ 4.x instance.
type Instance struct {
	s      *Server
	ID     string
	Region string
	topics map[string]*topic
	groups map[string]*group
}

// topic holds the store times (Unix ms) of its messages from position start on; the queues of
// the topic are not told apart, as the OpenAPI never does.
type topic struct {
	start int64
	ts    []int64
}

func (t *topic) end() int64 { return t.start + int64(len(t.ts)) }

func (t *topic) at(ms int64) int64 {
	return t.start + int64(sort.Search(len(t.ts), func(i int) bool { return t.ts[i] >= ms }))
}

func (t *topic) timeOf(pos int64) int64 {
	if i := pos - t.start; i >= 0 && i < int64(len(t.ts)) {
		return t.ts[i]
	}
	return 0
}

type group struct {
	consumed map[string]int64
	clients  []string
}

// Instance returns the instance with this ID, creating it in region if needed.
func (s *Server) Instance(id, region string) *Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in, ok := s.instances[id]; ok {
		return in
	}
	in := &Instance{s: s, ID: id, Region: region, topics: map[string]*topic{}, groups: map[string]*group{}}
	s.instances[id] = in
	return in
}

// AddTopic creates an empty topic.
func (in *Instance) AddTopic(name string) {
	in.s.mu.Lock()
	defer in.s.mu.Unlock()
	in.topics[name] = &topic{}
}

// Produce appends n messages; message i has store time ts(i).
func (in *Instance) Produce(name string, n int, ts func(i int) time.Time) {
	in.s.mu.Lock()
	defer in.s.mu.Unlock()
	t := in.topics[name]
	for i := range n {
		t.ts = append(t.ts, ts(i).UnixMilli())
	}
}

// Trim drops the messages before position start (retention).
func (in *Instance) Trim(name string, start int64) {
	in.s.mu.Lock()
	defer in.s.mu.Unlock()
	t := in.topics[name]
	if drop := min(start-t.start, int64(len(t.ts))); drop > 0 {
		t.ts = t.ts[drop:]
		t.start += drop
	}
}

// Bounds is the position of the oldest retained message and the end of a topic.
func (in *Instance) Bounds(name string) (start, end int64) {
	in.s.mu.Lock()
	defer in.s.mu.Unlock()
	t := in.topics[name]
	return t.start, t.end()
}

func (in *Instance) group(name string) *group {
	g, ok := in.groups[name]
	if !ok {
		g = &group{consumed: map[string]int64{}}
		in.groups[name] = g
	}
	return g
}

// Subscribe makes a group consume a topic, positioned at consumed.
func (in *Instance) Subscribe(groupID, topicName string, consumed int64) {
	in.s.mu.Lock()
	defer in.s.mu.Unlock()
	in.group(groupID).consumed[topicName] = consumed
}

// SetOnline marks consumer clients of a group online; none = offline.
func (in *Instance) SetOnline(groupID string, clients ...string) {
	in.s.mu.Lock()
	defer in.s.mu.Unlock()
	in.group(groupID).clients = clients
}

// Consumed is a copy of a group's positions: topic → position.
func (in *Instance) Consumed(groupID string) map[string]int64 {
	in.s.mu.Lock()
	defer in.s.mu.Unlock()
	out := map[string]int64{}
	if g, ok := in.groups[groupID]; ok {
		for t, p := range g.consumed {
			out[t] = p
		}
	}
	return out
}

type api Server

func (a *api) Route(string, string) (string, map[string]string, bool) { return "", nil, false }

func (a *api) Knows(action string) bool {
	switch action {
	case OnsConsumerAccumulate, OnsConsumerTimeSpan, OnsConsumerResetOffset:
		return true
	}
	return false
}

func fail(status int, code, format string, args ...any) aliyuntest.Reply {
	return aliyuntest.GatewayError(status, code, fmt.Sprintf(format, args...))
}

func missing(name string) aliyuntest.Reply {
	return fail(http.StatusBadRequest, "Missing"+name, "%s is mandatory for this action.", name)
}

func ok(data any) aliyuntest.Reply {
	body := map[string]any{"RequestId": aliyuntest.RequestID(), "HelpUrl": "https://help.aliyun.com/document_detail/29532.html"}
	if data != nil {
		body["Data"] = data
	}
	return aliyuntest.OK(body)
}

func (a *api) Serve(r *aliyuntest.Request) aliyuntest.Reply {
	p := r.Params
	for _, name := range []string{"RegionId", "InstanceId", "GroupId"} {
		if p[name] == "" {
			return missing(name)
		}
	}
	s := (*Server)(a)
	s.mu.Lock()
	defer s.mu.Unlock()
	in, found := s.instances[p["InstanceId"]]
	if !found || in.Region != p["RegionId"] {
		return fail(http.StatusNotFound, "BIZ_INSTANCE_NOT_FOUND", "The instance %s does not exist in region %s.", p["InstanceId"], p["RegionId"])
	}
	g, found := in.groups[p["GroupId"]]
	if !found {
		return fail(http.StatusNotFound, "BIZ_GROUP_NOT_FOUND", "The group %s does not exist in instance %s.", p["GroupId"], in.ID)
	}
	switch r.Action {
	case OnsConsumerAccumulate:
		return in.accumulate(g, p)
	case OnsConsumerTimeSpan:
		t, reply := in.subscribed(g, p)
		if t == nil {
			return reply
		}
		return ok(map[string]any{"Topic": p["Topic"], "MinTimeStamp": t.timeOf(t.start), "MaxTimeStamp": t.timeOf(t.end() - 1), "ConsumeTimeStamp": t.timeOf(g.consumed[p["Topic"]])})
	case OnsConsumerResetOffset:
		return in.resetOffset(g, p)
	}
	return fail(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
}

// subscribed finds the topic of a request that the group consumes.
func (in *Instance) subscribed(g *group, p map[string]string) (*topic, aliyuntest.Reply) {
	if p["Topic"] == "" {
		return nil, missing("Topic")
	}
	t, found := in.topics[p["Topic"]]
	if !found {
		return nil, fail(http.StatusNotFound, "BIZ_TOPIC_NOT_FOUND", "The topic %s does not exist in instance %s.", p["Topic"], in.ID)
	}
	if _, subscribed := g.consumed[p["Topic"]]; !subscribed {
		return nil, fail(http.StatusBadRequest, "BIZ_SUBSCRIPTION_NOT_FOUND", "The group %s does not subscribe to topic %s.", p["GroupId"], p["Topic"])
	}
	return t, aliyuntest.Reply{}
}

type detail struct {
	Topic         string `json:"Topic"`
	TotalDiff     int64  `json:"TotalDiff"`
	LastTimestamp int64  `json:"LastTimestamp"`
	DelayTime     int64  `json:"DelayTime"`
}

func (in *Instance) accumulate(g *group, p map[string]string) aliyuntest.Reply {
	now := time.Now().UnixMilli()
	data := map[string]any{"Online": len(g.clients) > 0, "ConsumeTps": 0.0}
	var total, last, delay int64
	details := []detail{}
	names := make([]string, 0, len(g.consumed))
	for t := range g.consumed {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, name := range names {
		t, found := in.topics[name]
		if !found {
			continue
		}
		pos := max(g.consumed[name], t.start)
		d := detail{Topic: name, TotalDiff: max(0, t.end()-pos), LastTimestamp: t.timeOf(pos - 1)}
		if d.TotalDiff > 0 {
			d.DelayTime = max(0, now-t.timeOf(pos))
		}
		total += d.TotalDiff
		last = max(last, d.LastTimestamp)
		delay = max(delay, d.DelayTime)
		details = append(details, d)
	}
	data["TotalDiff"], data["LastTimestamp"], data["DelayTime"] = total, last, delay
	if strings.EqualFold(p["Detail"], "true") {
		data["DetailInTopicList"] = map[string]any{"DetailInTopicDo": details}
	}
	return ok(data)
}

func (in *Instance) resetOffset(g *group, p map[string]string) aliyuntest.Reply {
	t, reply := in.subscribed(g, p)
	if t == nil {
		return reply
	}
	switch p["Type"] {
	case "":
		return missing("Type")
	case "0":
		g.consumed[p["Topic"]] = t.end()
		return ok(nil)
	case "1":
	default:
		return fail(http.StatusBadRequest, "BIZ_FIELD_CHECK_INVALID", "The Type %q is invalid; use 0 (clear all accumulated messages) or 1 (reset to ResetTimestamp).", p["Type"])
	}
	if p["ResetTimestamp"] == "" {
		return fail(http.StatusBadRequest, "BIZ_FIELD_CHECK_INVALID", "ResetTimestamp is mandatory when Type is 1.")
	}
	ms, err := strconv.ParseInt(p["ResetTimestamp"], 10, 64)
	if err != nil {
		return fail(http.StatusBadRequest, "BIZ_FIELD_CHECK_INVALID", "The ResetTimestamp %q is not Unix milliseconds.", p["ResetTimestamp"])
	}
	if len(t.ts) == 0 {
		return fail(http.StatusBadRequest, "BIZ_FIELD_CHECK_INVALID", "The topic %s holds no messages, so no point in time can be selected.", p["Topic"])
	}
	lo, hi := t.timeOf(t.start), t.timeOf(t.end()-1)
	if ms < lo || ms > hi {
		return fail(http.StatusBadRequest, "BIZ_FIELD_CHECK_INVALID", "The ResetTimestamp %d is outside the time range of topic %s [%d, %d].", ms, p["Topic"], lo, hi)
	}
	g.consumed[p["Topic"]] = t.at(ms)
	return ok(nil)
}
