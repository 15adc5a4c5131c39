package huaweirocketmq_test

import (
	"context"
	"fmt"
	"net/http"
	"offsetreset/shared/reset/resettest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/huaweicloud/huaweicloudtest"
	"offsetreset/shared/provider/huaweirocketmq"
	"offsetreset/shared/provider/huaweirocketmq/huaweirocketmqtest"
	"offsetreset/shared/reset"
)

const (
	project  = "0a1b2c3d4e5f"
	instance = "9c8b-rocketmq"
	ak       = "HWTESTAK0002"
	sk       = "hw-test-secret-key-2"
)

// base is the store time of the first message of every test queue; one message per second.
var base = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

// now is the provider's and planner's clock: well after the newest test message (base+999s).
var now = time.UnixMilli(base + 3600_000)

type env struct {
	*huaweicloudtest.Harness
	emu *huaweirocketmqtest.RocketMQ
	p   *huaweirocketmq.Provider
}

// setup starts an emulator with topic orders (two queues on each of two brokers) and topic audit
// (three queues on one broker); group billing consumes both with a consumer online, group batch
// consumes orders with nobody online.
func setup(t *testing.T, mod func(*config.Target)) *env {
	t.Helper()
	emu := huaweirocketmqtest.Start(project, instance)
	p := huaweicloudtest.Wire(t, emu.Server, ak, sk, huaweirocketmq.New, "hwmq", config.Target{Provider: "huaweirocketmq", Project: project, Instance: instance, QPS: 200, Concurrency: 8}, mod)
	e := &env{Harness: huaweicloudtest.NewHarness(emu.Server, "hwmq", p, func() time.Time { return now }), emu: emu, p: p.(*huaweirocketmq.Provider)}
	e.p.Now = func() time.Time { return now }
	huaweicloudtest.FastRetries(e.p.Cloud.Limiter)
	q := func(broker string, id int32, min, max int64) huaweirocketmqtest.Queue {
		return huaweirocketmqtest.Queue{Broker: broker, ID: id, Min: min, Max: max, First: base, Step: 1000}
	}
	emu.AddTopic("orders", q("broker-0", 0, 0, 1000), q("broker-0", 1, 0, 1000), q("broker-1", 0, 0, 1000), q("broker-1", 1, 0, 1000))
	emu.AddTopic("audit", q("broker-0", 0, 100, 600), q("broker-0", 1, 100, 600), q("broker-0", 2, 100, 600))
	emu.Subscribe("billing", "orders", func(q huaweirocketmqtest.Queue) int64 { return 100 + int64(q.ID)*10 })
	emu.Subscribe("billing", "audit", func(huaweirocketmqtest.Queue) int64 { return 150 })
	emu.Connect("billing", huaweirocketmqtest.Client{ID: "10.0.0.7@billing-1", Addr: "10.0.0.7:51234", Topics: []string{"orders", "audit"}})
	emu.Subscribe("batch", "orders", func(huaweirocketmqtest.Queue) int64 { return 5 })
	return e
}

// offsets lists a group's consumer offsets of a topic in queue order (broker, id).
func (e *env) offsets(group, topic string) []int64 {
	var out []int64
	for _, q := range e.emu.Queues(topic) {
		o, _ := e.emu.Offset(group, topic, q.Broker, q.ID)
		out = append(out, o)
	}
	return out
}

// wantOffsets checks a group's consumer offsets of a topic in queue order.
func (e *env) wantOffsets(t *testing.T, group, topic string, want ...int64) {
	t.Helper()
	if got := e.offsets(group, topic); !slices.Equal(got, want) {
		t.Errorf("%s offsets on %s: %v, want %v", group, topic, got, want)
	}
}

func (e *env) resets(t *testing.T) []huaweirocketmqtest.ResetBody {
	t.Helper()
	return huaweicloudtest.Bodies(t, e.emu.Server, huaweirocketmqtest.OpResetConsumeOffset, huaweirocketmqtest.DecodeReset)
}

func TestLatestAllTopics(t *testing.T) {
	e := setup(t, nil)
	res := e.Run(reset.Command{Group: "billing", To: "latest"})
	resettest.WantStatus(t, res, reset.StatusApplied)
	e.wantOffsets(t, "billing", "orders", 1000, 1000, 1000, 1000)
	e.wantOffsets(t, "billing", "audit", 600, 600, 600)
	calls := e.emu.Calls(huaweirocketmqtest.OpResetConsumeOffset)
	if len(calls) != 2 {
		t.Fatalf("%d reset calls, want one per topic", len(calls))
	}
	for _, c := range calls {
		if c.Method != http.MethodPost || c.Status != http.StatusOK ||
			c.Path != "/v2/reliability/"+project+"/instances/"+instance+"/groups/billing/reset-message-offset" {
			t.Errorf("call %s %s → %d", c.Method, c.Path, c.Status)
		}
	}
	// latest is a time past the newest message (one minute past the clock), which the service
	// clamps to each queue's max offset.
	newest := base + 999_000
	for _, b := range e.resets(t) {
		ts, err := strconv.ParseInt(b.Timestamp, 10, 64)
		if err != nil || ts != now.Add(huaweirocketmq.LatestAhead).UnixMilli() || ts <= newest {
			t.Errorf("latest sent timestamp %q", b.Timestamp)
		}
	}
	if len(res.Partitions) != 7 {
		t.Fatalf("rows %+v", res.Partitions)
	}
	// Rows: audit queues 0-2 (one broker: row = queue id), then orders across two brokers.
	wantRows := []struct {
		topic         string
		part          int32
		before, after int64
	}{
		{"audit", 0, 150, 600}, {"audit", 1, 150, 600}, {"audit", 2, 150, 600},
		{"orders", 0, 100, 1000}, {"orders", 1, 110, 1000}, {"orders", 2, 100, 1000}, {"orders", 3, 110, 1000},
	}
	for i, w := range wantRows {
		r := res.Partitions[i]
		if r.Topic != w.topic || r.Partition != w.part || *r.Before != w.before || *r.After != w.after || r.Status != reset.StatusApplied || r.LogStart != nil {
			t.Errorf("row %d %+v, want %+v", i, r, w)
		}
	}
	if res.Skipped == nil || *res.Skipped != 3*450+900+890+900+890 {
		t.Errorf("skipped %v", res.Skipped)
	}
	if res.Undo != nil {
		t.Errorf("undo %+v on a backend without exact offsets", res.Undo)
	}
	resettest.WantNote(t, res, "broker-0 queues 0–1 are rows 0–1, broker-1 queues 0–1 are rows 2–3")
}

func TestEarliestIsTimestampZero(t *testing.T) {
	e := setup(t, nil)
	res := e.Run(reset.Command{Group: "billing", Topics: []string{"audit"}, To: "earliest"})
	resettest.WantStatus(t, res, reset.StatusApplied)
	bodies := e.resets(t)
	if len(bodies) != 1 || bodies[0].Timestamp != "0" || bodies[0].Topic != "audit" {
		t.Fatalf("reset bodies %+v", bodies)
	}
	e.wantOffsets(t, "billing", "audit", 100, 100, 100)
	e.wantOffsets(t, "billing", "orders", 100, 110, 100, 110)
	for _, r := range res.Partitions {
		if r.After == nil || *r.After != 100 || r.Skipped == nil || *r.Skipped != -50 {
			t.Errorf("row %+v", r)
		}
	}
}

func TestTimeAndAgo(t *testing.T) {
	cases := []struct {
		to   string
		ts   int64
		want []int64
	}{
		{"time:2026-05-01T08:03:20+08:00", base + 200_000, []int64{200, 200, 200, 200}},
		{fmt.Sprintf("time:%d", base+500_500), base + 500_500, []int64{501, 501, 501, 501}},
		{"time:2020-01-01T00:00:00Z", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), []int64{0, 0, 0, 0}},
		{"ago:50m", now.Add(-50 * time.Minute).UnixMilli(), []int64{600, 600, 600, 600}},
		{"ago:1m", now.Add(-time.Minute).UnixMilli(), []int64{1000, 1000, 1000, 1000}},
	}
	for _, c := range cases {
		t.Run(c.to, func(t *testing.T) {
			e := setup(t, nil)
			res := e.Run(reset.Command{Group: "billing", Topics: []string{"orders"}, To: c.to})
			resettest.WantStatus(t, res, reset.StatusApplied)
			bodies := e.resets(t)
			if len(bodies) != 1 || bodies[0].Timestamp != strconv.FormatInt(c.ts, 10) {
				t.Errorf("reset bodies %+v, want timestamp %d", bodies, c.ts)
			}
			e.wantOffsets(t, "billing", "orders", c.want...)
			if res.At == nil || *res.At != c.ts {
				t.Errorf("at %v", res.At)
			}
			for i, r := range res.Partitions {
				if r.After == nil || *r.After != c.want[i] {
					t.Errorf("row %d after %v, want %d (from the reset's answer)", i, r.After, c.want[i])
				}
			}
		})
	}
}

func TestUnsupportedForms(t *testing.T) {
	e := setup(t, nil)
	for _, to := range []string{"offset:5", "shift:+10", "shift:-10"} {
		res := e.Run(reset.Command{Group: "billing", To: to})
		resettest.WantStatus(t, res, reset.StatusInvalid)
		form := strings.SplitN(to, ":", 2)[0]
		want := "huaweirocketmq targets cannot be reset to " + form + ": Huawei DMS for RocketMQ resets whole topics to a point in time: latest, earliest, time:T or ago:D"
		if res.Error != want {
			t.Errorf("%s: error %q, want %q", to, res.Error, want)
		}
	}
	res := e.Run(reset.Command{Group: "billing", Topics: []string{"orders"}, Partitions: []int32{0}, To: "latest"})
	resettest.WantStatus(t, res, reset.StatusInvalid)
	want := "huaweirocketmq targets cannot reset single partitions or queues: Huawei DMS for RocketMQ resets whole topics to a point in time: latest, earliest, time:T or ago:D; leave partitions out to move the whole topic"
	if res.Error != want {
		t.Errorf("error %q, want %q", res.Error, want)
	}
	if n := len(e.emu.Calls()); n != 0 {
		t.Errorf("%d calls for invalid commands", n)
	}
}

func TestOfflineGroupRefused(t *testing.T) {
	e := setup(t, nil)
	res := e.Run(reset.Command{Group: "batch", To: "latest"})
	resettest.WantStatus(t, res, reset.StatusRefused)
	want := "no consumer of group batch is online; huaweirocketmq resets offsets only while a consumer is online: start one consumer of the group and retry"
	if res.Error != want || res.RefusedBy != "guard" {
		t.Errorf("error %q refusedBy %q", res.Error, res.RefusedBy)
	}
	if n := len(e.emu.Calls(huaweirocketmqtest.OpResetConsumeOffset)); n != 0 {
		t.Errorf("%d reset calls", n)
	}
	e.wantOffsets(t, "batch", "orders", 5, 5, 5, 5)
}

func TestDryRunChangesNothing(t *testing.T) {
	e := setup(t, nil)
	res := e.Run(reset.Command{Group: "billing", To: "latest", DryRun: true})
	resettest.WantStatus(t, res, reset.StatusPlanned)
	if n := len(e.emu.Calls(huaweirocketmqtest.OpResetConsumeOffset)); n != 0 {
		t.Errorf("%d reset calls on a dry run", n)
	}
	e.wantOffsets(t, "billing", "orders", 100, 110, 100, 110)
	if res.Skipped == nil || *res.Skipped != 3*450+900+890+900+890 || *res.Partitions[0].After != 600 {
		t.Errorf("plan %+v skipped %v", res.Partitions, res.Skipped)
	}
}

func TestThrottledThreeTimesThenApplied(t *testing.T) {
	e := setup(t, nil)
	res := e.ThrottledThenApplied(t, huaweirocketmqtest.OpResetConsumeOffset, 3, reset.Command{Group: "billing", Topics: []string{"audit"}, To: "latest"})
	resettest.WantNote(t, res, "ResetConsumeOffset of group billing on topic audit succeeded after 3 retries (APIG.0308)")
}

func TestDeadlineExhaustedNamesThrottling(t *testing.T) {
	e := setup(t, nil)
	e.ThrottledPastDeadline(t, e.p.Cloud.Limiter, huaweirocketmqtest.OpResetConsumeOffset, reset.Command{Group: "billing", Topics: []string{"audit"}, To: "latest"})
	e.wantOffsets(t, "billing", "audit", 150, 150, 150)
}

func TestBadSignature(t *testing.T) {
	e := setup(t, nil)
	t.Setenv("HUAWEICLOUD_SDK_AK", "HWUNKNOWN")
	res := e.Run(reset.Command{Group: "billing", To: "latest"})
	resettest.WantError(t, res, reset.StatusFailed, "authentication failed")
	t.Setenv("HUAWEICLOUD_SDK_AK", ak)
	t.Setenv("HUAWEICLOUD_SDK_SK", sk+"x")
	res = e.Run(reset.Command{Group: "billing", To: "latest"})
	resettest.WantError(t, res, reset.StatusFailed, "authentication failed", "verify aksk signature fail")
}

func TestUnknownGroupAndTopic(t *testing.T) {
	e := setup(t, nil)
	res := e.Run(reset.Command{Group: "ghost", To: "latest"})
	resettest.WantError(t, res, reset.StatusInvalid, `group "ghost" does not exist`)
	res = e.Run(reset.Command{Group: "billing", Topics: []string{"nope"}, To: "latest"})
	resettest.WantError(t, res, reset.StatusInvalid, `topic "nope"`)
}

func TestOffsetsAbove2To31(t *testing.T) {
	e := setup(t, nil)
	const min, max = int64(3_000_000_000), int64(5_000_000_000)
	e.emu.AddTopic("metrics", huaweirocketmqtest.Queue{Broker: "broker-0", ID: 0, Min: min, Max: max, First: base, Step: 1},
		huaweirocketmqtest.Queue{Broker: "broker-0", ID: 1, Min: min, Max: max, First: base, Step: 1})
	e.emu.Subscribe("billing", "metrics", func(huaweirocketmqtest.Queue) int64 { return 4_000_000_000 })
	res := e.Run(reset.Command{Group: "billing", Topics: []string{"metrics"}, To: fmt.Sprintf("time:%d", base+1_500_000_000)})
	resettest.WantStatus(t, res, reset.StatusApplied)
	want := min + 1_500_000_000
	e.wantOffsets(t, "billing", "metrics", want, want)
	r := res.Partitions[0]
	if *r.Before != 4_000_000_000 || *r.After != want || *r.LogEnd != max || *r.Skipped != want-4_000_000_000 {
		t.Errorf("row %+v", r)
	}
}

func TestManyTopicsListedPageByPage(t *testing.T) {
	e := setup(t, nil)
	for i := range 60 {
		name := fmt.Sprintf("t%02d", i)
		e.emu.AddTopic(name, huaweirocketmqtest.Queue{Broker: "broker-0", ID: 0, Min: 0, Max: 10, First: base, Step: 1000})
		e.emu.Subscribe("fleet", name, func(huaweirocketmqtest.Queue) int64 { return 1 })
	}
	e.emu.Connect("fleet", huaweirocketmqtest.Client{ID: "fleet-1", Addr: "10.0.0.9:4000"})
	res := e.Run(reset.Command{Group: "fleet", To: "latest"})
	resettest.WantStatus(t, res, reset.StatusApplied)
	if len(res.Partitions) != 60 || *res.Skipped != 60*9 {
		t.Fatalf("%d rows skipped %v", len(res.Partitions), res.Skipped)
	}
	var lists []string
	for _, c := range e.emu.Calls(huaweirocketmqtest.OpShowConsumerListOrDetails) {
		if c.Query.Get("topic") == "" {
			lists = append(lists, c.Query.Encode())
		}
	}
	// Plan and read-back each list two pages of at most 50.
	if fmt.Sprint(lists) != "[limit=50&offset=0 limit=50&offset=50 limit=50&offset=0 limit=50&offset=50]" {
		t.Errorf("topic list calls %v", lists)
	}
	if n := len(e.emu.Calls(huaweirocketmqtest.OpResetConsumeOffset)); n != 60 {
		t.Errorf("%d reset calls", n)
	}
}

func TestEngineRocketmqRoute(t *testing.T) {
	e := setup(t, func(t *config.Target) { t.Engine = "rocketmq" })
	resettest.WantStatus(t, e.Run(reset.Command{Group: "billing", Topics: []string{"audit"}, To: "earliest"}), reset.StatusApplied)
	calls := e.emu.Calls(huaweirocketmqtest.OpResetConsumeOffset)
	if len(calls) != 1 || !strings.HasPrefix(calls[0].Path, "/v2/rocketmq/"+project+"/") {
		t.Errorf("calls %+v", calls)
	}
}

func TestBroadcastGroupFails(t *testing.T) {
	e := setup(t, nil)
	e.emu.SetBroadcast("billing", true)
	res := e.Run(reset.Command{Group: "billing", Topics: []string{"audit"}, To: "earliest"})
	resettest.WantStatus(t, res, reset.StatusFailed)
	if !strings.Contains(res.Error, "broadcast") || res.Partitions[0].Status != reset.StatusUnchanged {
		t.Errorf("error %q rows %+v", res.Error, res.Partitions)
	}
}

// TestPinnedPlanAppliesInOwnTerms: a confirmed plan (pinned offsets) on a backend that only takes
// a time is applied as its `to` in the backend's own terms; the pins only guard "moved since plan".
func TestPinnedPlanAppliesInOwnTerms(t *testing.T) {
	e := setup(t, nil)
	pinned := map[reset.TopicPartition]int64{{Topic: "audit", Partition: 0}: 600, {Topic: "audit", Partition: 1}: 600, {Topic: "audit", Partition: 2}: 600}
	res := e.RunWith(context.Background(), reset.Command{Group: "billing", Topics: []string{"audit"}, To: "latest"}, reset.Options{Pinned: pinned})
	resettest.WantStatus(t, res, reset.StatusApplied)
	if n := len(e.emu.Calls(huaweirocketmqtest.OpResetConsumeOffset)); n != 1 {
		t.Errorf("%d reset calls, want one timestamp call for the topic", n)
	}
}

func TestNewValidates(t *testing.T) {
	ok := config.Target{Provider: "huaweirocketmq", Region: "ap-southeast-1", Project: "p", Instance: "i"}
	cases := []struct {
		mod  func(*config.Target)
		want string
	}{
		{func(t *config.Target) { t.Region = "" }, "region is missing"},
		{func(t *config.Target) { t.Project = "" }, "project is missing"},
		{func(t *config.Target) { t.Instance = "" }, "instance is missing"},
		{func(t *config.Target) { t.Engine = "kafka" }, `engine "kafka"`},
		{func(t *config.Target) { t.API = "management" }, "api"},
	}
	for _, c := range cases {
		tgt := ok
		c.mod(&tgt)
		if _, err := huaweirocketmq.New("x", tgt); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", tgt, err, c.want)
		}
	}
	ok.Endpoint = "http://10.1.2.3:8080"
	p, err := huaweirocketmq.New("x", ok)
	if err != nil || p.(*huaweirocketmq.Provider).Cloud.Endpoint != "http://10.1.2.3:8080" {
		t.Errorf("explicit http endpoint: %v", err)
	}
}
