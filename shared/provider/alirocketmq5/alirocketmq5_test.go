package alirocketmq5_test

import (
	"fmt"
	"offsetreset/shared/reset/resettest"
	"strings"
	"testing"
	"time"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/alirocketmq5"
	"offsetreset/shared/provider/alirocketmq5/alirocketmq5test"
	"offsetreset/shared/provider/aliyun/aliyuntest"
	"offsetreset/shared/reset"
)

const (
	ak       = "LTAI5tEmulatorRmq5001"
	sk       = "rmq5-emulator-secret"
	region   = "cn-hangzhou"
	instance = "rmq-cn-test0001"
)

var base = aliyuntest.Base

type env struct {
	*aliyuntest.Harness
	srv  *alirocketmq5test.Server
	in   *alirocketmq5test.Instance
	prov *alirocketmq5.Provider
}

// setup: topics orders (100 messages) and payments (60), one a minute from base; group billing
// consumed 10 of orders (2 in flight) and 50 of payments.
func setup(t *testing.T) *env {
	t.Helper()
	srv := alirocketmq5test.Start()
	p := aliyuntest.Wire(t, srv.Server, aliyuntest.Key{ID: ak, Secret: sk}, alirocketmq5.New, "rmq5", config.Target{Provider: "alirocketmq5", Region: region, Instance: instance})
	e := &env{Harness: aliyuntest.NewHarness(srv.Server, "rmq5", p, "billing"), srv: srv, in: srv.Instance(instance, region), prov: p.(*alirocketmq5.Provider)}
	aliyuntest.FastRetries(e.prov.API.Limiter)
	for topic, n := range map[string]int{"orders": 100, "payments": 60} {
		e.in.AddTopic(topic)
		e.in.Produce(topic, n, aliyuntest.EveryMinute)
	}
	e.in.Subscribe("billing", "orders", 10, 2)
	e.in.Subscribe("billing", "payments", 50, 0)
	return e
}

func (e *env) resets() []aliyuntest.Call { return e.srv.CallsOf(alirocketmq5test.ResetConsumeOffset) }

// wantPositions checks group billing's positions on the topics of want.
func (e *env) wantPositions(t *testing.T, want map[string]int64) {
	t.Helper()
	aliyuntest.WantPositions(t, e.in.Consumed("billing"), want)
}

func TestLatestAllTopics(t *testing.T) {
	e := setup(t)
	r := e.Run(reset.Command{To: "latest"})
	resettest.WantStatus(t, r, reset.StatusApplied)
	if len(r.Partitions) != 2 || r.Partitions[0].Topic != "orders" || r.Partitions[0].Partition != -1 {
		t.Fatalf("rows:\n%s", resettest.Dump(r))
	}
	if r.Skipped == nil || *r.Skipped != 102 {
		t.Errorf("skipped %v, want 90+2+10", r.Skipped)
	}
	calls := e.resets()
	if len(calls) != 2 {
		t.Fatalf("%d resets", len(calls))
	}
	for _, c := range calls {
		if c.Method != "PATCH" || !strings.HasPrefix(c.Path, "/instances/"+instance+"/consumerGroups/billing/consumeOffsets/") || c.Body != `{"resetType":"LATEST_OFFSET"}` {
			t.Errorf("call %+v", c)
		}
	}
	e.wantPositions(t, map[string]int64{"orders": 100, "payments": 60})
}

func TestTimeIsSentInChinaStandardTime(t *testing.T) {
	e := setup(t)
	r := e.Run(reset.Command{Topics: []string{"orders"}, To: "time:2026-05-01T00:42:00Z"})
	resettest.WantStatus(t, r, reset.StatusApplied)
	calls := e.resets()
	if len(calls) != 1 || calls[0].Body != `{"resetTime":"2026-05-01 08:42:00","resetType":"SPECIFIED_TIME"}` {
		t.Fatalf("calls %+v", calls)
	}
	e.wantPositions(t, map[string]int64{"orders": 42, "payments": 50})
	// ago:100m from base+2h is base+20m.
	resettest.WantStatus(t, e.Run(reset.Command{To: "ago:100m"}), reset.StatusApplied)
	e.wantPositions(t, map[string]int64{"orders": 20, "payments": 20})
	// Milliseconds are rounded down to the second, with a note.
	r = e.Run(reset.Command{Topics: []string{"orders"}, To: fmt.Sprintf("time:%d", base.Add(30*time.Minute+999*time.Millisecond).UnixMilli())})
	resettest.WantStatus(t, r, reset.StatusApplied)
	e.wantPositions(t, map[string]int64{"orders": 30})
	resettest.WantNote(t, r, "to the second")
}

func TestUnsupportedTargetsAreInvalid(t *testing.T) {
	setup(t).WantInvalid(t,
		aliyuntest.Invalid{Cmd: reset.Command{To: "earliest"}, Error: "alirocketmq5 targets cannot be reset to earliest: " + alirocketmq5.Describe},
		aliyuntest.Invalid{Cmd: reset.Command{To: "offset:5"}, Error: "alirocketmq5 targets cannot be reset to offset: " + alirocketmq5.Describe},
		aliyuntest.Invalid{Cmd: reset.Command{To: "shift:+5"}, Error: "alirocketmq5 targets cannot be reset to shift: " + alirocketmq5.Describe},
		aliyuntest.Invalid{Cmd: reset.Command{Topics: []string{"orders"}, Partitions: []int32{3}, To: "latest"},
			Error: "alirocketmq5 targets cannot reset single partitions or queues: " + alirocketmq5.Describe + "; leave partitions out to move the whole topic"},
		aliyuntest.Invalid{Cmd: reset.Command{Topics: []string{"bad/name"}, To: "latest"}},
	)
}

func TestDryRunChangesNothing(t *testing.T) {
	for _, to := range []string{"latest", "time:2026-05-01T08:30:00+08:00", "ago:1h"} {
		t.Run(to, func(t *testing.T) {
			e := setup(t)
			e.WantDryRun(t, reset.Command{To: to}, func() any { return e.in.Consumed("billing") })
			e.WantCalls(t, "", 1) // GetConsumerGroupLag
		})
	}
}

func TestThrottling(t *testing.T) {
	t.Run("three times then applied", func(t *testing.T) {
		setup(t).ThrottledThenApplied(t, alirocketmq5test.ResetConsumeOffset, 3, reset.Command{Topics: []string{"orders"}, To: "latest"})
	})
	t.Run("beyond the deadline", func(t *testing.T) {
		e := setup(t)
		e.ThrottledPastDeadline(t, e.prov.API.Limiter, alirocketmq5test.GetConsumerGroupLag, reset.Command{To: "latest"})
	})
	t.Run("5xx then applied", func(t *testing.T) {
		e := setup(t)
		e.srv.Inject(aliyuntest.Fault{Action: alirocketmq5test.ResetConsumeOffset, Kind: aliyuntest.Unavailable, Times: 2})
		resettest.WantStatus(t, e.Run(reset.Command{Topics: []string{"payments"}, To: "latest"}), reset.StatusApplied)
	})
	t.Run("malformed answer", func(t *testing.T) {
		e := setup(t)
		e.srv.Inject(aliyuntest.Fault{Action: alirocketmq5test.GetConsumerGroupLag, Kind: aliyuntest.Malformed})
		resettest.WantError(t, e.Run(reset.Command{To: "latest"}), reset.StatusFailed, "not the JSON")
	})
}

func TestServiceErrorsAreReadFromTheLowercaseBody(t *testing.T) {
	e := setup(t)
	resettest.WantError(t, e.Run(reset.Command{Group: "nobody", To: "latest"}), reset.StatusInvalid, `consumerGroup "nobody" was not found`, "cannot be found")
	// A subscription whose topic was deleted: the 404's code and message reach the row.
	e.in.AddTopic("ghost")
	e.in.Subscribe("billing", "ghost", 0, 0)
	e.in.DeleteTopic("ghost")
	r := e.Run(reset.Command{Topics: []string{"orders", "ghost"}, To: "latest"})
	resettest.WantStatus(t, r, reset.StatusPartial)
	for _, pr := range r.Partitions {
		if pr.Topic == "ghost" && (!strings.Contains(pr.Error, `topic "ghost" was not found`) || pr.Status != reset.StatusUnchanged) {
			t.Errorf("row %+v", pr)
		}
	}
}

func TestCredentials(t *testing.T) {
	e := setup(t)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "wrong")
	resettest.WantError(t, e.Run(reset.Command{To: "latest"}), reset.StatusFailed, "authentication failed", "SignatureDoesNotMatch")
	aliyuntest.UseKey(t, e.srv.Server, aliyuntest.Key{ID: "STS.five", Secret: "s5", Token: "tok5"})
	resettest.WantStatus(t, e.Run(reset.Command{Topics: []string{"orders"}, To: "latest"}), reset.StatusApplied)
}

func TestTwoThousandTopicsPlanInOneCall(t *testing.T) {
	e := setup(t)
	for i := range 2000 {
		name := fmt.Sprintf("t%04d", i)
		e.in.AddTopic(name)
		e.in.Produce(name, 3, aliyuntest.EveryMinute)
		e.in.Subscribe("wide", name, 1, 0)
	}
	r := e.WantPlanCalls(t, reset.Command{Group: "wide", To: "latest"}, 1)
	if len(r.Partitions) != 2000 || r.Skipped == nil || *r.Skipped != 4000 {
		t.Fatalf("%d rows, skipped %v", len(r.Partitions), r.Skipped)
	}
}
