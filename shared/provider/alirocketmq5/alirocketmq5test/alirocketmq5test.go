// Package alirocketmq5test emulates the ApsaraMQ for RocketMQ 5.x OpenAPI (RocketMQ 2022-08-01,
// ROA style) over real HTTP: the gateway checks of package aliyuntest (ROA signature over the
// canonical headers and resource, AccessKey, Date window, Content-MD5, x-acs-version), an
// instance model (topics whose messages have store times, groups with a consumed position and
// in-flight messages per topic) and three operations:
//
//	GET   /instances/{instanceId}/consumerGroups[?pageNumber=&pageSize=]                      ListConsumerGroups
//	GET   /instances/{instanceId}/consumerGroups/{consumerGroupId}/lag[?topicName=]       GetConsumerGroupLag
//	PATCH /instances/{instanceId}/consumerGroups/{consumerGroupId}/consumeOffsets/{topicName}  ResetConsumeOffset
//
// ListConsumerGroups answers one page of the instance's groups in creation order (pageNumber from
// 1, pageSize 10 to 100, default 10) with the totalCount. ResetConsumeOffset takes
// {"resetType":"LATEST_OFFSET"} or {"resetType":"SPECIFIED_TIME", "resetTime":"YYYY-MM-DD
// HH:mm:ss"}; the emulator reads resetTime in UTC+8 (ResetTimeZone), as offsetreset sends it,
// and moves to the first message stored at or after it (the log end when none is), as the
// broker's search by time does. Service errors come back in the 2022-08-01 lowercase shape
// (requestId, success false, code, message, httpStatusCode); gateway errors (signature,
// throttling) in the gateway's capitalised shape. Error codes are the emulator's
// choice where the API documentation does not list them.
package alirocketmq5test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"

	"offsetreset/shared/provider/aliyun/aliyuntest"
)

// Version is the API version the emulator serves.
const Version = "2022-08-01"

// Operations the emulator implements.
const (
	ListConsumerGroups  = "ListConsumerGroups"
	GetConsumerGroupLag = "GetConsumerGroupLag"
	ResetConsumeOffset  = "ResetConsumeOffset"
)

// ResetTimeZone is the zone resetTime is read in.
var ResetTimeZone = time.FixedZone("UTC+8", 8*3600)

// Server is a running emulator.
type Server struct {
	*aliyuntest.Emulator[Instance]
}

// Start runs an emulator with no instances and no keys.
func Start() *Server {
	s := &Server{}
	s.Emulator = aliyuntest.StartEmulator[Instance](aliyuntest.ROA, Version, (*api)(s))
	return s
}

// Instance is one RocketMQ 5.x instance; its topics (AddTopic, Produce, Trim, DeleteTopic) are one
// message log each.
type Instance struct {
	aliyuntest.Topics
	s      *Server
	ID     string
	Region string
	groups aliyuntest.Groups[group]
}

type group struct {
	consumed map[string]int64
	inflight map[string]int64
}

// Instance returns the instance with this ID, creating it if needed.
func (s *Server) Instance(id, region string) *Instance {
	return s.AddInstance(id, func() *Instance {
		return &Instance{Topics: aliyuntest.NewTopics(&s.Mu), s: s, ID: id, Region: region}
	})
}

func (in *Instance) group(name string) *group {
	return in.groups.Lazy(name, func() *group { return &group{consumed: map[string]int64{}, inflight: map[string]int64{}} })
}

// Subscribe makes a group consume a topic, positioned at consumed, with inflight messages
// delivered but not yet acknowledged.
func (in *Instance) Subscribe(groupID, topicName string, consumed, inflight int64) {
	in.s.Mu.Lock()
	defer in.s.Mu.Unlock()
	g := in.group(groupID)
	g.consumed[topicName] = consumed
	g.inflight[topicName] = inflight
}

// AddGroup creates a group that subscribes to nothing yet.
func (in *Instance) AddGroup(groupID string) {
	in.s.Mu.Lock()
	defer in.s.Mu.Unlock()
	in.group(groupID)
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

func (a *api) Knows(string) bool { return false }

func (a *api) Route(method, path string) (string, map[string]string, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) < 3 || parts[0] != "instances" || parts[2] != "consumerGroups" {
		return "", nil, false
	}
	if len(parts) == 3 {
		return ListConsumerGroups, map[string]string{"instanceId": parts[1]}, method == http.MethodGet
	}
	if len(parts) < 5 {
		return "", nil, false
	}
	route := map[string]string{"instanceId": parts[1], "consumerGroupId": parts[3]}
	switch {
	case method == http.MethodGet && len(parts) == 5 && parts[4] == "lag":
		return GetConsumerGroupLag, route, true
	case method == http.MethodPatch && len(parts) == 6 && parts[4] == "consumeOffsets":
		route["topicName"] = parts[5]
		return ResetConsumeOffset, route, true
	}
	return "", nil, false
}

// fail is a service error in the 2022-08-01 shape.
func fail(status int, code, format string, args ...any) aliyuntest.Reply {
	return aliyuntest.Reply{Status: status, Code: code, Body: map[string]any{
		"requestId": aliyuntest.RequestID(), "success": false, "code": code, "message": fmt.Sprintf(format, args...),
		"httpStatusCode": status, "dynamicCode": "", "dynamicMessage": "",
	}}
}

func ok(data any) aliyuntest.Reply {
	return aliyuntest.OK(map[string]any{
		"requestId": aliyuntest.RequestID(), "success": true, "code": "Success", "message": "operation success.",
		"httpStatusCode": 200, "dynamicCode": "", "dynamicMessage": "", "data": data,
	})
}

func (a *api) Serve(r *aliyuntest.Request) aliyuntest.Reply {
	s := (*Server)(a)
	s.Mu.Lock()
	defer s.Mu.Unlock()
	in, found := s.Lookup(r.Route["instanceId"])
	if !found {
		return fail(http.StatusNotFound, "Instance.NotFound", "The instance %s cannot be found.", r.Route["instanceId"])
	}
	if r.Action == ListConsumerGroups {
		return in.list(r.Params)
	}
	g, found := in.groups.Get(r.Route["consumerGroupId"])
	if !found {
		return fail(http.StatusNotFound, "ConsumerGroup.NotFound", "The consumer group %s cannot be found.", r.Route["consumerGroupId"])
	}
	switch r.Action {
	case GetConsumerGroupLag:
		return in.lag(r.Route["consumerGroupId"], g, r.Params["topicName"])
	case ResetConsumeOffset:
		return in.reset(g, r)
	}
	return fail(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
}

// ListPaging is ListConsumerGroups' paging as documented: pageNumber from 1, pageSize 10 to 100.
var ListPaging = aliyuntest.Paging{PageParam: "pageNumber", SizeParam: "pageSize", DefaultSize: 10, MinSize: 10, MaxSize: 100}

type consumerGroup struct {
	RegionID        string `json:"regionId"`
	InstanceID      string `json:"instanceId"`
	ConsumerGroupID string `json:"consumerGroupId"`
	Status          string `json:"status"`
	Remark          string `json:"remark"`
	CreateTime      string `json:"createTime"`
	UpdateTime      string `json:"updateTime"`
}

// list answers ListConsumerGroups. Its filter is not emulated (it is refused).
func (in *Instance) list(params map[string]string) aliyuntest.Reply {
	if params["filter"] != "" {
		return fail(http.StatusBadRequest, "InvalidParameter", "The emulator does not filter ListConsumerGroups; leave filter out to list every group.")
	}
	names := in.groups.Names()
	page, size, items, problem := ListPaging.Page(params, names)
	if problem != "" {
		return fail(http.StatusBadRequest, "InvalidParameter", "%s", problem)
	}
	list := make([]consumerGroup, len(items))
	created := "2026-05-01 08:00:00"
	for i, name := range items {
		list[i] = consumerGroup{RegionID: in.Region, InstanceID: in.ID, ConsumerGroupID: name, Status: "RUNNING", CreateTime: created, UpdateTime: created}
	}
	return ok(map[string]any{"pageNumber": page, "pageSize": size, "totalCount": len(names), "list": list})
}

type lag struct {
	ReadyCount           int64 `json:"readyCount"`
	InflightCount        int64 `json:"inflightCount"`
	DeliveryDuration     int64 `json:"deliveryDuration"`
	LastConsumeTimestamp int64 `json:"lastConsumeTimestamp"`
}

func (in *Instance) lag(groupID string, g *group, only string) aliyuntest.Reply {
	now := time.Now().UnixMilli()
	var total lag
	perTopic := map[string]lag{}
	for name, pos := range g.consumed {
		if only != "" && name != only {
			continue
		}
		t, found := in.Logs[name]
		if !found {
			// A subscription outlives its topic: it shows with nothing to consume.
			t = &aliyuntest.Log{}
		}
		pos = max(pos, t.Start)
		l := lag{ReadyCount: max(0, t.End()-pos), InflightCount: g.inflight[name], LastConsumeTimestamp: t.TimeOf(pos - 1)}
		if l.ReadyCount > 0 {
			l.DeliveryDuration = max(0, now-t.TimeOf(pos)) / 1000
		}
		perTopic[name] = l
		total.ReadyCount += l.ReadyCount
		total.InflightCount += l.InflightCount
		total.DeliveryDuration = max(total.DeliveryDuration, l.DeliveryDuration)
		total.LastConsumeTimestamp = max(total.LastConsumeTimestamp, l.LastConsumeTimestamp)
	}
	if only != "" && len(perTopic) == 0 {
		return fail(http.StatusNotFound, "Topic.NotFound", "The topic %s cannot be found in the subscriptions of group %s.", only, groupID)
	}
	return ok(map[string]any{"regionId": in.Region, "instanceId": in.ID, "consumerGroupId": groupID, "totalLag": total, "topicLagMap": perTopic})
}

func (in *Instance) reset(g *group, r *aliyuntest.Request) aliyuntest.Reply {
	name := r.Route["topicName"]
	t, found := in.Logs[name]
	if !found {
		return fail(http.StatusNotFound, "Topic.NotFound", "The topic %s cannot be found.", name)
	}
	if _, subscribed := g.consumed[name]; !subscribed {
		return fail(http.StatusBadRequest, "Subscription.NotFound", "The consumer group %s does not subscribe to topic %s.", r.Route["consumerGroupId"], name)
	}
	var body struct {
		ResetType *string `json:"resetType"`
		ResetTime *string `json:"resetTime"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		return fail(http.StatusBadRequest, "InvalidParameter", "The request body is not a JSON object: %v.", err)
	}
	if body.ResetType == nil {
		return fail(http.StatusBadRequest, "MissingResetType", "Parameter resetType is mandatory for this action .")
	}
	switch *body.ResetType {
	case "LATEST_OFFSET":
		g.consumed[name] = t.End()
	case "SPECIFIED_TIME":
		if body.ResetTime == nil || *body.ResetTime == "" {
			return fail(http.StatusBadRequest, "MissingResetTime", "Parameter resetTime is mandatory when resetType is SPECIFIED_TIME .")
		}
		at, err := time.ParseInLocation("2006-01-02 15:04:05", *body.ResetTime, ResetTimeZone)
		if err != nil {
			return fail(http.StatusBadRequest, "InvalidResetTime", "The resetTime %q is not in the format YYYY-MM-DD HH:mm:ss.", *body.ResetTime)
		}
		g.consumed[name] = t.At(at.UnixMilli())
	default:
		return fail(http.StatusBadRequest, "InvalidResetType", "The resetType %q is invalid; use LATEST_OFFSET or SPECIFIED_TIME.", *body.ResetType)
	}
	g.inflight[name] = 0
	return ok(true)
}
