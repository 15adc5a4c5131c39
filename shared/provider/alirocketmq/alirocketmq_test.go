package alirocketmq_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
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

var base = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

type targets map[string]reset.Provider

func (t targets) Provider(name string) (reset.Provider, error) {
	if p, ok := t[name]; ok {
		return p, nil
	}
	return nil, reset.Invalid("unknown target %q", name)
}

type env struct {
	srv     *alirocketmqtest.Server
	in      *alirocketmqtest.Instance
	prov    *alirocketmq.Provider
	planner *reset.Planner
}

// setup: topics orders (100 messages) and payments (60), one a minute from base; GID_billing
// consumed 10 of orders and 50 of payments, and has a retry topic with 3 messages.
func setup(t *testing.T) *env {
	t.Helper()
	srv := alirocketmqtest.Start()
	t.Cleanup(srv.Close)
	srv.AddKey(aliyuntest.Key{ID: ak, Secret: sk})
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", ak)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", sk)
	t.Setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "")
	in := srv.Instance(instance, region)
	minutes := func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) }
	in.AddTopic("orders")
	in.Produce("orders", 100, minutes)
	in.AddTopic("payments")
	in.Produce("payments", 60, minutes)
	in.AddTopic("%RETRY%GID_billing")
	in.Produce("%RETRY%GID_billing", 3, minutes)
	in.Subscribe("GID_billing", "orders", 10)
	in.Subscribe("GID_billing", "payments", 50)
	in.Subscribe("GID_billing", "%RETRY%GID_billing", 0)
	p, err := alirocketmq.New("rmq", config.Target{Provider: "alirocketmq", Region: region, Instance: instance, Endpoint: srv.URL, QPS: 1000})
	if err != nil {
		t.Fatal(err)
	}
	prov := p.(*alirocketmq.Provider)
	prov.API.Limiter.Backoff = time.Millisecond
	prov.API.Limiter.MaxBackoff = 4 * time.Millisecond
	return &env{srv: srv, in: in, prov: prov, planner: &reset.Planner{Targets: targets{"rmq": prov}, Now: func() time.Time { return base.Add(2 * time.Hour) }}}
}

func (e *env) run(t *testing.T, cmd reset.Command) *reset.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return e.runCtx(ctx, cmd)
}

func (e *env) runCtx(ctx context.Context, cmd reset.Command) *reset.Result {
	cmd.Target = "rmq"
	if cmd.Group == "" {
		cmd.Group = "GID_billing"
	}
	return e.planner.Run(ctx, cmd, reset.Options{})
}

func dump(r *reset.Result) string {
	b, _ := json.MarshalIndent(r, "", "  ")
	return string(b)
}

func wantStatus(t *testing.T, r *reset.Result, s reset.Status) {
	t.Helper()
	if r.Status != s {
		t.Fatalf("status %s, want %s:\n%s", r.Status, s, dump(r))
	}
}

func (e *env) resets() []aliyuntest.Call {
	var out []aliyuntest.Call
	for _, c := range e.srv.Calls() {
		if c.Action == alirocketmqtest.OnsConsumerResetOffset {
			out = append(out, c)
		}
	}
	return out
}

func TestLatestAllTopics(t *testing.T) {
	e := setup(t)
	r := e.run(t, reset.Command{To: "latest"})
	wantStatus(t, r, reset.StatusApplied)
	if len(r.Partitions) != 2 {
		t.Fatalf("want rows for orders and payments only:\n%s", dump(r))
	}
	for _, pr := range r.Partitions {
		if pr.Partition != -1 || pr.Before != nil || pr.Status != reset.StatusApplied {
			t.Errorf("row %+v", pr)
		}
	}
	if r.Skipped == nil || *r.Skipped != 100 {
		t.Errorf("skipped %v, want 90+10", r.Skipped)
	}
	if len(r.Undo) != 0 {
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
	got := e.in.Consumed("GID_billing")
	if got["orders"] != 100 || got["payments"] != 60 || got["%RETRY%GID_billing"] != 0 {
		t.Errorf("positions %v", got)
	}
	if !strings.Contains(strings.Join(r.Notes, "\n"), "%RETRY%GID_billing") {
		t.Errorf("notes %v", r.Notes)
	}
}

func TestEarliestUsesTheOldestMessageTime(t *testing.T) {
	e := setup(t)
	e.in.Trim("orders", 7)
	r := e.run(t, reset.Command{Topics: []string{"orders"}, To: "earliest"})
	wantStatus(t, r, reset.StatusApplied)
	calls := e.resets()
	if len(calls) != 1 || calls[0].Params["Type"] != "1" || calls[0].Params["ResetTimestamp"] != fmt.Sprint(base.Add(7*time.Minute).UnixMilli()) {
		t.Fatalf("calls %+v", calls)
	}
	if n := e.srv.Count(alirocketmqtest.OnsConsumerTimeSpan); n != 1 {
		t.Errorf("%d OnsConsumerTimeSpan calls", n)
	}
	if got := e.in.Consumed("GID_billing"); got["orders"] != 7 || got["payments"] != 50 {
		t.Errorf("positions %v", got)
	}
}

func TestTimeAndAgo(t *testing.T) {
	e := setup(t)
	at := base.Add(33 * time.Minute)
	r := e.run(t, reset.Command{Topics: []string{"orders", "payments"}, To: fmt.Sprintf("time:%d", at.UnixMilli())})
	wantStatus(t, r, reset.StatusApplied)
	for _, c := range e.resets() {
		if c.Params["Type"] != "1" || c.Params["ResetTimestamp"] != fmt.Sprint(at.UnixMilli()) {
			t.Errorf("params %v", c.Params)
		}
	}
	if got := e.in.Consumed("GID_billing"); got["orders"] != 33 || got["payments"] != 33 {
		t.Errorf("positions %v", got)
	}
	// ago:100m from base+2h is base+20m.
	r = e.run(t, reset.Command{To: "ago:100m"})
	wantStatus(t, r, reset.StatusApplied)
	if got := e.in.Consumed("GID_billing"); got["orders"] != 20 || got["payments"] != 20 {
		t.Errorf("positions %v", got)
	}
}

func TestTimesOutsideTheTopicAreMovedIntoIt(t *testing.T) {
	e := setup(t)
	e.in.Trim("payments", 5)
	r := e.run(t, reset.Command{To: "time:2026-04-30T00:00:00Z"})
	wantStatus(t, r, reset.StatusApplied)
	if got := e.in.Consumed("GID_billing"); got["orders"] != 0 || got["payments"] != 5 {
		t.Errorf("positions %v", got)
	}
	if !strings.Contains(strings.Join(r.Notes, "\n"), "before the oldest retained message") {
		t.Errorf("notes %v", r.Notes)
	}
	// payments' newest message is at base+59m: base+80m is after it, so latest (Type 0).
	e.srv.ResetCalls()
	r = e.run(t, reset.Command{Topics: []string{"payments"}, To: "time:" + base.Add(80*time.Minute).Format(time.RFC3339)})
	wantStatus(t, r, reset.StatusApplied)
	if calls := e.resets(); len(calls) != 1 || calls[0].Params["Type"] != "0" {
		t.Fatalf("calls %+v", calls)
	}
	if got := e.in.Consumed("GID_billing"); got["payments"] != 60 {
		t.Errorf("positions %v", got)
	}
	if !strings.Contains(strings.Join(r.Notes, "\n"), "moved to latest") {
		t.Errorf("notes %v", r.Notes)
	}
}

func TestUnsupportedTargetsAreInvalid(t *testing.T) {
	e := setup(t)
	for _, c := range []struct {
		cmd  reset.Command
		want string
	}{
		{reset.Command{To: "offset:5"}, "alirocketmq targets cannot be reset to offset: " + alirocketmq.Describe},
		{reset.Command{To: "shift:-10"}, "alirocketmq targets cannot be reset to shift: " + alirocketmq.Describe},
		{reset.Command{Topics: []string{"orders"}, Partitions: []int32{0}, To: "latest"},
			"alirocketmq targets cannot reset single partitions or queues: " + alirocketmq.Describe + "; leave partitions out to move the whole topic"},
	} {
		r := e.run(t, c.cmd)
		wantStatus(t, r, reset.StatusInvalid)
		if r.Error != c.want {
			t.Errorf("error %q\nwant  %q", r.Error, c.want)
		}
	}
	if n := e.srv.Count(""); n != 0 {
		t.Errorf("%d calls for invalid commands", n)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	for _, to := range []string{"latest", "earliest", "time:2026-05-01T08:30:00+08:00", "ago:1h"} {
		t.Run(to, func(t *testing.T) {
			e := setup(t)
			before := e.in.Consumed("GID_billing")
			r := e.run(t, reset.Command{To: to, DryRun: true})
			wantStatus(t, r, reset.StatusPlanned)
			if n := e.srv.Count(""); n != 1 {
				t.Errorf("a dry run made %d calls, want 1 (OnsConsumerAccumulate)", n)
			}
			if fmt.Sprint(before) != fmt.Sprint(e.in.Consumed("GID_billing")) {
				t.Fatal("state changed")
			}
		})
	}
}

func TestResetsWorkWhileConsumersAreOnline(t *testing.T) {
	e := setup(t)
	e.in.SetOnline("GID_billing", "10.0.0.5@12345")
	r := e.run(t, reset.Command{Topics: []string{"orders"}, To: "latest"})
	wantStatus(t, r, reset.StatusApplied)
	if got := e.in.Consumed("GID_billing"); got["orders"] != 100 {
		t.Errorf("positions %v", got)
	}
}

func TestThrottling(t *testing.T) {
	t.Run("three times then applied", func(t *testing.T) {
		e := setup(t)
		e.srv.Inject(aliyuntest.Fault{Action: alirocketmqtest.OnsConsumerResetOffset, Kind: aliyuntest.Throttle, Times: 3})
		r := e.run(t, reset.Command{Topics: []string{"orders"}, To: "latest"})
		wantStatus(t, r, reset.StatusApplied)
		if !strings.Contains(strings.Join(r.Notes, "\n"), "succeeded after 3 retries (Throttling.User)") {
			t.Errorf("notes %v", r.Notes)
		}
		if n := len(e.resets()); n != 4 {
			t.Errorf("%d attempts", n)
		}
	})
	t.Run("beyond the deadline", func(t *testing.T) {
		e := setup(t)
		e.prov.API.Limiter.Backoff = 40 * time.Millisecond
		e.prov.API.Limiter.MaxBackoff = 80 * time.Millisecond
		e.prov.API.Limiter.MaxAttempts = 1000
		e.srv.Inject(aliyuntest.Fault{Action: alirocketmqtest.OnsConsumerResetOffset, Kind: aliyuntest.Throttle, Times: -1})
		ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
		defer cancel()
		before := e.in.Consumed("GID_billing")
		r := e.runCtx(ctx, reset.Command{Topics: []string{"orders"}, To: "latest"})
		wantStatus(t, r, reset.StatusFailed)
		if !strings.Contains(r.Error, "Throttling.User") {
			t.Errorf("error %q", r.Error)
		}
		if fmt.Sprint(before) != fmt.Sprint(e.in.Consumed("GID_billing")) {
			t.Fatal("state changed")
		}
	})
	t.Run("one topic fails", func(t *testing.T) {
		e := setup(t)
		e.srv.Inject(aliyuntest.Fault{Action: alirocketmqtest.OnsConsumerResetOffset, Kind: aliyuntest.Unavailable, Times: -1, Match: map[string]string{"Topic": "payments"}})
		r := e.run(t, reset.Command{To: "latest"})
		wantStatus(t, r, reset.StatusPartial)
		if got := e.in.Consumed("GID_billing"); got["orders"] != 100 || got["payments"] != 50 {
			t.Errorf("positions %v", got)
		}
	})
}

func TestCredentials(t *testing.T) {
	e := setup(t)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "wrong")
	r := e.run(t, reset.Command{To: "latest"})
	wantStatus(t, r, reset.StatusFailed)
	if !strings.Contains(r.Error, "authentication failed") {
		t.Errorf("error %q", r.Error)
	}
}

func TestUnknownGroupAndTopic(t *testing.T) {
	e := setup(t)
	r := e.run(t, reset.Command{Group: "GID_nobody", To: "latest"})
	wantStatus(t, r, reset.StatusInvalid)
	if !strings.Contains(r.Error, `group "GID_nobody" was not found`) {
		t.Errorf("error %q", r.Error)
	}
	r = e.run(t, reset.Command{Topics: []string{"nothere"}, To: "latest"})
	wantStatus(t, r, reset.StatusInvalid)
	// A named retry topic is moved.
	r = e.run(t, reset.Command{Topics: []string{"%RETRY%GID_billing"}, To: "latest"})
	wantStatus(t, r, reset.StatusApplied)
	if got := e.in.Consumed("GID_billing"); got["%RETRY%GID_billing"] != 3 {
		t.Errorf("positions %v", got)
	}
}

func TestTwoThousandTopicsPlanInOneCall(t *testing.T) {
	e := setup(t)
	for i := range 2000 {
		name := fmt.Sprintf("t%04d", i)
		e.in.AddTopic(name)
		e.in.Produce(name, 3, func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) })
		e.in.Subscribe("GID_wide", name, 1)
	}
	e.srv.ResetCalls()
	r := e.run(t, reset.Command{Group: "GID_wide", To: "latest", DryRun: true})
	wantStatus(t, r, reset.StatusPlanned)
	if len(r.Partitions) != 2000 || r.Skipped == nil || *r.Skipped != 4000 {
		t.Fatalf("%d rows, skipped %v", len(r.Partitions), r.Skipped)
	}
	if n := e.srv.Count(""); n != 1 {
		t.Fatalf("planning took %d calls, want 1", n)
	}
}
