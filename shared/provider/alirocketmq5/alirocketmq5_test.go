package alirocketmq5_test

import (
	"context"
	"encoding/json"
	"fmt"
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

var base = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

type targets map[string]reset.Provider

func (t targets) Provider(name string) (reset.Provider, error) {
	if p, ok := t[name]; ok {
		return p, nil
	}
	return nil, reset.Invalid("unknown target %q", name)
}

type env struct {
	srv     *alirocketmq5test.Server
	in      *alirocketmq5test.Instance
	prov    *alirocketmq5.Provider
	planner *reset.Planner
}

// setup: topics orders (100 messages) and payments (60), one a minute from base; group billing
// consumed 10 of orders (2 in flight) and 50 of payments.
func setup(t *testing.T) *env {
	t.Helper()
	srv := alirocketmq5test.Start()
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
	in.Subscribe("billing", "orders", 10, 2)
	in.Subscribe("billing", "payments", 50, 0)
	p, err := alirocketmq5.New("rmq5", config.Target{Provider: "alirocketmq5", Region: region, Instance: instance, Endpoint: srv.URL, QPS: 1000})
	if err != nil {
		t.Fatal(err)
	}
	prov := p.(*alirocketmq5.Provider)
	prov.API.Limiter.Backoff = time.Millisecond
	prov.API.Limiter.MaxBackoff = 4 * time.Millisecond
	return &env{srv: srv, in: in, prov: prov, planner: &reset.Planner{Targets: targets{"rmq5": prov}, Now: func() time.Time { return base.Add(2 * time.Hour) }}}
}

func (e *env) run(t *testing.T, cmd reset.Command) *reset.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return e.runCtx(ctx, cmd)
}

func (e *env) runCtx(ctx context.Context, cmd reset.Command) *reset.Result {
	cmd.Target = "rmq5"
	if cmd.Group == "" {
		cmd.Group = "billing"
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
		if c.Action == alirocketmq5test.ResetConsumeOffset {
			out = append(out, c)
		}
	}
	return out
}

func TestLatestAllTopics(t *testing.T) {
	e := setup(t)
	r := e.run(t, reset.Command{To: "latest"})
	wantStatus(t, r, reset.StatusApplied)
	if len(r.Partitions) != 2 || r.Partitions[0].Topic != "orders" || r.Partitions[0].Partition != -1 {
		t.Fatalf("rows:\n%s", dump(r))
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
	if got := e.in.Consumed("billing"); got["orders"] != 100 || got["payments"] != 60 {
		t.Errorf("positions %v", got)
	}
}

func TestTimeIsSentInChinaStandardTime(t *testing.T) {
	e := setup(t)
	r := e.run(t, reset.Command{Topics: []string{"orders"}, To: "time:2026-05-01T00:42:00Z"})
	wantStatus(t, r, reset.StatusApplied)
	calls := e.resets()
	if len(calls) != 1 || calls[0].Body != `{"resetTime":"2026-05-01 08:42:00","resetType":"SPECIFIED_TIME"}` {
		t.Fatalf("calls %+v", calls)
	}
	if got := e.in.Consumed("billing"); got["orders"] != 42 || got["payments"] != 50 {
		t.Errorf("positions %v", got)
	}
	// ago:100m from base+2h is base+20m.
	r = e.run(t, reset.Command{To: "ago:100m"})
	wantStatus(t, r, reset.StatusApplied)
	if got := e.in.Consumed("billing"); got["orders"] != 20 || got["payments"] != 20 {
		t.Errorf("positions %v", got)
	}
	// Milliseconds are rounded down to the second, with a note.
	r = e.run(t, reset.Command{Topics: []string{"orders"}, To: fmt.Sprintf("time:%d", base.Add(30*time.Minute+999*time.Millisecond).UnixMilli())})
	wantStatus(t, r, reset.StatusApplied)
	if got := e.in.Consumed("billing"); got["orders"] != 30 {
		t.Errorf("positions %v", got)
	}
	if !strings.Contains(strings.Join(r.Notes, "\n"), "to the second") {
		t.Errorf("notes %v", r.Notes)
	}
}

func TestUnsupportedTargetsAreInvalid(t *testing.T) {
	e := setup(t)
	for _, c := range []struct {
		cmd  reset.Command
		want string
	}{
		{reset.Command{To: "earliest"}, "alirocketmq5 targets cannot be reset to earliest: " + alirocketmq5.Describe},
		{reset.Command{To: "offset:5"}, "alirocketmq5 targets cannot be reset to offset: " + alirocketmq5.Describe},
		{reset.Command{To: "shift:+5"}, "alirocketmq5 targets cannot be reset to shift: " + alirocketmq5.Describe},
		{reset.Command{Topics: []string{"orders"}, Partitions: []int32{3}, To: "latest"},
			"alirocketmq5 targets cannot reset single partitions or queues: " + alirocketmq5.Describe + "; leave partitions out to move the whole topic"},
	} {
		r := e.run(t, c.cmd)
		wantStatus(t, r, reset.StatusInvalid)
		if r.Error != c.want {
			t.Errorf("error %q\nwant  %q", r.Error, c.want)
		}
	}
	r := e.run(t, reset.Command{Topics: []string{"bad/name"}, To: "latest"})
	wantStatus(t, r, reset.StatusInvalid)
	if n := e.srv.Count(""); n != 0 {
		t.Errorf("%d calls for invalid commands", n)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	for _, to := range []string{"latest", "time:2026-05-01T08:30:00+08:00", "ago:1h"} {
		t.Run(to, func(t *testing.T) {
			e := setup(t)
			before := e.in.Consumed("billing")
			r := e.run(t, reset.Command{To: to, DryRun: true})
			wantStatus(t, r, reset.StatusPlanned)
			if n := e.srv.Count(""); n != 1 {
				t.Errorf("a dry run made %d calls, want 1 (GetConsumerGroupLag)", n)
			}
			if fmt.Sprint(before) != fmt.Sprint(e.in.Consumed("billing")) {
				t.Fatal("state changed")
			}
		})
	}
}

func TestThrottling(t *testing.T) {
	t.Run("three times then applied", func(t *testing.T) {
		e := setup(t)
		e.srv.Inject(aliyuntest.Fault{Action: alirocketmq5test.ResetConsumeOffset, Kind: aliyuntest.Throttle, Times: 3})
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
		e.srv.Inject(aliyuntest.Fault{Action: alirocketmq5test.GetConsumerGroupLag, Kind: aliyuntest.Throttle, Times: -1})
		ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
		defer cancel()
		r := e.runCtx(ctx, reset.Command{To: "latest"})
		wantStatus(t, r, reset.StatusFailed)
		if !strings.Contains(r.Error, "Throttling.User") {
			t.Errorf("error %q", r.Error)
		}
	})
	t.Run("5xx then applied", func(t *testing.T) {
		e := setup(t)
		e.srv.Inject(aliyuntest.Fault{Action: alirocketmq5test.ResetConsumeOffset, Kind: aliyuntest.Unavailable, Times: 2})
		r := e.run(t, reset.Command{Topics: []string{"payments"}, To: "latest"})
		wantStatus(t, r, reset.StatusApplied)
	})
	t.Run("malformed answer", func(t *testing.T) {
		e := setup(t)
		e.srv.Inject(aliyuntest.Fault{Action: alirocketmq5test.GetConsumerGroupLag, Kind: aliyuntest.Malformed})
		r := e.run(t, reset.Command{To: "latest"})
		wantStatus(t, r, reset.StatusFailed)
		if !strings.Contains(r.Error, "not the JSON") {
			t.Errorf("error %q", r.Error)
		}
	})
}

func TestServiceErrorsAreReadFromTheLowercaseBody(t *testing.T) {
	e := setup(t)
	r := e.run(t, reset.Command{Group: "nobody", To: "latest"})
	wantStatus(t, r, reset.StatusInvalid)
	if !strings.Contains(r.Error, `consumerGroup "nobody" was not found`) || !strings.Contains(r.Error, "cannot be found") {
		t.Errorf("error %q", r.Error)
	}
	// A subscription whose topic was deleted: the 404's code and message reach the row.
	e.in.AddTopic("ghost")
	e.in.Subscribe("billing", "ghost", 0, 0)
	e.in.DeleteTopic("ghost")
	r = e.run(t, reset.Command{Topics: []string{"orders", "ghost"}, To: "latest"})
	wantStatus(t, r, reset.StatusPartial)
	for _, pr := range r.Partitions {
		if pr.Topic == "ghost" && (!strings.Contains(pr.Error, `topic "ghost" was not found`) || pr.Status != reset.StatusError) {
			t.Errorf("row %+v", pr)
		}
	}
}

func TestCredentials(t *testing.T) {
	e := setup(t)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "wrong")
	r := e.run(t, reset.Command{To: "latest"})
	wantStatus(t, r, reset.StatusFailed)
	if !strings.Contains(r.Error, "authentication failed") || !strings.Contains(r.Error, "SignatureDoesNotMatch") {
		t.Errorf("error %q", r.Error)
	}
	e.srv.AddKey(aliyuntest.Key{ID: "STS.five", Secret: "s5", Token: "tok5"})
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.five")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s5")
	t.Setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "tok5")
	r = e.run(t, reset.Command{Topics: []string{"orders"}, To: "latest"})
	wantStatus(t, r, reset.StatusApplied)
}

func TestTwoThousandTopicsPlanInOneCall(t *testing.T) {
	e := setup(t)
	for i := range 2000 {
		name := fmt.Sprintf("t%04d", i)
		e.in.AddTopic(name)
		e.in.Produce(name, 3, func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) })
		e.in.Subscribe("wide", name, 1, 0)
	}
	e.srv.ResetCalls()
	r := e.run(t, reset.Command{Group: "wide", To: "latest", DryRun: true})
	wantStatus(t, r, reset.StatusPlanned)
	if len(r.Partitions) != 2000 || r.Skipped == nil || *r.Skipped != 4000 {
		t.Fatalf("%d rows, skipped %v", len(r.Partitions), r.Skipped)
	}
	if n := e.srv.Count(""); n != 1 {
		t.Fatalf("planning took %d calls, want 1", n)
	}
}
