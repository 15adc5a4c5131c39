package huaweirocketmq_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"offsetreset/shared/config"
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

type targets map[string]reset.Provider

func (t targets) Provider(name string) (reset.Provider, error) {
	if p, ok := t[name]; ok {
		return p, nil
	}
	return nil, reset.Invalid("unknown target %q", name)
}

type env struct {
	t       *testing.T
	emu     *huaweirocketmqtest.RocketMQ
	p       *huaweirocketmq.Provider
	planner *reset.Planner
}

// setup starts an emulator with topic orders (two queues on each of two brokers) and topic audit
// (three queues on one broker); group billing consumes both with a consumer online, group batch
// consumes orders with nobody online.
func setup(t *testing.T, mod func(*config.Target)) *env {
	t.Helper()
	t.Setenv("HUAWEICLOUD_SDK_AK", ak)
	t.Setenv("HUAWEICLOUD_SDK_SK", sk)
	t.Setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", "")
	emu := huaweirocketmqtest.Start(project, instance)
	t.Cleanup(emu.Close)
	emu.AddKey(ak, sk)
	q := func(broker string, id int32, min, max int64) huaweirocketmqtest.Queue {
		return huaweirocketmqtest.Queue{Broker: broker, ID: id, Min: min, Max: max, First: base, Step: 1000}
	}
	emu.AddTopic("orders", q("broker-0", 0, 0, 1000), q("broker-0", 1, 0, 1000), q("broker-1", 0, 0, 1000), q("broker-1", 1, 0, 1000))
	emu.AddTopic("audit", q("broker-0", 0, 100, 600), q("broker-0", 1, 100, 600), q("broker-0", 2, 100, 600))
	emu.Subscribe("billing", "orders", func(q huaweirocketmqtest.Queue) int64 { return 100 + int64(q.ID)*10 })
	emu.Subscribe("billing", "audit", func(huaweirocketmqtest.Queue) int64 { return 150 })
	emu.Connect("billing", huaweirocketmqtest.Client{ID: "10.0.0.7@billing-1", Addr: "10.0.0.7:51234", Topics: []string{"orders", "audit"}})
	emu.Subscribe("batch", "orders", func(huaweirocketmqtest.Queue) int64 { return 5 })

	tgt := config.Target{Provider: "huaweirocketmq", Endpoint: emu.URL, Project: project, Instance: instance, QPS: 200, Concurrency: 8}
	if mod != nil {
		mod(&tgt)
	}
	prov, err := huaweirocketmq.New("hwmq", tgt)
	if err != nil {
		t.Fatal(err)
	}
	p := prov.(*huaweirocketmq.Provider)
	p.Now = func() time.Time { return now }
	p.Cloud.Limiter.Backoff = time.Millisecond
	p.Cloud.Limiter.MaxBackoff = 5 * time.Millisecond
	return &env{t: t, emu: emu, p: p, planner: &reset.Planner{Targets: targets{"hwmq": p}, Now: func() time.Time { return now }}}
}

func (e *env) run(cmd reset.Command) *reset.Result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd.Target = "hwmq"
	return e.planner.Run(ctx, cmd, reset.Options{})
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

func (e *env) resets() []huaweirocketmqtest.ResetBody {
	e.t.Helper()
	var out []huaweirocketmqtest.ResetBody
	for _, c := range e.emu.Calls(huaweirocketmqtest.OpResetConsumeOffset) {
		b, err := huaweirocketmqtest.DecodeReset(c.Body)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func wantStatus(t *testing.T, res *reset.Result, want reset.Status) {
	t.Helper()
	if res.Status != want {
		t.Fatalf("status %s (error %q), want %s; rows %+v", res.Status, res.Error, want, res.Partitions)
	}
}

func equal(a, b []int64) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func TestLatestAllTopics(t *testing.T) {
	e := setup(t, nil)
	res := e.run(reset.Command{Group: "billing", To: "latest"})
	wantStatus(t, res, reset.StatusApplied)
	if got := e.offsets("billing", "orders"); !equal(got, []int64{1000, 1000, 1000, 1000}) {
		t.Errorf("orders offsets %v", got)
	}
	if got := e.offsets("billing", "audit"); !equal(got, []int64{600, 600, 600}) {
		t.Errorf("audit offsets %v", got)
	}
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
	for _, b := range e.resets() {
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
	if !strings.Contains(strings.Join(res.Notes, "\n"), "broker-0 queues 0–1 are rows 0–1, broker-1 queues 0–1 are rows 2–3") {
		t.Errorf("notes %q", res.Notes)
	}
}

func TestEarliestIsTimestampZero(t *testing.T) {
	e := setup(t, nil)
	res := e.run(reset.Command{Group: "billing", Topics: []string{"audit"}, To: "earliest"})
	wantStatus(t, res, reset.StatusApplied)
	bodies := e.resets()
	if len(bodies) != 1 || bodies[0].Timestamp != "0" || bodies[0].Topic != "audit" {
		t.Fatalf("reset bodies %+v", bodies)
	}
	if got := e.offsets("billing", "audit"); !equal(got, []int64{100, 100, 100}) {
		t.Errorf("audit offsets %v: timestamp 0 must clamp to each queue's min offset", got)
	}
	if got := e.offsets("billing", "orders"); !equal(got, []int64{100, 110, 100, 110}) {
		t.Errorf("orders moved: %v", got)
	}
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
			res := e.run(reset.Command{Group: "billing", Topics: []string{"orders"}, To: c.to})
			wantStatus(t, res, reset.StatusApplied)
			bodies := e.resets()
			if len(bodies) != 1 || bodies[0].Timestamp != strconv.FormatInt(c.ts, 10) {
				t.Errorf("reset bodies %+v, want timestamp %d", bodies, c.ts)
			}
			if got := e.offsets("billing", "orders"); !equal(got, c.want) {
				t.Errorf("offsets %v, want %v", got, c.want)
			}
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
		res := e.run(reset.Command{Group: "billing", To: to})
		wantStatus(t, res, reset.StatusInvalid)
		form := strings.SplitN(to, ":", 2)[0]
		want := "huaweirocketmq targets cannot be reset to " + form + ": Huawei DMS for RocketMQ resets whole topics to a point in time: latest, earliest, time:T or ago:D"
		if res.Error != want {
			t.Errorf("%s: error %q, want %q", to, res.Error, want)
		}
	}
	res := e.run(reset.Command{Group: "billing", Topics: []string{"orders"}, Partitions: []int32{0}, To: "latest"})
	wantStatus(t, res, reset.StatusInvalid)
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
	res := e.run(reset.Command{Group: "batch", To: "latest"})
	wantStatus(t, res, reset.StatusRefused)
	want := "no consumer of group batch is online; huaweirocketmq resets offsets only while a consumer is online: start one consumer of the group and retry"
	if res.Error != want || res.RefusedBy != "guard" {
		t.Errorf("error %q refusedBy %q", res.Error, res.RefusedBy)
	}
	if n := len(e.emu.Calls(huaweirocketmqtest.OpResetConsumeOffset)); n != 0 {
		t.Errorf("%d reset calls", n)
	}
	if got := e.offsets("batch", "orders"); !equal(got, []int64{5, 5, 5, 5}) {
		t.Errorf("offsets %v", got)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	e := setup(t, nil)
	res := e.run(reset.Command{Group: "billing", To: "latest", DryRun: true})
	wantStatus(t, res, reset.StatusPlanned)
	if n := len(e.emu.Calls(huaweirocketmqtest.OpResetConsumeOffset)); n != 0 {
		t.Errorf("%d reset calls on a dry run", n)
	}
	if got := e.offsets("billing", "orders"); !equal(got, []int64{100, 110, 100, 110}) {
		t.Errorf("orders offsets %v", got)
	}
	if res.Skipped == nil || *res.Skipped != 3*450+900+890+900+890 || *res.Partitions[0].After != 600 {
		t.Errorf("plan %+v skipped %v", res.Partitions, res.Skipped)
	}
}

func TestThrottledThreeTimesThenApplied(t *testing.T) {
	e := setup(t, nil)
	e.emu.Throttle(huaweirocketmqtest.OpResetConsumeOffset, 3)
	res := e.run(reset.Command{Group: "billing", Topics: []string{"audit"}, To: "latest"})
	wantStatus(t, res, reset.StatusApplied)
	if !strings.Contains(strings.Join(res.Notes, "\n"), "ResetConsumeOffset of group billing on topic audit succeeded after 3 retries (APIG.0308)") {
		t.Errorf("notes %q", res.Notes)
	}
	if n := len(e.emu.Calls(huaweirocketmqtest.OpResetConsumeOffset)); n != 4 {
		t.Errorf("%d reset calls, want 4", n)
	}
}

func TestDeadlineExhaustedNamesThrottling(t *testing.T) {
	e := setup(t, nil)
	e.p.Cloud.Limiter.Backoff = 20 * time.Millisecond
	e.p.Cloud.Limiter.MaxBackoff = 100 * time.Millisecond
	e.p.Cloud.Limiter.MaxAttempts = 1000
	e.emu.Throttle(huaweirocketmqtest.OpResetConsumeOffset, -1)
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	res := e.planner.Run(ctx, reset.Command{Target: "hwmq", Group: "billing", Topics: []string{"audit"}, To: "latest"}, reset.Options{})
	wantStatus(t, res, reset.StatusFailed)
	if !strings.Contains(res.Error, "APIG.0308") {
		t.Errorf("error %q", res.Error)
	}
	if got := e.offsets("billing", "audit"); !equal(got, []int64{150, 150, 150}) {
		t.Errorf("offsets %v", got)
	}
}

func TestBadSignature(t *testing.T) {
	e := setup(t, nil)
	t.Setenv("HUAWEICLOUD_SDK_AK", "HWUNKNOWN")
	res := e.run(reset.Command{Group: "billing", To: "latest"})
	wantStatus(t, res, reset.StatusFailed)
	if !strings.Contains(res.Error, "authentication failed") {
		t.Errorf("error %q", res.Error)
	}
	t.Setenv("HUAWEICLOUD_SDK_AK", ak)
	t.Setenv("HUAWEICLOUD_SDK_SK", sk+"x")
	res = e.run(reset.Command{Group: "billing", To: "latest"})
	wantStatus(t, res, reset.StatusFailed)
	if !strings.Contains(res.Error, "authentication failed") || !strings.Contains(res.Error, "verify aksk signature fail") {
		t.Errorf("error %q", res.Error)
	}
}

func TestUnknownGroupAndTopic(t *testing.T) {
	e := setup(t, nil)
	res := e.run(reset.Command{Group: "ghost", To: "latest"})
	wantStatus(t, res, reset.StatusInvalid)
	if !strings.Contains(res.Error, `group "ghost" does not exist`) {
		t.Errorf("error %q", res.Error)
	}
	res = e.run(reset.Command{Group: "billing", Topics: []string{"nope"}, To: "latest"})
	wantStatus(t, res, reset.StatusInvalid)
	if !strings.Contains(res.Error, `topic "nope"`) {
		t.Errorf("error %q", res.Error)
	}
}

func TestOffsetsAbove2To31(t *testing.T) {
	e := setup(t, nil)
	const min, max = int64(3_000_000_000), int64(5_000_000_000)
	e.emu.AddTopic("metrics", huaweirocketmqtest.Queue{Broker: "broker-0", ID: 0, Min: min, Max: max, First: base, Step: 1},
		huaweirocketmqtest.Queue{Broker: "broker-0", ID: 1, Min: min, Max: max, First: base, Step: 1})
	e.emu.Subscribe("billing", "metrics", func(huaweirocketmqtest.Queue) int64 { return 4_000_000_000 })
	res := e.run(reset.Command{Group: "billing", Topics: []string{"metrics"}, To: fmt.Sprintf("time:%d", base+1_500_000_000)})
	wantStatus(t, res, reset.StatusApplied)
	want := min + 1_500_000_000
	if got := e.offsets("billing", "metrics"); !equal(got, []int64{want, want}) {
		t.Errorf("offsets %v", got)
	}
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
	res := e.run(reset.Command{Group: "fleet", To: "latest"})
	wantStatus(t, res, reset.StatusApplied)
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
	wantStatus(t, e.run(reset.Command{Group: "billing", Topics: []string{"audit"}, To: "earliest"}), reset.StatusApplied)
	calls := e.emu.Calls(huaweirocketmqtest.OpResetConsumeOffset)
	if len(calls) != 1 || !strings.HasPrefix(calls[0].Path, "/v2/rocketmq/"+project+"/") {
		t.Errorf("calls %+v", calls)
	}
}

func TestBroadcastGroupFails(t *testing.T) {
	e := setup(t, nil)
	e.emu.SetBroadcast("billing", true)
	res := e.run(reset.Command{Group: "billing", Topics: []string{"audit"}, To: "earliest"})
	wantStatus(t, res, reset.StatusFailed)
	if !strings.Contains(res.Error, "broadcast") || res.Partitions[0].Status != reset.StatusError {
		t.Errorf("error %q rows %+v", res.Error, res.Partitions)
	}
}

// TestPinnedPlanAppliesInOwnTerms: a confirmed plan (pinned offsets) on a backend that only takes
// a time is applied as its `to` in the backend's own terms; the pins only guard "moved since plan".
func TestPinnedPlanAppliesInOwnTerms(t *testing.T) {
	e := setup(t, nil)
	pinned := map[reset.TopicPartition]int64{{Topic: "audit", Partition: 0}: 600, {Topic: "audit", Partition: 1}: 600, {Topic: "audit", Partition: 2}: 600}
	res := e.planner.Run(context.Background(), reset.Command{Target: "hwmq", Group: "billing", Topics: []string{"audit"}, To: "latest"}, reset.Options{Pinned: pinned})
	wantStatus(t, res, reset.StatusApplied)
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
