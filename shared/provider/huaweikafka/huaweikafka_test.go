package huaweikafka_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"offsetreset/shared/reset/resettest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/huaweicloud/huaweicloudtest"
	"offsetreset/shared/provider/huaweikafka"
	"offsetreset/shared/provider/huaweikafka/huaweikafkatest"
	"offsetreset/shared/reset"
)

const (
	project  = "0a1b2c3d4e5f"
	instance = "3f2e-kafka"
	ak       = "HWTESTAK0001"
	sk       = "hw-test-secret-key"
)

// base is the timestamp of the first message of every test partition; one message per second.
var base = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

type env struct {
	*huaweicloudtest.Harness
	emu *huaweikafkatest.Kafka
	p   *huaweikafka.Provider
}

// setup starts an emulator with two topics and groups billing (empty, with commits) and dashboard
// (one live member), and a provider pointed at it through the SDK.
func setup(t testing.TB, mod func(*config.Target)) *env {
	t.Helper()
	emu := huaweikafkatest.Start(project, instance)
	p := huaweicloudtest.Wire(t, emu.Server, ak, sk, huaweikafka.New, "hw", config.Target{Provider: "huaweikafka", Project: project, Instance: instance, QPS: 200, Concurrency: 8}, mod)
	e := &env{Harness: huaweicloudtest.NewHarness(emu.Server, "hw", p, nil), emu: emu, p: p.(*huaweikafka.Provider)}
	huaweicloudtest.FastRetries(e.p.Cloud.Limiter)
	part := func(start, end int64) huaweikafkatest.Partition {
		return huaweikafkatest.Partition{Start: start, End: end, First: base, Step: 1000}
	}
	emu.AddTopic("orders", part(0, 1000), part(0, 1000), part(0, 1000))
	emu.AddTopic("payments", part(100, 600), part(100, 600))
	for p, o := range []int64{100, 200, 300} {
		emu.Commit("billing", "orders", int32(p), o)
	}
	emu.Commit("billing", "payments", 0, 150)
	emu.Commit("billing", "payments", 1, 200)
	emu.Commit("dashboard", "orders", 0, 10)
	emu.Join("dashboard", huaweikafkatest.Member{ID: "consumer-1-6f1c", ClientID: "consumer-1", Host: "/10.0.0.5",
		Assignment: map[string][]int32{"orders": {0, 1, 2}}})
	return e
}

func (e *env) committed(group, topic string) []int64 {
	m := e.emu.Committed(group)[topic]
	out := make([]int64, len(m))
	for p, o := range m {
		out[p] = o
	}
	return out
}

// wantCommitted checks a group's committed offsets of a topic, partition by partition.
func (e *env) wantCommitted(t *testing.T, group, topic string, want ...int64) {
	t.Helper()
	if got := e.committed(group, topic); !slices.Equal(got, want) {
		t.Errorf("%s committed on %s: %v, want %v", group, topic, got, want)
	}
}

func (e *env) resets(t *testing.T, op string) []huaweikafkatest.ResetBody {
	t.Helper()
	return huaweicloudtest.Bodies(t, e.emu.Server, op, huaweikafkatest.DecodeReset)
}

func offsetOf(b huaweikafkatest.ResetBody) string {
	switch {
	case b.MessageOffset != nil:
		return fmt.Sprintf("offset=%d", *b.MessageOffset)
	case b.Timestamp != nil:
		return fmt.Sprintf("ts=%d", *b.Timestamp)
	}
	return "none"
}

func TestLatestAllTopicsEngineRoute(t *testing.T) {
	e := setup(t, nil)
	res := e.Run(reset.Command{Group: "billing", To: "latest", Reason: "skip backlog"})
	resettest.WantStatus(t, res, reset.StatusApplied)
	e.wantCommitted(t, "billing", "orders", 1000, 1000, 1000)
	e.wantCommitted(t, "billing", "payments", 600, 600)
	// One PUT per topic with partition -1, latest as an offset beyond the end (clamped by the service).
	calls := e.emu.Calls(huaweikafkatest.OpResetMessageOffsetWithEngine)
	if len(calls) != 2 {
		t.Fatalf("%d engine reset calls, want 2", len(calls))
	}
	for _, c := range calls {
		if c.Method != http.MethodPut || c.Status != http.StatusNoContent ||
			!strings.HasPrefix(c.Path, "/v2/kafka/"+project+"/instances/"+instance+"/groups/billing/reset-message-offset") {
			t.Errorf("call %s %s → %d", c.Method, c.Path, c.Status)
		}
	}
	for _, b := range e.resets(t, huaweikafkatest.OpResetMessageOffsetWithEngine) {
		if *b.Partition != -1 || b.MessageOffset == nil || *b.MessageOffset != math.MaxInt64 || b.Timestamp != nil {
			t.Errorf("reset body %+v (%s), want partition -1 and message_offset MaxInt64", b, offsetOf(b))
		}
	}
	if n := len(e.emu.Calls(huaweikafkatest.OpResetMessageOffset)); n != 0 {
		t.Errorf("%d management calls, want 0", n)
	}
	if len(res.Partitions) != 5 || res.Skipped == nil || *res.Skipped != (900+800+700)+(450+400) {
		t.Fatalf("rows %+v skipped %v", res.Partitions, res.Skipped)
	}
	r := res.Partitions[1]
	if r.Topic != "orders" || r.Partition != 1 || *r.Before != 200 || *r.After != 1000 || *r.LogStart != 0 || *r.LogEnd != 1000 || r.Status != reset.StatusApplied {
		t.Errorf("row %+v", r)
	}
	undo := fmt.Sprint(res.Undo.Offsets)
	for _, want := range []string{"{orders 0 100}", "{orders 2 300}", "{payments 1 200}"} {
		if !strings.Contains(undo, want) {
			t.Errorf("undo %s lacks %s", undo, want)
		}
	}
	// The undo is one command with explicit offsets; running it puts every partition back.
	resettest.WantStatus(t, e.Run(*res.Undo), reset.StatusApplied)
	e.wantCommitted(t, "billing", "orders", 100, 200, 300)
	e.wantCommitted(t, "billing", "payments", 150, 200)
}

func TestManagementRoute(t *testing.T) {
	e := setup(t, func(t *config.Target) { t.API = "management" })
	res := e.Run(reset.Command{Group: "billing", To: "earliest"})
	resettest.WantStatus(t, res, reset.StatusApplied)
	e.wantCommitted(t, "billing", "payments", 100, 100)
	calls := e.emu.Calls(huaweikafkatest.OpResetMessageOffset)
	if len(calls) != 2 {
		t.Fatalf("%d management calls, want 2", len(calls))
	}
	for _, c := range calls {
		if c.Method != http.MethodPost || c.Status != http.StatusNoContent || !strings.Contains(c.Path, "/management/groups/billing/reset-message-offset") {
			t.Errorf("call %s %s → %d", c.Method, c.Path, c.Status)
		}
	}
	for _, b := range e.resets(t, huaweikafkatest.OpResetMessageOffset) {
		if *b.Partition != -1 || b.MessageOffset == nil || *b.MessageOffset != 0 {
			t.Errorf("reset body %s partition %d, want partition -1 message_offset 0", offsetOf(b), *b.Partition)
		}
	}
	if n := len(e.emu.Calls(huaweikafkatest.OpResetMessageOffsetWithEngine)); n != 0 {
		t.Errorf("%d engine calls, want 0", n)
	}
}

func TestForms(t *testing.T) {
	at := func(sec int64) int64 { return base + sec*1000 }
	now := time.UnixMilli(at(900)) // ago:5m → second 600
	cases := []struct {
		to        string
		orders    []int64
		calls     []string // reset bodies in order of partition (-1 = topic-wide)
		partition int32    // partition of the calls: -1 or per partition
	}{
		{to: "earliest", orders: []int64{0, 0, 0}, calls: []string{"offset=0"}, partition: -1},
		{to: "latest", orders: []int64{1000, 1000, 1000}, calls: []string{fmt.Sprintf("offset=%d", int64(math.MaxInt64))}, partition: -1},
		{to: "offset:500", orders: []int64{500, 500, 500}, calls: []string{"offset=500", "offset=500", "offset=500"}},
		{to: "offset:5000", orders: []int64{1000, 1000, 1000}, calls: []string{"offset=1000", "offset=1000", "offset=1000"}},
		{to: "shift:+50", orders: []int64{150, 250, 350}, calls: []string{"offset=150", "offset=250", "offset=350"}},
		{to: "shift:-250", orders: []int64{0, 0, 50}, calls: []string{"offset=0", "offset=0", "offset=50"}},
		{to: "time:2026-05-01T08:05:00.500+08:00", orders: []int64{301, 301, 301}, calls: []string{fmt.Sprintf("ts=%d", at(300)+500)}, partition: -1},
		{to: fmt.Sprintf("time:%d", at(42)), orders: []int64{42, 42, 42}, calls: []string{fmt.Sprintf("ts=%d", at(42))}, partition: -1},
		{to: "time:2020-01-01T00:00:00Z", orders: []int64{0, 0, 0}, calls: []string{fmt.Sprintf("ts=%d", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())}, partition: -1},
		{to: "time:2027-01-01T00:00:00Z", orders: []int64{1000, 1000, 1000}, calls: []string{fmt.Sprintf("ts=%d", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())}, partition: -1},
		{to: "ago:5m", orders: []int64{600, 600, 600}, calls: []string{fmt.Sprintf("ts=%d", at(600))}, partition: -1},
	}
	for _, c := range cases {
		t.Run(c.to, func(t *testing.T) {
			e := setup(t, nil)
			e.Planner.Now = func() time.Time { return now }
			res := e.Run(reset.Command{Group: "billing", Topics: []string{"orders"}, To: c.to})
			resettest.WantStatus(t, res, reset.StatusApplied)
			e.wantCommitted(t, "billing", "orders", c.orders...)
			e.wantCommitted(t, "billing", "payments", 150, 200)
			bodies := e.resets(t, huaweikafkatest.OpResetMessageOffsetWithEngine)
			sort.Slice(bodies, func(i, j int) bool { return *bodies[i].Partition < *bodies[j].Partition })
			var got []string
			for _, b := range bodies {
				got = append(got, offsetOf(b))
				if c.partition == -1 && *b.Partition != -1 {
					t.Errorf("partition %d, want -1", *b.Partition)
				}
				if c.partition != -1 && *b.Partition < 0 {
					t.Errorf("partition %d, want a partition number", *b.Partition)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.calls) {
				t.Errorf("reset calls %v, want %v", got, c.calls)
			}
			for i, r := range res.Partitions {
				if r.After == nil || *r.After != c.orders[i] {
					t.Errorf("row %d after %v, want %d", i, r.After, c.orders[i])
				}
			}
		})
	}
}

func TestSubsetAndOneTopic(t *testing.T) {
	e := setup(t, nil)
	res := e.Run(reset.Command{Group: "billing", Topics: []string{"orders"}, Partitions: []int32{0, 2}, To: "latest"})
	resettest.WantStatus(t, res, reset.StatusApplied)
	e.wantCommitted(t, "billing", "orders", 1000, 200, 1000)
	bodies := e.resets(t, huaweikafkatest.OpResetMessageOffsetWithEngine)
	if len(bodies) != 2 {
		t.Fatalf("%d calls, want one per partition", len(bodies))
	}
	seen := map[int32]bool{}
	for _, b := range bodies {
		seen[*b.Partition] = true
		if *b.MessageOffset != math.MaxInt64 {
			t.Errorf("latest on a subset sent %s", offsetOf(b))
		}
	}
	if !seen[0] || !seen[2] {
		t.Errorf("partitions called %v", seen)
	}

	res = e.Run(reset.Command{Group: "billing", Topics: []string{"payments"}, Partitions: []int32{1}, To: "offset:300"})
	resettest.WantStatus(t, res, reset.StatusApplied)
	e.wantCommitted(t, "billing", "payments", 150, 300)
	if len(res.Partitions) != 1 || res.Undo == nil || fmt.Sprint(res.Undo.Offsets) != "[{payments 1 200}]" {
		t.Errorf("rows %+v undo %+v", res.Partitions, res.Undo)
	}

	res = e.Run(reset.Command{Group: "billing", Topics: []string{"orders"}, Partitions: []int32{7}, To: "latest"})
	resettest.WantStatus(t, res, reset.StatusInvalid)
}

func TestDryRunChangesNothing(t *testing.T) {
	e := setup(t, nil)
	res := e.Run(reset.Command{Group: "billing", To: "latest", DryRun: true})
	resettest.WantStatus(t, res, reset.StatusPlanned)
	if n := len(e.emu.Calls(huaweikafkatest.OpResetMessageOffsetWithEngine, huaweikafkatest.OpResetMessageOffset)); n != 0 {
		t.Errorf("%d reset calls on a dry run", n)
	}
	e.wantCommitted(t, "billing", "orders", 100, 200, 300)
	if res.Skipped == nil || *res.Skipped != 900+800+700+450+400 || *res.Partitions[0].After != 1000 {
		t.Errorf("plan %+v skipped %v", res.Partitions, res.Skipped)
	}
}

func TestActiveGroupRefused(t *testing.T) {
	e := setup(t, nil)
	res := e.Run(reset.Command{Group: "dashboard", To: "latest"})
	resettest.WantError(t, res, reset.StatusRefused, "1 active member(s) (consumer-1@10.0.0.5)")
	if res.RefusedBy != "guard" {
		t.Errorf("error %q refusedBy %q", res.Error, res.RefusedBy)
	}
	if len(res.Members) != 1 || res.Members[0].ID != "consumer-1-6f1c" || res.Members[0].Host != "10.0.0.5" {
		t.Errorf("members %+v", res.Members)
	}
	if n := len(e.emu.Calls(huaweikafkatest.OpResetMessageOffsetWithEngine)); n != 0 {
		t.Errorf("%d reset calls", n)
	}
	e.wantCommitted(t, "dashboard", "orders", 10)

	// A rebalancing group without members listed is refused too.
	e.emu.Leave("dashboard")
	e.emu.SetState("dashboard", "PreparingRebalance")
	res = e.Run(reset.Command{Group: "dashboard", To: "latest"})
	resettest.WantError(t, res, reset.StatusRefused, "is PreparingRebalance")
}

func TestOffsetsAbove2To31(t *testing.T) {
	e := setup(t, nil)
	const start, end = int64(3_000_000_000), int64(5_000_000_000)
	e.emu.AddTopic("metrics", huaweikafkatest.Partition{Start: start, End: end, First: base, Step: 1},
		huaweikafkatest.Partition{Start: start, End: end, First: base, Step: 1})
	e.emu.Commit("billing", "metrics", 0, 4_000_000_000)
	e.emu.Commit("billing", "metrics", 1, 4_100_000_000)

	res := e.Run(reset.Command{Group: "billing", Topics: []string{"metrics"}, To: "offset:4500000000"})
	resettest.WantStatus(t, res, reset.StatusApplied)
	e.wantCommitted(t, "billing", "metrics", 4_500_000_000, 4_500_000_000)
	r := res.Partitions[0]
	if *r.Before != 4_000_000_000 || *r.After != 4_500_000_000 || *r.LogStart != start || *r.LogEnd != end || *r.Skipped != 500_000_000 {
		t.Errorf("row %+v", r)
	}

	res = e.Run(reset.Command{Group: "billing", Topics: []string{"metrics"}, To: "shift:-1500000000"})
	resettest.WantStatus(t, res, reset.StatusApplied)
	e.wantCommitted(t, "billing", "metrics", start, start)

	res = e.Run(reset.Command{Group: "billing", Topics: []string{"metrics"}, To: fmt.Sprintf("time:%d", base+1_234_567_890)})
	resettest.WantStatus(t, res, reset.StatusApplied)
	e.wantCommitted(t, "billing", "metrics", start+1_234_567_890, start+1_234_567_890)
	if *res.Partitions[1].After != start+1_234_567_890 {
		t.Errorf("after %v", *res.Partitions[1].After)
	}
}

func TestThrottledThreeTimesThenApplied(t *testing.T) {
	e := setup(t, nil)
	res := e.ThrottledThenApplied(t, huaweikafkatest.OpResetMessageOffsetWithEngine, 3, reset.Command{Group: "billing", Topics: []string{"orders"}, To: "latest"})
	resettest.WantNote(t, res, "ResetMessageOffsetWithEngine of group billing on topic orders succeeded after 3 retries (APIG.0308)")
	if calls := e.emu.Calls(huaweikafkatest.OpResetMessageOffsetWithEngine); len(calls) == 4 && (calls[0].Status != http.StatusTooManyRequests || calls[3].Status != http.StatusNoContent) {
		t.Errorf("calls %+v", calls)
	}
	e.wantCommitted(t, "billing", "orders", 1000, 1000, 1000)
}

func TestServerErrorRetried(t *testing.T) {
	e := setup(t, nil)
	e.emu.FailServer(huaweikafkatest.OpListTopicPartitions, 1)
	res := e.Run(reset.Command{Group: "billing", Topics: []string{"orders"}, To: "earliest"})
	resettest.WantStatus(t, res, reset.StatusApplied)
	resettest.WantNote(t, res, "succeeded after 1 retries (DMS.00500000)")
}

func TestDeadlineExhaustedNamesThrottling(t *testing.T) {
	e := setup(t, nil)
	start := time.Now()
	res := e.ThrottledPastDeadline(t, e.p.Cloud.Limiter, huaweikafkatest.OpShowGroups, reset.Command{Group: "billing", To: "latest"})
	resettest.WantError(t, res, reset.StatusFailed, "deadline")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s past a 400ms deadline", d)
	}
	if n := len(e.emu.Calls(huaweikafkatest.OpShowGroups)); n < 2 {
		t.Errorf("%d ShowGroups calls: no retries happened", n)
	}
}

func TestAttemptTimeoutRetried(t *testing.T) {
	e := setup(t, nil)
	e.p.Cloud.AttemptTimeout = 200 * time.Millisecond
	e.emu.Delay(huaweikafkatest.OpShowGroups, 1, 3*time.Second)
	res := e.Run(reset.Command{Group: "billing", Topics: []string{"orders"}, To: "latest", DryRun: true})
	resettest.WantStatus(t, res, reset.StatusPlanned)
	resettest.WantNote(t, res, "ShowGroups billing succeeded after 1 retries (timeout)")
}

func TestBadSignature(t *testing.T) {
	e := setup(t, nil)
	t.Setenv("HUAWEICLOUD_SDK_SK", "not-the-secret")
	res := e.Run(reset.Command{Group: "billing", To: "latest"})
	resettest.WantError(t, res, reset.StatusFailed, "authentication failed", "APIG.0301")
	calls := e.emu.Calls()
	if len(calls) != 1 || calls[0].Status != http.StatusUnauthorized {
		t.Errorf("calls %+v", calls)
	}
	e.wantCommitted(t, "billing", "orders", 100, 200, 300)
}

func TestTemporaryCredentials(t *testing.T) {
	e := setup(t, nil)
	e.emu.AddTemporaryKey("HWTEMPAK", "temp-secret", "sts-token-1")
	t.Setenv("HUAWEICLOUD_SDK_AK", "HWTEMPAK")
	t.Setenv("HUAWEICLOUD_SDK_SK", "temp-secret")
	t.Setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", "sts-token-1")
	resettest.WantStatus(t, e.Run(reset.Command{Group: "billing", To: "latest", DryRun: true}), reset.StatusPlanned)
	t.Setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", "")
	res := e.Run(reset.Command{Group: "billing", To: "latest", DryRun: true})
	resettest.WantError(t, res, reset.StatusFailed, "authentication failed")
}

func TestUnknownGroupAndTopic(t *testing.T) {
	e := setup(t, nil)
	res := e.Run(reset.Command{Group: "nobody", To: "latest"})
	resettest.WantError(t, res, reset.StatusInvalid, `group "nobody" does not exist`)
	res = e.Run(reset.Command{Group: "billing", Topics: []string{"nope"}, To: "latest"})
	resettest.WantError(t, res, reset.StatusInvalid, `topic "nope" does not exist`)
}

func TestPermissionDenied(t *testing.T) {
	e := setup(t, nil)
	e.emu.Inject(huaweicloudtest.Fault{Op: huaweikafkatest.OpListTopicPartitions, Times: -1, Status: http.StatusForbidden,
		Code: "DMS.00403001", Msg: "The user has no permission to perform this operation."})
	res := e.Run(reset.Command{Group: "billing", Topics: []string{"orders"}, To: "latest"})
	resettest.WantError(t, res, reset.StatusFailed, "permission denied for target hw: ListTopicPartitions answered HTTP 403 (DMS.00403001", "dms:topic:get")
	if n := len(e.emu.Calls(huaweikafkatest.OpListTopicPartitions)); n != 1 {
		t.Errorf("%d calls: a 403 must not be retried", n)
	}
}

func TestMalformedReply(t *testing.T) {
	e := setup(t, nil)
	e.emu.Malformed(huaweikafkatest.OpShowGroups, 1)
	res := e.Run(reset.Command{Group: "billing", To: "latest"})
	resettest.WantError(t, res, reset.StatusFailed, "could not be read")
}

func TestPartialWhenOneTopicFails(t *testing.T) {
	e := setup(t, nil)
	e.emu.Inject(huaweicloudtest.Fault{Op: huaweikafkatest.OpResetMessageOffsetWithEngine, Times: -1,
		Match:  func(c huaweicloudtest.Call) bool { return strings.Contains(string(c.Body), `"payments"`) },
		Status: http.StatusBadRequest, Code: "DMS.00400880", Msg: "The consumer group is online."})
	res := e.Run(reset.Command{Group: "billing", To: "earliest"})
	resettest.WantStatus(t, res, reset.StatusPartial)
	for _, r := range res.Partitions {
		switch r.Topic {
		case "orders":
			if r.Status != reset.StatusApplied || *r.After != 0 {
				t.Errorf("orders row %+v", r)
			}
		case "payments":
			if r.Status != reset.StatusUnchanged || !strings.Contains(r.Error, "DMS.00400880") || !strings.Contains(r.Error, "as before") {
				t.Errorf("payments row %+v", r)
			}
		}
	}
	e.wantCommitted(t, "billing", "payments", 150, 200)
}

func TestPinnedPlanWritesExactOffsets(t *testing.T) {
	e := setup(t, nil)
	pinned := map[reset.TopicPartition]int64{{Topic: "orders", Partition: 0}: 900, {Topic: "orders", Partition: 1}: 901, {Topic: "orders", Partition: 2}: 902}
	res := e.RunWith(context.Background(), reset.Command{Group: "billing", Topics: []string{"orders"}, To: "latest"}, reset.Options{Pinned: pinned})
	resettest.WantStatus(t, res, reset.StatusApplied)
	e.wantCommitted(t, "billing", "orders", 900, 901, 902)
	for _, b := range e.resets(t, huaweikafkatest.OpResetMessageOffsetWithEngine) {
		if *b.Partition < 0 || b.MessageOffset == nil || *b.MessageOffset < 900 {
			t.Errorf("pinned reset sent partition %d %s", *b.Partition, offsetOf(b))
		}
	}
}

// seedFleet gives group fleet n one-partition topics t000… of 50 messages, committed at 10, makes
// every answer take latency and forgets the calls so far.
func (e *env) seedFleet(n int, latency time.Duration) {
	for i := range n {
		name := fmt.Sprintf("t%03d", i)
		e.emu.AddTopic(name, huaweikafkatest.Partition{Start: 0, End: 50, First: base, Step: 1000})
		e.emu.Commit("fleet", name, 0, 10)
	}
	e.emu.SetLatency(latency)
	e.emu.ResetCalls()
}

// TestManyTopicsConcurrentWithinQPS resets a group on 201 topics: 202 reads to plan, 201 resets and
// 202 reads back. The calls must overlap (wall time well under the sum of their latencies) while the
// emulator never sees more than qps+1 calls in any one-second window.
func TestManyTopicsConcurrentWithinQPS(t *testing.T) {
	const topics, qps, latency = 201, 200, 20 * time.Millisecond
	e := setup(t, func(t *config.Target) { t.QPS = qps; t.Concurrency = 8 })
	e.seedFleet(topics, latency)
	start := time.Now()
	res := e.Run(reset.Command{Group: "fleet", To: "latest"})
	wall := time.Since(start)
	resettest.WantStatus(t, res, reset.StatusApplied)
	if len(res.Partitions) != topics || *res.Skipped != topics*40 {
		t.Fatalf("%d rows, skipped %v", len(res.Partitions), res.Skipped)
	}
	// ShowGroups, ListTopicPartitions per topic, one reset per topic, and one ShowGroups read-back.
	calls := e.emu.Calls()
	if len(calls) != 2*topics+2 {
		t.Errorf("%d calls, want %d", len(calls), 2*topics+2)
	}
	serial := time.Duration(len(calls)) * latency
	if wall > serial/2 {
		t.Errorf("took %s; the calls' latencies alone sum to %s, so they did not run concurrently", wall, serial)
	}
	if n := e.emu.MaxInWindow(time.Second); n > qps+1 {
		t.Errorf("%d calls in one second, more than qps+1 = %d", n, qps+1)
	}
	if n := e.emu.MaxInFlight(); n < 2 || n > 8 {
		t.Errorf("at most %d calls in flight, want 2..8 (concurrency 8)", n)
	}
	for i := range topics {
		if got := e.committed("fleet", fmt.Sprintf("t%03d", i)); !slices.Equal(got, []int64{50}) {
			t.Fatalf("topic %d committed %v", i, got)
		}
	}
	t.Logf("%d calls in %s (serial latency %s, max %d per second, %d in flight)", len(calls), wall, serial, e.emu.MaxInWindow(time.Second), e.emu.MaxInFlight())
}

func TestNewValidates(t *testing.T) {
	ok := config.Target{Provider: "huaweikafka", Region: "cn-north-4", Project: "p", Instance: "i"}
	cases := []struct {
		mod  func(*config.Target)
		want string
	}{
		{func(t *config.Target) { t.Region = "" }, "region is missing"},
		{func(t *config.Target) { t.Region = "North 4" }, "not a Huawei Cloud region"},
		{func(t *config.Target) { t.Project = "" }, "project is missing"},
		{func(t *config.Target) { t.Instance = "" }, "instance is missing"},
		{func(t *config.Target) { t.API = "v1" }, `api "v1" is not known`},
		{func(t *config.Target) { t.Engine = "rocketmq" }, "engine"},
		{func(t *config.Target) { t.Brokers = []string{"a:9092"} }, "brokers"},
		{func(t *config.Target) { t.Endpoint = "ftp://x" }, "only http:// and https://"},
	}
	for _, c := range cases {
		tgt := ok
		c.mod(&tgt)
		_, err := huaweikafka.New("x", tgt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", tgt, err, c.want)
		}
	}
	p, err := huaweikafka.New("x", ok)
	if err != nil {
		t.Fatal(err)
	}
	if ep := p.(*huaweikafka.Provider).Cloud.Endpoint; ep != "https://dms.cn-north-4.myhuaweicloud.com" {
		t.Errorf("endpoint %s", ep)
	}
}

// With no topics named, the rows are the partitions the group has committed; a topic-wide call
// would also write the others, so those topics are reset partition by partition.
func TestAllTopicsCoversOnlyCommittedPartitions(t *testing.T) {
	e := setup(t, nil)
	e.emu.Commit("partial", "orders", 1, 40)
	res := e.Run(reset.Command{Group: "partial", To: "earliest"})
	resettest.WantStatus(t, res, reset.StatusApplied)
	if len(res.Partitions) != 1 || res.Partitions[0].Partition != 1 {
		t.Fatalf("rows %+v", res.Partitions)
	}
	bodies := e.resets(t, huaweikafkatest.OpResetMessageOffsetWithEngine)
	if len(bodies) != 1 || *bodies[0].Partition != 1 || *bodies[0].MessageOffset != 0 {
		t.Errorf("reset calls %+v", bodies)
	}
	if got := e.emu.Committed("partial")["orders"]; len(got) != 1 || got[1] != 0 {
		t.Errorf("committed %v: only partition 1 may move", got)
	}

	// Naming the topic plans every partition, so one topic-wide call.
	res = e.Run(reset.Command{Group: "partial", Topics: []string{"orders"}, To: "latest"})
	resettest.WantStatus(t, res, reset.StatusApplied)
	if len(res.Partitions) != 3 || res.Partitions[0].Before != nil {
		t.Fatalf("rows %+v", res.Partitions)
	}
	bodies = e.resets(t, huaweikafkatest.OpResetMessageOffsetWithEngine)
	if len(bodies) != 2 || *bodies[1].Partition != -1 {
		t.Errorf("reset calls %+v", bodies)
	}
	e.wantCommitted(t, "partial", "orders", 1000, 1000, 1000)
	resettest.WantNote(t, res, "had no committed offset before the reset")
}

// BenchmarkFanout200Topics measures an all-topics reset of a group on 200 topics against the
// emulator answering every call after 20 ms, with concurrency 1 and 8 at qps 1000 (high enough
// that the comparison measures concurrency, not the rate cap; the cap is still checked):
//
//	go test -run XXX -bench Fanout -benchtime 1x ./shared/provider/huaweikafka
//
// It reports the calls per reset and the most calls the emulator saw in any one second.
func BenchmarkFanout200Topics(b *testing.B) {
	const topics, qps, latency = 200, 1000, 20 * time.Millisecond
	for _, c := range []int{1, 8} {
		b.Run(fmt.Sprintf("c=%d", c), func(b *testing.B) {
			e := setup(b, func(t *config.Target) { t.QPS = qps; t.Concurrency = c })
			e.seedFleet(topics, latency)
			to, runs := "latest", 0
			for b.Loop() {
				if res := e.Run(reset.Command{Group: "fleet", To: to}); res.Status != reset.StatusApplied {
					b.Fatalf("%s: %s", res.Status, res.Error)
				}
				to = map[string]string{"latest": "earliest", "earliest": "latest"}[to]
				runs++
			}
			perSec := e.emu.MaxInWindow(time.Second)
			b.ReportMetric(float64(len(e.emu.Calls()))/float64(runs), "calls/op")
			b.ReportMetric(float64(perSec), "max-calls/s")
			if perSec > qps+1 {
				b.Errorf("%d calls in one second at qps %d", perSec, qps)
			}
		})
	}
}
