package alirocketmq_test

import (
	"fmt"
	"offsetreset/shared/reset/resettest"
	"testing"
	"time"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/alirocketmq"
	"offsetreset/shared/provider/alirocketmq/alirocketmqtest"
	"offsetreset/shared/provider/aliyun/aliyuntest"
	"offsetreset/shared/reset"
)

const (
	ak       = "LTAI5tEmulatorOns0001"
	sk       = "ons-emulator-secret"
	region   = "cn-shanghai"
	instance = "MQ_INST_1234567890_BXtest01"
)

var base = aliyuntest.Base

type env struct {
	*aliyuntest.Harness
	srv  *alirocketmqtest.Server
	in   *alirocketmqtest.Instance
	prov *alirocketmq.Provider
}

// setup: topics orders (100 messages) and payments (60), one a minute from base; GID_billing
// consumed 10 of orders and 50 of payments, and has a retry topic with 3 messages.
func setup(t *testing.T) *env {
	t.Helper()
	srv := alirocketmqtest.Start()
	p := aliyuntest.Wire(t, srv.Server, aliyuntest.Key{ID: ak, Secret: sk}, alirocketmq.New, "rmq", config.Target{Provider: "alirocketmq", Region: region, Instance: instance})
	e := &env{Harness: aliyuntest.NewHarness(srv.Server, "rmq", p, "GID_billing"), srv: srv, in: srv.Instance(instance, region), prov: p.(*alirocketmq.Provider)}
	aliyuntest.FastRetries(e.prov.API.Limiter)
	for topic, n := range map[string]int{"orders": 100, "payments": 60, "%RETRY%GID_billing": 3} {
		e.in.AddTopic(topic)
		e.in.Produce(topic, n, aliyuntest.EveryMinute)
	}
	e.in.Subscribe("GID_billing", "orders", 10)
	e.in.Subscribe("GID_billing", "payments", 50)
	e.in.Subscribe("GID_billing", "%RETRY%GID_billing", 0)
	return e
}

func (e *env) resets() []aliyuntest.Call {
	return e.srv.CallsOf(alirocketmqtest.OnsConsumerResetOffset)
}

// wantPositions checks GID_billing's positions on the topics of want.
func (e *env) wantPositions(t *testing.T, want map[string]int64) {
	t.Helper()
	aliyuntest.WantPositions(t, e.in.Consumed("GID_billing"), want)
}

func TestLatestAllTopics(t *testing.T) {
	e := setup(t)
	r := e.Run(reset.Command{To: "latest"})
	resettest.WantStatus(t, r, reset.StatusApplied)
	if len(r.Partitions) != 2 {
		t.Fatalf("want rows for orders and payments only:\n%s", resettest.Dump(r))
	}
	for _, pr := range r.Partitions {
		if pr.Partition != -1 || pr.Before != nil || pr.Status != reset.StatusApplied {
			t.Errorf("row %+v", pr)
		}
	}
	if r.Skipped == nil || *r.Skipped != 100 {
		t.Errorf("skipped %v, want 90+10", r.Skipped)
	}
	if r.Undo != nil {
		t.Errorf("RocketMQ 4.x has no offset-level undo: %v", r.Undo)
	}
	calls := e.resets()
	if len(calls) != 2 {
		t.Fatalf("%d resets, want one per topic", len(calls))
	}
	for _, c := range calls {
		if c.Params["Type"] != "0" {
			t.Errorf("params %v", c.Params)
		}
		if _, ok := c.Params["ResetTimestamp"]; ok {
			t.Errorf("Type 0 sent a ResetTimestamp: %v", c.Params)
		}
	}
	e.wantPositions(t, map[string]int64{"orders": 100, "payments": 60, "%RETRY%GID_billing": 0})
	resettest.WantNote(t, r, "%RETRY%GID_billing")
}

func TestEarliestUsesTheOldestMessageTime(t *testing.T) {
	e := setup(t)
	e.in.Trim("orders", 7)
	r := e.Run(reset.Command{Topics: []string{"orders"}, To: "earliest"})
	resettest.WantStatus(t, r, reset.StatusApplied)
	calls := e.resets()
	if len(calls) != 1 || calls[0].Params["Type"] != "1" || calls[0].Params["ResetTimestamp"] != fmt.Sprint(base.Add(7*time.Minute).UnixMilli()) {
		t.Fatalf("calls %+v", calls)
	}
	e.WantCalls(t, alirocketmqtest.OnsConsumerTimeSpan, 1)
	e.wantPositions(t, map[string]int64{"orders": 7, "payments": 50})
}

func TestTimeAndAgo(t *testing.T) {
	e := setup(t)
	at := base.Add(33 * time.Minute)
	r := e.Run(reset.Command{Topics: []string{"orders", "payments"}, To: fmt.Sprintf("time:%d", at.UnixMilli())})
	resettest.WantStatus(t, r, reset.StatusApplied)
	for _, c := range e.resets() {
		if c.Params["Type"] != "1" || c.Params["ResetTimestamp"] != fmt.Sprint(at.UnixMilli()) {
			t.Errorf("params %v", c.Params)
		}
	}
	e.wantPositions(t, map[string]int64{"orders": 33, "payments": 33})
	// ago:100m from base+2h is base+20m.
	resettest.WantStatus(t, e.Run(reset.Command{To: "ago:100m"}), reset.StatusApplied)
	e.wantPositions(t, map[string]int64{"orders": 20, "payments": 20})
}

func TestTimesOutsideTheTopicAreMovedIntoIt(t *testing.T) {
	e := setup(t)
	e.in.Trim("payments", 5)
	r := e.Run(reset.Command{To: "time:2026-04-30T00:00:00Z"})
	resettest.WantStatus(t, r, reset.StatusApplied)
	e.wantPositions(t, map[string]int64{"orders": 0, "payments": 5})
	resettest.WantNote(t, r, "before the oldest retained message")
	// payments' newest message is at base+59m: base+80m is after it, so latest (Type 0).
	e.srv.ResetCalls()
	r = e.Run(reset.Command{Topics: []string{"payments"}, To: "time:" + base.Add(80*time.Minute).Format(time.RFC3339)})
	resettest.WantStatus(t, r, reset.StatusApplied)
	if calls := e.resets(); len(calls) != 1 || calls[0].Params["Type"] != "0" {
		t.Fatalf("calls %+v", calls)
	}
	e.wantPositions(t, map[string]int64{"payments": 60})
	resettest.WantNote(t, r, "moved to latest")
}

func TestUnsupportedTargetsAreInvalid(t *testing.T) {
	setup(t).WantInvalid(t,
		aliyuntest.Invalid{Cmd: reset.Command{To: "offset:5"}, Error: "alirocketmq targets cannot be reset to offset: " + alirocketmq.Describe},
		aliyuntest.Invalid{Cmd: reset.Command{To: "shift:-10"}, Error: "alirocketmq targets cannot be reset to shift: " + alirocketmq.Describe},
		aliyuntest.Invalid{Cmd: reset.Command{Topics: []string{"orders"}, Partitions: []int32{0}, To: "latest"},
			Error: "alirocketmq targets cannot reset single partitions or queues: " + alirocketmq.Describe + "; leave partitions out to move the whole topic"},
	)
}

func TestDryRunChangesNothing(t *testing.T) {
	for _, to := range []string{"latest", "earliest", "time:2026-05-01T08:30:00+08:00", "ago:1h"} {
		t.Run(to, func(t *testing.T) {
			e := setup(t)
			e.WantDryRun(t, reset.Command{To: to}, func() any { return e.in.Consumed("GID_billing") })
			e.WantCalls(t, "", 1) // OnsConsumerAccumulate
		})
	}
}

func TestResetsWorkWhileConsumersAreOnline(t *testing.T) {
	e := setup(t)
	e.in.SetOnline("GID_billing", "10.0.0.5@12345")
	resettest.WantStatus(t, e.Run(reset.Command{Topics: []string{"orders"}, To: "latest"}), reset.StatusApplied)
	e.wantPositions(t, map[string]int64{"orders": 100})
}

func TestThrottling(t *testing.T) {
	t.Run("three times then applied", func(t *testing.T) {
		setup(t).ThrottledThenApplied(t, alirocketmqtest.OnsConsumerResetOffset, 3, reset.Command{Topics: []string{"orders"}, To: "latest"})
	})
	t.Run("beyond the deadline", func(t *testing.T) {
		e := setup(t)
		before := e.in.Consumed("GID_billing")
		e.ThrottledPastDeadline(t, e.prov.API.Limiter, alirocketmqtest.OnsConsumerResetOffset, reset.Command{Topics: []string{"orders"}, To: "latest"})
		if fmt.Sprint(before) != fmt.Sprint(e.in.Consumed("GID_billing")) {
			t.Fatal("state changed")
		}
	})
	t.Run("one topic fails", func(t *testing.T) {
		e := setup(t)
		e.srv.Inject(aliyuntest.Fault{Action: alirocketmqtest.OnsConsumerResetOffset, Kind: aliyuntest.Unavailable, Times: -1, Match: map[string]string{"Topic": "payments"}})
		resettest.WantStatus(t, e.Run(reset.Command{To: "latest"}), reset.StatusPartial)
		e.wantPositions(t, map[string]int64{"orders": 100, "payments": 50})
	})
}

func TestCredentials(t *testing.T) {
	e := setup(t)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "wrong")
	resettest.WantError(t, e.Run(reset.Command{To: "latest"}), reset.StatusFailed, "authentication failed")
}

func TestUnknownGroupAndTopic(t *testing.T) {
	e := setup(t)
	resettest.WantError(t, e.Run(reset.Command{Group: "GID_nobody", To: "latest"}), reset.StatusInvalid, `group "GID_nobody" was not found`)
	resettest.WantStatus(t, e.Run(reset.Command{Topics: []string{"nothere"}, To: "latest"}), reset.StatusInvalid)
	// A named retry topic is moved.
	resettest.WantStatus(t, e.Run(reset.Command{Topics: []string{"%RETRY%GID_billing"}, To: "latest"}), reset.StatusApplied)
	e.wantPositions(t, map[string]int64{"%RETRY%GID_billing": 3})
}

func TestTwoThousandTopicsPlanInOneCall(t *testing.T) {
	e := setup(t)
	for i := range 2000 {
		name := fmt.Sprintf("t%04d", i)
		e.in.AddTopic(name)
		e.in.Produce(name, 3, aliyuntest.EveryMinute)
		e.in.Subscribe("GID_wide", name, 1)
	}
	r := e.WantPlanCalls(t, reset.Command{Group: "GID_wide", To: "latest"}, 1)
	if len(r.Partitions) != 2000 || r.Skipped == nil || *r.Skipped != 4000 {
		t.Fatalf("%d rows, skipped %v", len(r.Partitions), r.Skipped)
	}
}
