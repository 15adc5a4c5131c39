package alikafkatest_test

import (
	"strings"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/alikafka"

	"offsetreset/shared/provider/alikafka/alikafkatest"
	"offsetreset/shared/provider/aliyun/aliyuntest"
)

// start runs an emulator, closed when the test ends, with the instance alikafka_x in cn-hangzhou,
// and returns the instance, a client of the SDK and the host its requests go to.
func start(t *testing.T) (*alikafkatest.Instance, *alikafka.Client, string) {
	t.Helper()
	s := alikafkatest.Start()
	t.Cleanup(s.Close)
	c := aliyuntest.SDKClient(t, s.Server, "cn-hangzhou", alikafka.NewClientWithAccessKey)
	return s.Instance("alikafka_x", "cn-hangzhou"), c, strings.TrimPrefix(s.URL, "http://")
}

// The emulator on its own, driven by the SDK's generated client: parameter checks and the
// documented reset semantics.
func TestEmulator(t *testing.T) {
	in, c, host := start(t)
	in.AddTopic("t", 2)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	in.Produce("t", 10, func(_ int32, i int) time.Time { return base.Add(time.Duration(i) * time.Second) })
	in.Trim("t", 1, 4)
	in.CommitAll("g", "t", func(int32) int64 { return 5 })
	update := func(mod func(r *alikafka.UpdateConsumerOffsetRequest)) (*alikafka.UpdateConsumerOffsetResponse, error) {
		r := alikafka.CreateUpdateConsumerOffsetRequest()
		r.Scheme, r.Domain = requests.HTTP, host
		r.InstanceId, r.ConsumerId = "alikafka_x", "g"
		mod(r)
		return c.UpdateConsumerOffset(r)
	}
	// Business errors: HTTP 200, Success false, numeric Code.
	for name, mod := range map[string]func(r *alikafka.UpdateConsumerOffsetRequest){
		"bad ResetType":        func(r *alikafka.UpdateConsumerOffsetRequest) { r.ResetType = "bogus"; r.Time = "-1" },
		"no Time":              func(r *alikafka.UpdateConsumerOffsetRequest) { r.ResetType = "timestamp" },
		"offset without Topic": func(r *alikafka.UpdateConsumerOffsetRequest) { r.ResetType = "offset" },
		"null Offsets":         func(r *alikafka.UpdateConsumerOffsetRequest) { r.ResetType, r.Topic = "offset", "t" },
		"unknown partition": func(r *alikafka.UpdateConsumerOffsetRequest) {
			r.ResetType, r.Topic = "offset", "t"
			r.Offsets = &[]alikafka.UpdateConsumerOffsetOffsets{{Partition: "7", Offset: "1"}}
		},
		"unknown topic": func(r *alikafka.UpdateConsumerOffsetRequest) { r.Topic, r.Time = "nope", "-1" },
	} {
		resp, err := update(mod)
		if err != nil || resp.Success || resp.Code != 400 || resp.Message == "" {
			t.Errorf("%s: %+v %v", name, resp, err)
		}
	}
	// A missing required parameter is a gateway error with a string code.
	_, err := update(func(r *alikafka.UpdateConsumerOffsetRequest) { r.ConsumerId = "" })
	if se, ok := err.(*sdkerrors.ServerError); !ok || se.ErrorCode() != "MissingConsumerId" || se.HttpStatus() != 400 {
		t.Errorf("missing ConsumerId: %v", err)
	}
	// Offsets are clamped into [min, max]; the SDK sends them as strings.
	resp, err := update(func(r *alikafka.UpdateConsumerOffsetRequest) {
		r.ResetType, r.Topic = "offset", "t"
		r.Offsets = &[]alikafka.UpdateConsumerOffsetOffsets{{Partition: "0", Offset: "99"}, {Partition: "1", Offset: "0"}}
	})
	if err != nil || !resp.Success {
		t.Fatalf("%+v %v", resp, err)
	}
	if got := in.Committed("g")["t"]; got[0] != 10 || got[1] != 4 {
		t.Errorf("committed %v, want 10 and 4", got)
	}
	// Time resets: -2 earliest, a time, -1 latest.
	for _, c := range []struct {
		tm   string
		want [2]int64
	}{{"-2", [2]int64{0, 4}}, {"1767225603000", [2]int64{3, 4}}, {"-1", [2]int64{10, 10}}} {
		tm, want := c.tm, c.want
		resp, err := update(func(r *alikafka.UpdateConsumerOffsetRequest) { r.Time = tm })
		if err != nil || !resp.Success {
			t.Fatalf("%s: %+v %v", tm, resp, err)
		}
		if got := in.Committed("g")["t"]; got[0] != want[0] || got[1] != want[1] {
			t.Errorf("Time %s: committed %v, want %v", tm, got, want)
		}
	}
	// Online consumers: refused, nothing changed.
	in.SetOnline("g", "c-1")
	resp, err = update(func(r *alikafka.UpdateConsumerOffsetRequest) { r.Time = "-2" })
	if err != nil || resp.Success || resp.Message != alikafkatest.OnlineMessage {
		t.Errorf("online: %+v %v", resp, err)
	}
	if got := in.Committed("g")["t"]; got[0] != 10 {
		t.Errorf("a refused reset moved the group: %v", got)
	}
	// Progress and status carry the doubled list keys.
	pr := alikafka.CreateGetConsumerProgressRequest()
	pr.Scheme, pr.Domain, pr.InstanceId, pr.ConsumerId = requests.HTTP, host, "alikafka_x", "g"
	prog, err := c.GetConsumerProgress(pr)
	if err != nil || !prog.Success || len(prog.ConsumerProgress.TopicList.TopicListItem) != 1 ||
		len(prog.ConsumerProgress.TopicList.TopicListItem[0].OffsetList.OffsetListItem) != 2 || len(prog.ConsumerProgress.RebalanceInfoList.RebalanceInfoListItem) != 1 {
		t.Errorf("progress %+v %v", prog, err)
	}
	st := alikafka.CreateGetTopicStatusRequest()
	st.Scheme, st.Domain, st.InstanceId, st.Topic = requests.HTTP, host, "alikafka_x", "t"
	status, err := c.GetTopicStatus(st)
	if err != nil || len(status.TopicStatus.OffsetTable.OffsetTableItem) != 2 || status.TopicStatus.OffsetTable.OffsetTableItem[1].MinOffset != 4 {
		t.Errorf("status %+v %v", status, err)
	}
	// Another region does not see the instance.
	st = alikafka.CreateGetTopicStatusRequest()
	st.Scheme, st.Domain, st.InstanceId, st.Topic, st.RegionId = requests.HTTP, host, "alikafka_x", "t", "cn-beijing"
	if status, err := c.GetTopicStatus(st); err != nil || status.Success {
		t.Errorf("other region: %+v %v", status, err)
	}
}
