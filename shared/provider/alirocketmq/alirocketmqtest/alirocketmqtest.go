// Package alirocketmqtest emulates the ApsaraMQ for RocketMQ 4.x OpenAPI (Ons 2019-02-14) over
// real HTTP: the gateway checks of package aliyuntest (RPC signature v1, AccessKey, timestamp,
// nonce, version), an instance model (topics whose messages have timestamps, groups with a
// consumed position per topic and online consumers) and the documented behaviour of
// OnsGroupList (every group of the instance in one answer, in creation order; GroupId keeps the
// IDs that contain it), OnsConsumerAccumulate, OnsConsumerTimeSpan and OnsConsumerResetOffset:
// Type 0 clears the backlog (jumps to the newest message), Type 1 moves to the first message at
// or after ResetTimestamp, which must lie between the topic's oldest and newest message; resets
// work while consumers are online. Errors come back as HTTP 4xx with a string Code.
//
// The error codes for business failures (BIZ_GROUP_NOT_FOUND, …) are the emulator's choice; the
// API documentation does not list them per operation.
package alirocketmqtest

import (
	"fmt"
	"maps"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"offsetreset/shared/provider/aliyun/aliyuntest"
)

// Version is the API version the emulator serves.
const Version = "2019-02-14"

// Actions the emulator implements.
const (
	OnsGroupList           = "OnsGroupList"
	OnsConsumerAccumulate  = "OnsConsumerAccumulate"
	OnsConsumerTimeSpan    = "OnsConsumerTimeSpan"
	OnsConsumerResetOffset = "OnsConsumerResetOffset"
)

// Server is a running emulator.
type Server struct {
	*aliyuntest.Emulator[Instance]
}

// Start runs an emulator with no instances and no keys.
func Start() *Server {
	s := &Server{}
	s.Emulator = aliyuntest.StartEmulator[Instance](aliyuntest.RPC, Version, (*api)(s))
	return s
}

// Instance is one RocketMQ 4.x instance. Its topics (AddTopic, Produce, Trim, Bounds) are one
// message log each: the queues of a topic are not told apart, as the OpenAPI never does.
type Instance struct {
	aliyuntest.Topics
	s      *Server
	ID     string
	Region string
	groups aliyuntest.Groups[group]
}

type group struct {
	consumed map[string]int64
	clients  []string
}

// Instance returns the instance with this ID, creating it in region if needed.
func (s *Server) Instance(id, region string) *Instance {
	return s.AddInstance(id, func() *Instance {
		return &Instance{Topics: aliyuntest.NewTopics(&s.Mu), s: s, ID: id, Region: region}
	})
}

func (in *Instance) group(name string) *group {
	return in.groups.Lazy(name, func() *group { return &group{consumed: map[string]int64{}} })
}

// Subscribe makes a group consume a topic, positioned at consumed.
func (in *Instance) Subscribe(groupID, topicName string, consumed int64) {
	in.s.Mu.Lock()
	defer in.s.Mu.Unlock()
	in.group(groupID).consumed[topicName] = consumed
}

// AddGroup creates a group that consumes nothing yet.
func (in *Instance) AddGroup(groupID string) {
	in.s.Mu.Lock()
	defer in.s.Mu.Unlock()
	in.group(groupID)
}

// SetOnline marks consumer clients of a group online; none = offline.
func (in *Instance) SetOnline(groupID string, clients ...string) {
	in.s.Mu.Lock()
	defer in.s.Mu.Unlock()
	in.group(groupID).clients = clients
}

// Consumed is a copy of a group's positions: topic → position.
func (in *Instance) Consumed(groupID string) map[string]int64 {
	in.s.Mu.Lock()
	defer in.s.Mu.Unlock()
	if g, ok := in.groups.Get(groupID); ok {
		return maps.Clone(g.consumed)
	}
	return map[string]int64{}
}

type api Server

func (a *api) Route(string, string) (string, map[string]string, bool) { return "", nil, false }

func (a *api) Knows(action string) bool {
	switch action {
	case OnsGroupList, OnsConsumerAccumulate, OnsConsumerTimeSpan, OnsConsumerResetOffset:
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
	required := []string{"RegionId", "InstanceId", "GroupId"}
	if r.Action == OnsGroupList {
		required = required[:2]
	}
	for _, name := range required {
		if p[name] == "" {
			return missing(name)
		}
	}
	s := (*Server)(a)
	s.Mu.Lock()
	defer s.Mu.Unlock()
	in, found := s.Lookup(p["InstanceId"])
	if !found || in.Region != p["RegionId"] {
		return fail(http.StatusNotFound, "BIZ_INSTANCE_NOT_FOUND", "The instance %s does not exist in region %s.", p["InstanceId"], p["RegionId"])
	}
	if r.Action == OnsGroupList {
		return in.groupList(p)
	}
	g, found := in.groups.Get(p["GroupId"])
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
		return ok(map[string]any{"Topic": p["Topic"], "MinTimeStamp": t.TimeOf(t.Start), "MaxTimeStamp": t.TimeOf(t.End() - 1), "ConsumeTimeStamp": t.TimeOf(g.consumed[p["Topic"]])})
	case OnsConsumerResetOffset:
		return in.resetOffset(g, p)
	}
	return fail(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
}

type subscribeInfo struct {
	Owner             string `json:"Owner"`
	UpdateTime        int64  `json:"UpdateTime"`
	IndependentNaming bool   `json:"IndependentNaming"`
	GroupID           string `json:"GroupId"`
	Remark            string `json:"Remark"`
	CreateTime        int64  `json:"CreateTime"`
	InstanceID        string `json:"InstanceId"`
	GroupType         string `json:"GroupType"`
	Tags              struct {
		Tag []struct{} `json:"Tag"`
	} `json:"Tags"`
}

// groupList answers OnsGroupList: every group of the instance in one answer (the API is not
// paged), as TCP groups; GroupId keeps the groups whose ID contains it, as documented. The
// GroupType and Tag filters are not emulated (they are refused).
func (in *Instance) groupList(p map[string]string) aliyuntest.Reply {
	for k := range p {
		if k == "GroupType" || strings.HasPrefix(k, "Tag.") {
			return fail(http.StatusBadRequest, "BIZ_FIELD_CHECK_INVALID", "The emulator does not filter OnsGroupList by %s; leave it out.", k)
		}
	}
	list := []subscribeInfo{}
	for _, name := range in.groups.Names() {
		if !strings.Contains(name, p["GroupId"]) {
			continue
		}
		gi := subscribeInfo{Owner: "1234567890123456", GroupID: name, InstanceID: in.ID, GroupType: "tcp", IndependentNaming: true}
		gi.Tags.Tag = []struct{}{}
		list = append(list, gi)
	}
	return ok(map[string]any{"SubscribeInfoDo": list})
}

// subscribed finds the topic of a request that the group consumes.
func (in *Instance) subscribed(g *group, p map[string]string) (*aliyuntest.Log, aliyuntest.Reply) {
	if p["Topic"] == "" {
		return nil, missing("Topic")
	}
	t, found := in.Logs[p["Topic"]]
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
		t, found := in.Logs[name]
		if !found {
			continue
		}
		pos := max(g.consumed[name], t.Start)
		d := detail{Topic: name, TotalDiff: max(0, t.End()-pos), LastTimestamp: t.TimeOf(pos - 1)}
		if d.TotalDiff > 0 {
			d.DelayTime = max(0, now-t.TimeOf(pos))
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
		g.consumed[p["Topic"]] = t.End()
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
	if len(t.Times) == 0 {
		return fail(http.StatusBadRequest, "BIZ_FIELD_CHECK_INVALID", "The topic %s holds no messages, so no point in time can be selected.", p["Topic"])
	}
	lo, hi := t.TimeOf(t.Start), t.TimeOf(t.End()-1)
	if ms < lo || ms > hi {
		return fail(http.StatusBadRequest, "BIZ_FIELD_CHECK_INVALID", "The ResetTimestamp %d is outside the time range of topic %s [%d, %d].", ms, p["Topic"], lo, hi)
	}
	g.consumed[p["Topic"]] = t.At(ms)
	return ok(nil)
}
