// Package alirocketmq5 is the provider for ApsaraMQ for RocketMQ 5.x through its OpenAPI
// (RocketMQ 2022-08-01, ROA style): ListConsumerGroups to list groups, GetConsumerGroupLag to
// plan, ResetConsumeOffset to write.
//
// The dedicated 5.x SDK (github.com/alibabacloud-go/rocketmq-20220801) is not on the module
// registry, so every call is built on alibaba-cloud-sdk-go's CommonRequest: the same signing,
// endpoint and credential handling as the generated clients, with the path, method and JSON body
// written here. The SDK reads only capitalised error keys; 5.x answers in lowercase
// (code, message, requestId), so answers are parsed here.
package alirocketmq5

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/aliyun"
	"offsetreset/shared/reset"
)

// Kind is the provider name in the config.
const Kind = "alirocketmq5"

// API product and version of RocketMQ 5.x.
const (
	Product = "RocketMQ"
	Version = "2022-08-01"
)

// Describe is what RocketMQ 5.x can do, for the invalid answer to anything else.
const Describe = "ApsaraMQ for RocketMQ 5.x moves a group on a whole topic to latest or to a point in time (time:T, ago:D); its ResetConsumeOffset API has no earliest, no offsets (offset:N, shift:±N) and no single queues: for the oldest retained messages use time:T with a time at or before them"

// ResetTimeZone is the zone of resetTime ("YYYY-MM-DD HH:mm:ss", no zone on the wire): China
// Standard Time, the zone of the API's own examples and console.
var ResetTimeZone = time.FixedZone("UTC+8", 8*3600)

// nameRE is what can travel in the request path unescaped (the SDK does not escape path parts).
// nameRE is compiled on first use: nothing is compiled at start-up (cold start).
var nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`) })

// Provider talks to one RocketMQ 5.x instance.
type Provider struct {
	// API is the signed-call client; tests tune its Limiter and Timeout.
	API      *aliyun.Client
	instance string
}

// DefaultHost is the public OpenAPI endpoint of a region.
func DefaultHost(region string) string { return "rocketmq." + region + ".aliyuncs.com" }

// New checks an alirocketmq5 target: region and instance are required.
func New(name string, t config.Target) (reset.Provider, error) {
	c, err := aliyun.NewClient(name, Kind, t, DefaultHost)
	if err != nil {
		return nil, err
	}
	if !nameRE().MatchString(t.Instance) {
		return nil, fmt.Errorf("instance %q is not a RocketMQ 5.x instance ID (like rmq-cn-xxxx)", t.Instance)
	}
	return &Provider{API: c, instance: t.Instance}, nil
}

// Kind implements reset.Provider.
func (p *Provider) Kind() string { return Kind }

// Capabilities implements reset.Provider: latest and points in time, whole topics, no exact
// offsets, no guard (resets work while consumers run).
func (p *Provider) Capabilities() reset.Capabilities {
	return reset.Capabilities{
		Forms:    []reset.Form{reset.FormLatest, reset.FormTime, reset.FormAgo},
		Guard:    reset.GuardNone,
		Describe: Describe,
	}
}

// answer is the 2022-08-01 envelope.
type answer struct {
	RequestID string          `json:"requestId"`
	Success   *bool           `json:"success"`
	Code      string          `json:"code"`
	Message   string          `json:"message"`
	Data      json.RawMessage `json:"data"`
}

// do sends one CommonRequest (a fresh one per attempt) and decodes the envelope.
func (p *Provider) do(ctx context.Context, call aliyun.Call, method, pattern string, path, query map[string]string, body []byte) (*answer, error) {
	var out answer
	_, err := aliyun.Do(ctx, p.API, call, func() (requests.AcsRequest, *responses.CommonResponse) {
		req := requests.NewCommonRequest()
		req.Method = method
		req.Product = Product
		req.Version = Version
		req.ApiName = call.API
		req.PathPattern = pattern
		for k, v := range path {
			req.PathParams[k] = v
		}
		for k, v := range query {
			req.QueryParams[k] = v
		}
		if body != nil {
			req.SetContentType("application/json")
			req.SetContent(body)
		}
		req.TransToAcsRequest()
		return req, responses.NewCommonResponse()
	}, func(r *responses.CommonResponse) error {
		out = answer{}
		if err := json.Unmarshal(r.GetHttpContentBytes(), &out); err != nil {
			return fmt.Errorf("%s: the service answered HTTP %d with a body that is not the JSON the API documents (%v); nothing can be read from it, retry later", call.What, r.GetHttpStatus(), err)
		}
		if out.Success != nil && !*out.Success {
			return &aliyun.APIError{What: call.What, Status: r.GetHttpStatus(), Code: out.Code, Message: out.Message, RequestID: out.RequestID}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// RAMActions are the RAM actions behind the API operations this provider calls.
var RAMActions = map[string]string{
	"GetConsumerGroupLag": "rocketmq:GetConsumerGroupLag",
	"ListConsumerGroups":  "rocketmq:ListConsumerGroups",
	"ResetConsumeOffset":  "rocketmq:ResetConsumeOffset",
}

func call(api, what string) aliyun.Call {
	return aliyun.Call{What: api + " " + what, API: api, RAM: RAMActions[api]}
}

func (p *Provider) checkName(kind, name string) error {
	if !nameRE().MatchString(name) {
		return reset.Invalid("%s %q cannot be a RocketMQ 5.x name: use letters, digits, '_', '-' and '.' only", kind, name)
	}
	return nil
}

func (p *Provider) notFound(err error, kind, name string) error {
	var api *aliyun.APIError
	if errors.As(err, &api) && strings.EqualFold(api.Code, kind+".NotFound") {
		return reset.Invalid("%s %q was not found on target %s (%s); check the name", strings.ToLower(kind[:1])+kind[1:], name, p.API.Target, strings.TrimSuffix(api.Message, "."))
	}
	return err
}

type lag struct {
	ReadyCount    int64 `json:"readyCount"`
	InflightCount int64 `json:"inflightCount"`
}

// Snapshot implements reset.Provider with one GetConsumerGroupLag: one row per subscribed topic,
// lag = ready + in-flight messages.
func (p *Provider) Snapshot(ctx context.Context, q reset.Query) (*reset.Snapshot, error) {
	if err := p.checkName("group", q.Group); err != nil {
		return nil, err
	}
	for _, t := range q.Topics {
		if err := p.checkName("topic", t); err != nil {
			return nil, err
		}
	}
	ans, err := p.do(ctx, call("GetConsumerGroupLag", "of group "+q.Group), http.MethodGet,
		"/instances/[instanceId]/consumerGroups/[consumerGroupId]/lag",
		map[string]string{"instanceId": p.instance, "consumerGroupId": q.Group}, nil, nil)
	if err != nil {
		return nil, p.notFound(err, "ConsumerGroup", q.Group)
	}
	var data struct {
		TopicLagMap map[string]lag `json:"topicLagMap"`
	}
	if len(ans.Data) > 0 {
		if err := json.Unmarshal(ans.Data, &data); err != nil {
			return nil, fmt.Errorf("GetConsumerGroupLag of group %s: the answer's data cannot be read (%v)", q.Group, err)
		}
	}
	want := map[string]bool{}
	for _, t := range q.Topics {
		want[t] = true
	}
	topics := make([]string, 0, len(data.TopicLagMap))
	for t := range data.TopicLagMap {
		if len(want) == 0 || want[t] {
			topics = append(topics, t)
		}
	}
	sort.Strings(topics)
	snap := &reset.Snapshot{}
	for _, t := range topics {
		l := data.TopicLagMap[t]
		snap.Rows = append(snap.Rows, reset.PartitionState{Topic: t, Partition: -1, Lag: reset.Int64(l.ReadyCount + l.InflightCount)})
	}
	return snap, nil
}

// Apply implements reset.Provider: one ResetConsumeOffset per topic, LATEST_OFFSET or
// SPECIFIED_TIME with resetTime in UTC+8 to the second (rounded down, so nothing is skipped).
func (p *Provider) Apply(ctx context.Context, a *reset.Apply) ([]reset.Outcome, error) {
	body := map[string]string{"resetType": "LATEST_OFFSET"}
	switch a.To.Form {
	case reset.FormLatest:
	case reset.FormTime, reset.FormAgo:
		at := time.UnixMilli(a.Millis).In(ResetTimeZone)
		body = map[string]string{"resetType": "SPECIFIED_TIME", "resetTime": at.Format("2006-01-02 15:04:05")}
		if a.Millis%1000 != 0 {
			reset.AddNote(ctx, "RocketMQ 5.x takes reset times to the second: %s was sent as %s (UTC+8)", at.Format(time.RFC3339Nano), body["resetTime"])
		}
	default:
		return nil, reset.Invalid("alirocketmq5 targets cannot be reset to %s: %s", a.To.Form, Describe)
	}
	raw, _ := json.Marshal(body)
	return aliyun.EachTopic(a.Moves, func(topic string) error {
		_, err := p.do(ctx, call("ResetConsumeOffset", "of group "+a.Group+" on topic "+topic), http.MethodPatch,
			"/instances/[instanceId]/consumerGroups/[consumerGroupId]/consumeOffsets/[topicName]",
			map[string]string{"instanceId": p.instance, "consumerGroupId": a.Group, "topicName": topic}, nil, raw)
		if err != nil {
			return p.notFound(err, "Topic", topic)
		}
		return nil
	})
}
