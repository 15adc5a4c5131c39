// Package alikafkatest emulates the ApsaraMQ for Kafka OpenAPI (alikafka 2019-09-16) over real
// HTTP, like net/http/httptest: the gateway checks of package aliyuntest (RPC signature v1,
// AccessKey, timestamp, nonce, version), an instance model (topics with partitions whose log
// start and end and message timestamps are known, groups with committed offsets and online
// consumers) and the documented behaviour of GetConsumerList, GetConsumerProgress, GetTopicStatus
// and UpdateConsumerOffset: groups are listed in creation order, one CurrentPage of PageSize at a
// time; Time -1 latest, -2 earliest, a millisecond time resolves to the first message at or after
// it, offsets are clamped into [min, max], an empty Topic means every topic the group subscribes
// to, and a group with online consumers is refused. Business errors come back as HTTP 200 with
// Success false and a numeric Code, as the service does.
package alikafkatest

import (
	"bytes"
	"encoding/json"
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
const Version = "2019-09-16"

// Actions the emulator implements.
const (
	GetConsumerList      = "GetConsumerList"
	GetConsumerProgress  = "GetConsumerProgress"
	GetTopicStatus       = "GetTopicStatus"
	UpdateConsumerOffset = "UpdateConsumerOffset"
)

// OnlineMessage is the sentence of the refusal when consumers are online.
const OnlineMessage = "The consumer group is online. Stop all consumers of the group and wait for their sessions to time out before you reset its consumer offsets."

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

// Instance is one ApsaraMQ for Kafka instance: topics of partitions, each a message log whose
// positions are the offsets.
type Instance struct {
	s      *Server
	ID     string
	Region string
	topics map[string][]*aliyuntest.Log
	groups aliyuntest.Groups[group]
}

type group struct {
	committed map[string]map[int32]int64
	online    []string
}

// Instance returns the instance with this ID, creating it in region if needed.
func (s *Server) Instance(id, region string) *Instance {
	return s.AddInstance(id, func() *Instance {
		return &Instance{s: s, ID: id, Region: region, topics: map[string][]*aliyuntest.Log{}}
	})
}

// lastTime is the time of the message before offset, the last one a group at offset consumed.
func lastTime(part *aliyuntest.Log, offset int64) int64 { return part.TimeOf(offset - 1) }

// AddTopic creates an empty topic with n partitions.
func (in *Instance) AddTopic(name string, n int32) {
	in.s.Mu.Lock()
	defer in.s.Mu.Unlock()
	parts := make([]*aliyuntest.Log, n)
	for p := range parts {
		parts[p] = &aliyuntest.Log{}
	}
	in.topics[name] = parts
}

// Produce appends n messages to every partition of a topic; message i of partition p has time
// ts(p, i).
func (in *Instance) Produce(name string, n int, ts func(p int32, i int) time.Time) {
	in.s.Mu.Lock()
	defer in.s.Mu.Unlock()
	for p, part := range in.topics[name] {
		part.Append(n, func(i int) time.Time { return ts(int32(p), i) })
	}
}

// Trim drops the messages of one partition before offset start (retention).
func (in *Instance) Trim(name string, p int32, start int64) {
	in.s.Mu.Lock()
	defer in.s.Mu.Unlock()
	in.topics[name][p].Trim(start)
}

// Bounds is the log start and end of a partition.
func (in *Instance) Bounds(name string, p int32) (start, end int64) {
	in.s.Mu.Lock()
	defer in.s.Mu.Unlock()
	part := in.topics[name][p]
	return part.Start, part.End()
}

func (in *Instance) group(name string) *group {
	return in.groups.Lazy(name, func() *group { return &group{committed: map[string]map[int32]int64{}} })
}

// AddGroup creates a consumer group with no offsets.
func (in *Instance) AddGroup(name string) {
	in.s.Mu.Lock()
	defer in.s.Mu.Unlock()
	in.group(name)
}

// Commit sets a group's committed offset on one partition (creating the group).
func (in *Instance) Commit(groupName, topicName string, p int32, offset int64) {
	in.s.Mu.Lock()
	defer in.s.Mu.Unlock()
	g := in.group(groupName)
	if g.committed[topicName] == nil {
		g.committed[topicName] = map[int32]int64{}
	}
	g.committed[topicName][p] = offset
}

// CommitAll commits offset(p) on every partition of a topic.
func (in *Instance) CommitAll(groupName, topicName string, offset func(p int32) int64) {
	in.s.Mu.Lock()
	n := len(in.topics[topicName])
	in.s.Mu.Unlock()
	for p := range int32(n) {
		in.Commit(groupName, topicName, p, offset(p))
	}
}

// SetOnline marks consumers of a group online (client IDs); none = the group is empty.
func (in *Instance) SetOnline(groupName string, clients ...string) {
	in.s.Mu.Lock()
	defer in.s.Mu.Unlock()
	in.group(groupName).online = clients
}

// Committed is a copy of a group's committed offsets: topic → partition → offset.
func (in *Instance) Committed(groupName string) map[string]map[int32]int64 {
	in.s.Mu.Lock()
	defer in.s.Mu.Unlock()
	out := map[string]map[int32]int64{}
	if g, ok := in.groups.Get(groupName); ok {
		for t, ps := range g.committed {
			out[t] = maps.Clone(ps)
		}
	}
	return out
}

// api is the product behind the gateway.
type api Server

func (a *api) Route(string, string) (string, map[string]string, bool) { return "", nil, false }

func (a *api) Knows(action string) bool {
	switch action {
	case GetConsumerList, GetConsumerProgress, GetTopicStatus, UpdateConsumerOffset:
		return true
	}
	return false
}

// business is an HTTP 200 answer with Success false, the service's way of refusing.
func business(code int, format string, args ...any) aliyuntest.Reply {
	return aliyuntest.Reply{Status: http.StatusOK, Code: strconv.Itoa(code), Body: map[string]any{
		"Success": false, "Code": code, "Message": fmt.Sprintf(format, args...), "RequestId": aliyuntest.RequestID(),
	}}
}

func missing(name string) aliyuntest.Reply {
	return aliyuntest.GatewayError(http.StatusBadRequest, "Missing"+name, name+" is mandatory for this action.")
}

func success(fields map[string]any) aliyuntest.Reply {
	body := map[string]any{"Success": true, "Code": 200, "Message": "operation success", "RequestId": aliyuntest.RequestID()}
	for k, v := range fields {
		body[k] = v
	}
	return aliyuntest.OK(body)
}

func (a *api) Serve(r *aliyuntest.Request) aliyuntest.Reply {
	p := r.Params
	if p["RegionId"] == "" {
		return missing("RegionId")
	}
	if p["InstanceId"] == "" {
		return missing("InstanceId")
	}
	s := (*Server)(a)
	s.Mu.Lock()
	defer s.Mu.Unlock()
	in, ok := s.Lookup(p["InstanceId"])
	if !ok || in.Region != p["RegionId"] {
		return business(400, "The instance %s does not exist in region %s.", p["InstanceId"], p["RegionId"])
	}
	switch r.Action {
	case GetConsumerList:
		return in.consumerList(p)
	case GetConsumerProgress:
		return in.progress(p)
	case GetTopicStatus:
		return in.topicStatus(p)
	case UpdateConsumerOffset:
		return in.update(p)
	}
	return aliyuntest.GatewayError(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
}

// ListPaging is GetConsumerList's paging: CurrentPage from 1, PageSize 10 unless given. The API
// reference gives no limit; the emulator takes 1 to 100.
var ListPaging = aliyuntest.Paging{PageParam: "CurrentPage", SizeParam: "PageSize", DefaultSize: 10, MinSize: 1, MaxSize: 100}

type consumerVO struct {
	ConsumerID                string `json:"ConsumerId"`
	InstanceID                string `json:"InstanceId"`
	RegionID                  string `json:"RegionId"`
	Remark                    string `json:"Remark"`
	AutomaticallyCreatedGroup bool   `json:"AutomaticallyCreatedGroup"`
	Tags                      struct {
		TagVO []struct{} `json:"TagVO"`
	} `json:"Tags"`
}

// consumerList answers GetConsumerList: one page of the instance's groups in creation order, with
// Total, CurrentPage and PageSize. Its ConsumerId filter is not emulated (it is refused).
func (in *Instance) consumerList(p map[string]string) aliyuntest.Reply {
	if p["ConsumerId"] != "" {
		return business(400, "The emulator does not filter GetConsumerList by ConsumerId; leave it out to list every group.")
	}
	names := in.groups.Names()
	page, size, items, problem := ListPaging.Page(p, names)
	if problem != "" {
		return business(400, "%s", problem)
	}
	list := make([]consumerVO, len(items))
	for i, name := range items {
		list[i] = consumerVO{ConsumerID: name, InstanceID: in.ID, RegionID: in.Region}
		list[i].Tags.TagVO = []struct{}{}
	}
	return success(map[string]any{"Total": len(names), "CurrentPage": page, "PageSize": size,
		"ConsumerList": map[string]any{"ConsumerVO": list}})
}

type offsetItem struct {
	Partition      int32 `json:"Partition"`
	BrokerOffset   int64 `json:"BrokerOffset"`
	ConsumerOffset int64 `json:"ConsumerOffset"`
	LastTimestamp  int64 `json:"LastTimestamp"`
}

type topicItem struct {
	Topic         string `json:"Topic"`
	TotalDiff     int64  `json:"TotalDiff"`
	LastTimestamp int64  `json:"LastTimestamp"`
	OffsetList    struct {
		OffsetList []offsetItem `json:"OffsetList"`
	} `json:"OffsetList"`
}

type rebalanceItem struct {
	GroupID                string `json:"GroupId"`
	Generation             int64  `json:"Generation"`
	LastRebalanceTimestamp int64  `json:"LastRebalanceTimestamp"`
	Reason                 string `json:"Reason"`
	RebalanceTimeConsuming int64  `json:"RebalanceTimeConsuming"`
	RebalanceSuccess       bool   `json:"RebalanceSuccess"`
}

func (in *Instance) progress(p map[string]string) aliyuntest.Reply {
	if p["ConsumerId"] == "" {
		return missing("ConsumerId")
	}
	g, ok := in.groups.Get(p["ConsumerId"])
	if !ok {
		return business(400, "The consumer group %s does not exist.", p["ConsumerId"])
	}
	var cp struct {
		TotalDiff     int64 `json:"TotalDiff"`
		LastTimestamp int64 `json:"LastTimestamp"`
		TopicList     struct {
			TopicList []topicItem `json:"TopicList"`
		} `json:"TopicList"`
		RebalanceInfoList struct {
			RebalanceInfoList []rebalanceItem `json:"RebalanceInfoList"`
		} `json:"RebalanceInfoList"`
	}
	cp.TopicList.TopicList = []topicItem{}
	cp.RebalanceInfoList.RebalanceInfoList = []rebalanceItem{}
	for _, name := range sortedKeys(g.committed) {
		logs, ok := in.topics[name]
		if !ok {
			continue
		}
		ti := topicItem{Topic: name}
		ti.OffsetList.OffsetList = []offsetItem{}
		parts := make([]int32, 0, len(g.committed[name]))
		for part := range g.committed[name] {
			parts = append(parts, part)
		}
		sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
		for _, part := range parts {
			if int(part) >= len(logs) {
				continue
			}
			pt, c := logs[part], g.committed[name][part]
			it := offsetItem{Partition: part, BrokerOffset: pt.End(), ConsumerOffset: c, LastTimestamp: lastTime(pt, c)}
			ti.OffsetList.OffsetList = append(ti.OffsetList.OffsetList, it)
			ti.TotalDiff += max(0, pt.End()-c)
			ti.LastTimestamp = max(ti.LastTimestamp, it.LastTimestamp)
		}
		cp.TotalDiff += ti.TotalDiff
		cp.LastTimestamp = max(cp.LastTimestamp, ti.LastTimestamp)
		cp.TopicList.TopicList = append(cp.TopicList.TopicList, ti)
	}
	if len(g.online) > 0 {
		cp.RebalanceInfoList.RebalanceInfoList = append(cp.RebalanceInfoList.RebalanceInfoList, rebalanceItem{
			GroupID: p["ConsumerId"], Generation: 1, LastRebalanceTimestamp: time.Now().UnixMilli(), Reason: "rebalance by member " + g.online[0] + " joining", RebalanceTimeConsuming: 12, RebalanceSuccess: true,
		})
	}
	return success(map[string]any{"ConsumerProgress": cp})
}

type tableItem struct {
	Topic               string `json:"Topic"`
	Partition           int32  `json:"Partition"`
	MinOffset           int64  `json:"MinOffset"`
	MaxOffset           int64  `json:"MaxOffset"`
	LastUpdateTimestamp int64  `json:"LastUpdateTimestamp"`
}

func (in *Instance) topicStatus(p map[string]string) aliyuntest.Reply {
	if p["Topic"] == "" {
		return missing("Topic")
	}
	parts, ok := in.topics[p["Topic"]]
	if !ok {
		return business(400, "The topic %s does not exist.", p["Topic"])
	}
	var st struct {
		TotalCount    int64 `json:"TotalCount"`
		LastTimeStamp int64 `json:"LastTimeStamp"`
		OffsetTable   struct {
			OffsetTable []tableItem `json:"OffsetTable"`
		} `json:"OffsetTable"`
	}
	st.OffsetTable.OffsetTable = []tableItem{}
	for i, part := range parts {
		last := lastTime(part, part.End())
		st.OffsetTable.OffsetTable = append(st.OffsetTable.OffsetTable, tableItem{Topic: p["Topic"], Partition: int32(i), MinOffset: part.Start, MaxOffset: part.End(), LastUpdateTimestamp: last})
		st.TotalCount += int64(len(part.Times))
		st.LastTimeStamp = max(st.LastTimeStamp, last)
	}
	return success(map[string]any{"TopicStatus": st})
}

func (in *Instance) update(p map[string]string) aliyuntest.Reply {
	if p["ConsumerId"] == "" {
		return missing("ConsumerId")
	}
	g, ok := in.groups.Get(p["ConsumerId"])
	if !ok {
		return business(400, "The consumer group %s does not exist.", p["ConsumerId"])
	}
	if len(g.online) > 0 {
		return business(400, "%s", OnlineMessage)
	}
	resetType := p["ResetType"]
	if resetType == "" {
		resetType = "timestamp"
	}
	switch resetType {
	case "timestamp":
		return in.resetByTime(g, p)
	case "offset":
		return in.resetByOffsets(g, p)
	}
	return business(400, "The ResetType %q is invalid; use timestamp or offset.", resetType)
}

func (in *Instance) resetByTime(g *group, p map[string]string) aliyuntest.Reply {
	if p["Time"] == "" {
		return business(400, "Time is required when ResetType is timestamp.")
	}
	ms, err := strconv.ParseInt(p["Time"], 10, 64)
	if err != nil || ms < -2 {
		return business(400, "The Time %q is invalid; give Unix milliseconds, -1 (latest) or -2 (earliest).", p["Time"])
	}
	topics := []string{p["Topic"]}
	if p["Topic"] == "" {
		topics = sortedKeys(g.committed)
		if len(topics) == 0 {
			return business(400, "The consumer group %s has not subscribed to any topic.", p["ConsumerId"])
		}
	}
	for _, name := range topics {
		if _, ok := in.topics[name]; !ok {
			return business(400, "The topic %s does not exist.", name)
		}
	}
	for _, name := range topics {
		if g.committed[name] == nil {
			g.committed[name] = map[int32]int64{}
		}
		for i, part := range in.topics[name] {
			switch ms {
			case -1:
				g.committed[name][int32(i)] = part.End()
			case -2:
				g.committed[name][int32(i)] = part.Start
			default:
				g.committed[name][int32(i)] = part.At(ms)
			}
		}
	}
	return success(nil)
}

func (in *Instance) resetByOffsets(g *group, p map[string]string) aliyuntest.Reply {
	name := p["Topic"]
	if name == "" {
		return business(400, "Topic is required when ResetType is offset.")
	}
	parts, ok := in.topics[name]
	if !ok {
		return business(400, "The topic %s does not exist.", name)
	}
	raw := strings.TrimSpace(p["Offsets"])
	if raw == "" || raw == "null" {
		return business(400, "Offsets is required when ResetType is offset.")
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.UseNumber()
	var items []map[string]any
	if err := dec.Decode(&items); err != nil || len(items) == 0 {
		return business(400, "Offsets is not a JSON array of {Partition, Offset}.")
	}
	set := map[int32]int64{}
	for _, it := range items {
		part, ok1 := number(it, "Partition")
		off, ok2 := number(it, "Offset")
		if !ok1 || !ok2 {
			return business(400, "Offsets entry %v needs Partition and Offset.", it)
		}
		if part < 0 || int(part) >= len(parts) {
			return business(400, "The partition %d of topic %s does not exist.", part, name)
		}
		set[int32(part)] = parts[part].Clamp(off)
	}
	if g.committed[name] == nil {
		g.committed[name] = map[int32]int64{}
	}
	for part, off := range set {
		g.committed[name][part] = off
	}
	return success(nil)
}

// number reads key (any case) as a JSON number or a string of digits.
func number(m map[string]any, key string) (int64, bool) {
	for k, v := range m {
		if !strings.EqualFold(k, key) {
			continue
		}
		switch x := v.(type) {
		case json.Number:
			n, err := x.Int64()
			return n, err == nil
		case string:
			n, err := strconv.ParseInt(x, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
