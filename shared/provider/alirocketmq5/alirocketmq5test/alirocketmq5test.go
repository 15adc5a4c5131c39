// Package alirocketmq5test emulates the ApsaraMQ for RocketMQ 5.x OpenAPI (RocketMQ 2022-08-01,
// ROA style) over real HTTP: the gateway checks of package aliyuntest (ROA signature over the
// canonical headers and resource, AccessKey, Date window, Content-MD5, x-acs-version), an
// instance model (topics whose messages have store times, groups with a consumed position and
// in-flight messages per topic) and two operations:
//
//	GET   /instances/{instanceId}/consumerGroups/{consumerGroupId}/lag[?topicName=]       GetConsumerGroupLag
//	PATCH /instances/{instanceId}/consumerGroups/{consumerGroupId}/consumeOffsets/{topicName}  ResetConsumeOffset
//
// ResetConsumeOffset takes {"resetType":"LATEST_OFFSET"} or {"resetType":"SPECIFIED_TIME",
// "resetTime":"YYYY-MM-DD HH:mm:ss"}; the emulator reads resetTime in UTC+8 (ResetTimeZone), as
// offsetreset sends it, and moves to the first message stored at or after it (the log end when
// none is), as the broker's search by time does. Service errors come back in the 2022-08-01
// lowercase shape (requestId, success false, code, message, httpStatusCode); gateway errors
// (signature, throttling) in the gateway's capitalised shape. Error codes are the emulator's
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
	groups map[string]*group
}

type group struct {
	consumed map[string]int64
	inflight map[string]int64
}

// Instance returns the instance with this ID, creating it if needed.
func (s *Server) Instance(id, region string) *Instance {
	return s.AddInstance(id, func() *Instance {
		return &Instance{Topics: aliyuntest.NewTopics(&s.Mu), s: s, ID: id, Region: region, groups: map[string]*group{}}
	})
}

func (in *Instance) group(name string) *group {
	return aliyuntest.Lazy(in.groups, name, func() *group { return &group{consumed: map[string]int64{}, inflight: map[string]int64{}} })
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

// Consumed is a copy of a group's positions: topic → position.
func (in *Instance) Consumed(groupID string) map[string]int64 {
	in.s.Mu.Lock()
	defer in.s.Mu.Unlock()
	if g, ok := in.groups[groupID]; ok {
		return maps.Clone(g.consumed)
	}
	return map[string]int64{}
}

type api Server

func (a *api) Knows(string) bool { return false }

func (a *api) Route(method, path string) (string, map[string]string, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) < 5 || parts[0] != "instances" || parts[2] != "consumerGroups" {
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
	g, found := in.groups[r.Route["consumerGroupId"]]
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
