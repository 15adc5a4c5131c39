package alikafka_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"offsetreset/shared/config"
	"offsetreset/shared/credentials"
	"offsetreset/shared/provider/alikafka"
	"offsetreset/shared/provider/alikafka/alikafkatest"
	"offsetreset/shared/provider/aliyun/aliyuntest"
	"offsetreset/shared/reset"
)

const (
	ak       = "LTAI5tEmulatorKafka01"
	sk       = "kafka-emulator-secret"
	region   = "cn-hangzhou"
	instance = "alikafka_post-cn-test0001"
)

// base is the time of the first demo message; message i of every partition is i minutes later.
var base = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

type targets map[string]reset.Provider

func (t targets) Provider(name string) (reset.Provider, error) {
	if p, ok := t[name]; ok {
		return p, nil
	}
	return nil, reset.Invalid("unknown target %q", name)
}

type env struct {
	srv     *alikafkatest.Server
	in      *alikafkatest.Instance
	prov    *alikafka.Provider
	planner *reset.Planner
}

// setup: topic orders (3 partitions) and payments (2), 100 and 50 messages per partition, one a
// minute from base; group billing committed at 10+p on orders and 5 on payments.
func setup(t *testing.T) *env {
	t.Helper()
	srv := alikafkatest.Start()
	t.Cleanup(srv.Close)
	srv.AddKey(aliyuntest.Key{ID: ak, Secret: sk})
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", ak)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", sk)
	t.Setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "")
	in := srv.Instance(instance, region)
	minutes := func(_ int32, i int) time.Time { return base.Add(time.Duration(i) * time.Minute) }
	in.AddTopic("orders", 3)
	in.Produce("orders", 100, minutes)
	in.AddTopic("payments", 2)
	in.Produce("payments", 50, minutes)
	in.AddTopic("unused", 1)
	in.CommitAll("billing", "orders", func(p int32) int64 { return 10 + int64(p) })
	in.CommitAll("billing", "payments", func(int32) int64 { return 5 })
	p, err := alikafka.New("ali", config.Target{Provider: "alikafka", Region: region, Instance: instance, Endpoint: srv.URL, QPS: 1000})
	if err != nil {
		t.Fatal(err)
	}
	prov := p.(*alikafka.Provider)
	prov.API.Limiter.Backoff = time.Millisecond
	prov.API.Limiter.MaxBackoff = 4 * time.Millisecond
	return &env{srv: srv, in: in, prov: prov, planner: &reset.Planner{Targets: targets{"ali": prov}, Now: func() time.Time { return base.Add(2 * time.Hour) }}}
}

func (e *env) run(t *testing.T, cmd reset.Command) *reset.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return e.runCtx(ctx, cmd)
}

func (e *env) runCtx(ctx context.Context, cmd reset.Command) *reset.Result {
	if cmd.Target == "" {
		cmd.Target = "ali"
	}
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

func (e *env) committed(t *testing.T, topic string, p int32) int64 {
	t.Helper()
	c, ok := e.in.Committed("billing")[topic][p]
	if !ok {
		t.Fatalf("no committed offset for %s/%d", topic, p)
	}
	return c
}

func (e *env) updates() []aliyuntest.Call {
	var out []aliyuntest.Call
	for _, c := range e.srv.Calls() {
		if c.Action == alikafkatest.UpdateConsumerOffset {
			out = append(out, c)
		}
	}
	return out
}

func TestLatestAllTopicsIsOneGroupWideCall(t *testing.T) {
	e := setup(t)
	r := e.run(t, reset.Command{To: "latest", Reason: "skip backlog"})
	wantStatus(t, r, reset.StatusApplied)
	if len(r.Partitions) != 5 {
		t.Fatalf("want 5 rows:\n%s", dump(r))
	}
	ups := e.updates()
	if len(ups) != 1 {
		t.Fatalf("want one UpdateConsumerOffset, got %d: %+v", len(ups), ups)
	}
	if _, ok := ups[0].Params["Topic"]; ok || ups[0].Params["Time"] != "-1" || ups[0].Params["ResetType"] != "timestamp" {
		t.Fatalf("want Topic omitted, ResetType timestamp, Time -1: %v", ups[0].Params)
	}
	for p := range int32(3) {
		if c := e.committed(t, "orders", p); c != 100 {
			t.Errorf("orders/%d at %d, want 100", p, c)
		}
	}
	// skipped: orders 90+89+88, payments 45+45
	if r.Skipped == nil || *r.Skipped != 357 {
		t.Errorf("skipped %v, want 357", r.Skipped)
	}
	for _, pr := range r.Partitions {
		if pr.Status != reset.StatusApplied || pr.After == nil || pr.Before == nil {
			t.Errorf("row %+v", pr)
		}
	}
	if len(r.Undo) == 0 {
		t.Fatalf("no undo:\n%s", dump(r))
	}
	// The undo restores the before offsets exactly.
	for _, u := range r.Undo {
		wantStatus(t, e.run(t, u), reset.StatusApplied)
	}
	if c := e.committed(t, "orders", 2); c != 12 {
		t.Errorf("after undo orders/2 at %d, want 12", c)
	}
	if c := e.committed(t, "payments", 1); c != 5 {
		t.Errorf("after undo payments/1 at %d, want 5", c)
	}
}

func TestEarliestOneTopic(t *testing.T) {
	e := setup(t)
	e.in.Trim("orders", 0, 7)
	r := e.run(t, reset.Command{Topics: []string{"orders"}, To: "earliest"})
	wantStatus(t, r, reset.StatusApplied)
	ups := e.updates()
	if len(ups) != 1 || ups[0].Params["Topic"] != "orders" || ups[0].Params["Time"] != "-2" {
		t.Fatalf("want one call for orders with Time -2: %+v", ups)
	}
	if c := e.committed(t, "orders", 0); c != 7 {
		t.Errorf("orders/0 at %d, want log start 7", c)
	}
	if c := e.committed(t, "orders", 1); c != 0 {
		t.Errorf("orders/1 at %d, want 0", c)
	}
	if c := e.committed(t, "payments", 0); c != 5 {
		t.Errorf("payments moved to %d", c)
	}
}

func TestTimeAndAgoResolveOnTheService(t *testing.T) {
	e := setup(t)
	at := base.Add(42 * time.Minute)
	r := e.run(t, reset.Command{Topics: []string{"orders", "payments"}, To: "time:" + at.Format(time.RFC3339)})
	wantStatus(t, r, reset.StatusApplied)
	ups := e.updates()
	if len(ups) != 2 {
		t.Fatalf("want one call per topic, got %d", len(ups))
	}
	for _, u := range ups {
		if u.Params["Time"] != fmt.Sprint(at.UnixMilli()) || u.Params["ResetType"] != "timestamp" {
			t.Errorf("call %v", u.Params)
		}
	}
	if c := e.committed(t, "orders", 1); c != 42 {
		t.Errorf("orders/1 at %d, want 42", c)
	}
	for _, pr := range r.Partitions {
		if pr.After == nil || *pr.After != 42 {
			t.Errorf("row after %v, want 42 read back", pr.After)
		}
	}

	// ago:90m from base+2h is base+30m; payments has 50 messages, so 30.
	e.srv.ResetCalls()
	r = e.run(t, reset.Command{To: "ago:90m"})
	wantStatus(t, r, reset.StatusApplied)
	if ups := e.updates(); len(ups) != 1 || ups[0].Params["Time"] != fmt.Sprint(base.Add(30*time.Minute).UnixMilli()) {
		t.Fatalf("want one group-wide call at base+30m: %+v", ups)
	}
	if c := e.committed(t, "payments", 1); c != 30 {
		t.Errorf("payments/1 at %d, want 30", c)
	}
	// A time after the last message means the log end.
	r = e.run(t, reset.Command{Topics: []string{"payments"}, To: "time:" + base.Add(10*time.Hour).Format(time.RFC3339)})
	wantStatus(t, r, reset.StatusApplied)
	if c := e.committed(t, "payments", 0); c != 50 {
		t.Errorf("payments/0 at %d, want log end 50", c)
	}
}

func TestOffsetIsClampedAndWrittenExactly(t *testing.T) {
	e := setup(t)
	e.in.Trim("payments", 1, 20)
	r := e.run(t, reset.Command{To: "offset:15"})
	wantStatus(t, r, reset.StatusApplied)
	ups := e.updates()
	if len(ups) != 2 {
		t.Fatalf("want one offset call per topic, got %d", len(ups))
	}
	for _, u := range ups {
		if u.Params["ResetType"] != "offset" || u.Params["Topic"] == "" || !strings.Contains(u.Params["Offsets"], `"Partition":"0"`) {
			t.Errorf("call %v", u.Params)
		}
	}
	if c := e.committed(t, "payments", 1); c != 20 {
		t.Errorf("payments/1 at %d, want 20 (clamped to the log start)", c)
	}
	if c := e.committed(t, "orders", 2); c != 15 {
		t.Errorf("orders/2 at %d, want 15", c)
	}
	if !strings.Contains(strings.Join(r.Notes, "\n"), "clamped") {
		t.Errorf("no clamping note: %v", r.Notes)
	}
	// Beyond the end is clamped to the end.
	r = e.run(t, reset.Command{Topics: []string{"orders"}, To: "offset:100000"})
	wantStatus(t, r, reset.StatusApplied)
	if c := e.committed(t, "orders", 0); c != 100 {
		t.Errorf("orders/0 at %d, want 100", c)
	}
}

func TestShiftOnAPartitionSubset(t *testing.T) {
	e := setup(t)
	r := e.run(t, reset.Command{Topics: []string{"orders"}, Partitions: []int32{0, 2}, To: "shift:-5"})
	wantStatus(t, r, reset.StatusApplied)
	ups := e.updates()
	if len(ups) != 1 || ups[0].Params["Topic"] != "orders" || ups[0].Params["ResetType"] != "offset" {
		t.Fatalf("want one offset call for orders: %+v", ups)
	}
	var offs []map[string]string
	if err := json.Unmarshal([]byte(ups[0].Params["Offsets"]), &offs); err != nil || len(offs) != 2 {
		t.Fatalf("Offsets %q: %v", ups[0].Params["Offsets"], err)
	}
	want := map[int32]int64{0: 5, 1: 11, 2: 7}
	for p, w := range want {
		if c := e.committed(t, "orders", p); c != w {
			t.Errorf("orders/%d at %d, want %d", p, c, w)
		}
	}
	if r.Skipped == nil || *r.Skipped != -10 {
		t.Errorf("skipped %v, want -10", r.Skipped)
	}
}

func TestLatestOnAPartitionSubsetWritesOffsets(t *testing.T) {
	e := setup(t)
	r := e.run(t, reset.Command{Topics: []string{"orders"}, Partitions: []int32{1}, To: "latest"})
	wantStatus(t, r, reset.StatusApplied)
	ups := e.updates()
	if len(ups) != 1 || ups[0].Params["ResetType"] != "offset" || !strings.Contains(ups[0].Params["Offsets"], `"Offset":"100"`) {
		t.Fatalf("want an offset call with 100: %+v", ups)
	}
	if c := e.committed(t, "orders", 0); c != 10 {
		t.Errorf("orders/0 moved to %d", c)
	}
	if c := e.committed(t, "orders", 1); c != 100 {
		t.Errorf("orders/1 at %d, want 100", c)
	}
}

func TestTimeOnAPartitionSubsetIsInvalid(t *testing.T) {
	e := setup(t)
	r := e.run(t, reset.Command{Topics: []string{"orders"}, Partitions: []int32{1}, To: "ago:1h"})
	wantStatus(t, r, reset.StatusInvalid)
	if r.Error != alikafka.TimeSubsetInvalid {
		t.Errorf("error %q", r.Error)
	}
	if n := len(e.updates()); n != 0 {
		t.Errorf("%d writes", n)
	}
	if c := e.committed(t, "orders", 1); c != 11 {
		t.Errorf("orders/1 moved to %d", c)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	for _, to := range []string{"latest", "earliest", "offset:3", "shift:+4", "time:2026-05-01T08:30:00+08:00", "ago:1h"} {
		t.Run(to, func(t *testing.T) {
			e := setup(t)
			before := e.in.Committed("billing")
			r := e.run(t, reset.Command{To: to, DryRun: true})
			wantStatus(t, r, reset.StatusPlanned)
			if n := len(e.updates()); n != 0 {
				t.Fatalf("%d writes in a dry run", n)
			}
			after := e.in.Committed("billing")
			if fmt.Sprint(before) != fmt.Sprint(after) {
				t.Fatalf("state changed: %v → %v", before, after)
			}
			for _, pr := range r.Partitions {
				if pr.Status != reset.StatusPlanned && pr.Status != reset.StatusUnchanged {
					t.Errorf("row %+v", pr)
				}
			}
		})
	}
}

func TestOnlineConsumersAreRefused(t *testing.T) {
	e := setup(t)
	e.in.SetOnline("billing", "consumer-1")
	before := e.in.Committed("billing")
	for _, cmd := range []reset.Command{{To: "latest"}, {Topics: []string{"orders", "payments"}, To: "offset:1"}} {
		r := e.run(t, cmd)
		wantStatus(t, r, reset.StatusRefused)
		if r.RefusedBy != "guard" || !strings.Contains(r.Error, "online") || !strings.Contains(r.Error, "stop the consumers") {
			t.Errorf("refusal %q by %q", r.Error, r.RefusedBy)
		}
	}
	if fmt.Sprint(before) != fmt.Sprint(e.in.Committed("billing")) {
		t.Fatal("a refused reset changed offsets")
	}
	// Only the first topic was tried: a refusal stops the rest.
	if n := len(e.updates()); n != 2 {
		t.Errorf("%d UpdateConsumerOffset calls, want 2 (one per command)", n)
	}
}

func TestThrottledThreeTimesThenApplied(t *testing.T) {
	e := setup(t)
	e.srv.Inject(aliyuntest.Fault{Action: alikafkatest.UpdateConsumerOffset, Kind: aliyuntest.Throttle, Times: 3})
	r := e.run(t, reset.Command{To: "latest"})
	wantStatus(t, r, reset.StatusApplied)
	if n := len(e.updates()); n != 4 {
		t.Errorf("%d UpdateConsumerOffset calls, want 4", n)
	}
	if !strings.Contains(strings.Join(r.Notes, "\n"), "succeeded after 3 retries (Throttling.User)") {
		t.Errorf("retries not in notes: %v", r.Notes)
	}
	if c := e.committed(t, "orders", 0); c != 100 {
		t.Errorf("orders/0 at %d", c)
	}
}

func TestThrottledPastTheDeadlineFails(t *testing.T) {
	e := setup(t)
	e.prov.API.Limiter.Backoff = 40 * time.Millisecond
	e.prov.API.Limiter.MaxBackoff = 80 * time.Millisecond
	e.prov.API.Limiter.MaxAttempts = 1000
	e.srv.Inject(aliyuntest.Fault{Action: alikafkatest.GetConsumerProgress, Kind: aliyuntest.Throttle, Times: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	r := e.runCtx(ctx, reset.Command{To: "latest"})
	wantStatus(t, r, reset.StatusFailed)
	if !strings.Contains(r.Error, "Throttling.User") || !strings.Contains(r.Error, "deadline") {
		t.Errorf("error %q", r.Error)
	}
	if n := e.srv.Count(alikafkatest.GetConsumerProgress); n < 2 {
		t.Errorf("only %d attempts", n)
	}
}

func TestServerErrorsAndUnreadableAnswers(t *testing.T) {
	t.Run("5xx retried", func(t *testing.T) {
		e := setup(t)
		e.srv.Inject(aliyuntest.Fault{Action: alikafkatest.GetTopicStatus, Kind: aliyuntest.Unavailable, Times: 2})
		r := e.run(t, reset.Command{To: "latest", DryRun: true})
		wantStatus(t, r, reset.StatusPlanned)
		if !strings.Contains(strings.Join(r.Notes, "\n"), "ServiceUnavailable") {
			t.Errorf("notes %v", r.Notes)
		}
	})
	t.Run("numeric code does not crash", func(t *testing.T) {
		e := setup(t)
		e.srv.Inject(aliyuntest.Fault{Action: alikafkatest.GetConsumerProgress, Kind: aliyuntest.NumericCode, Times: 1})
		r := e.run(t, reset.Command{To: "latest", DryRun: true})
		wantStatus(t, r, reset.StatusPlanned)
		if !strings.Contains(strings.Join(r.Notes, "\n"), "retries (500)") {
			t.Errorf("notes %v", r.Notes)
		}
	})
	t.Run("malformed JSON", func(t *testing.T) {
		e := setup(t)
		e.srv.Inject(aliyuntest.Fault{Action: alikafkatest.GetConsumerProgress, Kind: aliyuntest.Malformed, Times: 1})
		r := e.run(t, reset.Command{To: "latest"})
		wantStatus(t, r, reset.StatusFailed)
		if !strings.Contains(r.Error, "not the JSON") {
			t.Errorf("error %q", r.Error)
		}
	})
	t.Run("slow answer times out and is retried", func(t *testing.T) {
		e := setup(t)
		e.prov.API.Timeout = 150 * time.Millisecond
		e.srv.Inject(aliyuntest.Fault{Action: alikafkatest.GetConsumerProgress, Kind: aliyuntest.Slow, Delay: 3 * time.Second, Times: 1})
		r := e.run(t, reset.Command{To: "latest", DryRun: true})
		wantStatus(t, r, reset.StatusPlanned)
		if !strings.Contains(strings.Join(r.Notes, "\n"), "(timeout)") {
			t.Errorf("notes %v", r.Notes)
		}
	})
	t.Run("one topic fails, the other is applied", func(t *testing.T) {
		e := setup(t)
		e.srv.Inject(aliyuntest.Fault{Action: alikafkatest.UpdateConsumerOffset, Kind: aliyuntest.Unavailable, Times: -1, Match: map[string]string{"Topic": "payments"}})
		r := e.run(t, reset.Command{Topics: []string{"orders", "payments"}, To: "latest"})
		wantStatus(t, r, reset.StatusPartial)
		for _, pr := range r.Partitions {
			want := reset.StatusApplied
			if pr.Topic == "payments" {
				want = reset.StatusError
			}
			if pr.Status != want {
				t.Errorf("%s/%d is %s, want %s (%s)", pr.Topic, pr.Partition, pr.Status, want, pr.Error)
			}
		}
		if c := e.committed(t, "orders", 0); c != 100 {
			t.Errorf("orders/0 at %d", c)
		}
		if c := e.committed(t, "payments", 0); c != 5 {
			t.Errorf("payments/0 moved to %d", c)
		}
	})
}

func TestCredentials(t *testing.T) {
	t.Run("wrong secret", func(t *testing.T) {
		e := setup(t)
		t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "not-the-secret")
		r := e.run(t, reset.Command{To: "latest"})
		wantStatus(t, r, reset.StatusFailed)
		if !strings.Contains(r.Error, "authentication failed") || !strings.Contains(r.Error, "SignatureDoesNotMatch") {
			t.Errorf("error %q", r.Error)
		}
		if strings.Contains(r.Error, "not-the-secret") {
			t.Error("the secret leaked into the error")
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		e := setup(t)
		t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-nobody")
		r := e.run(t, reset.Command{To: "latest"})
		wantStatus(t, r, reset.StatusFailed)
		if !strings.Contains(r.Error, "authentication failed") || !strings.Contains(r.Error, "InvalidAccessKeyId.NotFound") {
			t.Errorf("error %q", r.Error)
		}
		if n := e.srv.Count(""); n != 1 {
			t.Errorf("authentication failures must not be retried: %d calls", n)
		}
	})
	t.Run("RAM permission missing", func(t *testing.T) {
		e := setup(t)
		e.srv.Inject(aliyuntest.Fault{Action: alikafkatest.UpdateConsumerOffset, Kind: aliyuntest.Forbidden})
		r := e.run(t, reset.Command{To: "latest"})
		wantStatus(t, r, reset.StatusFailed)
		if !strings.Contains(r.Error, "grant it alikafka:UpdateGroup") || !strings.Contains(r.Error, "Forbidden.RAM") {
			t.Errorf("error %q", r.Error)
		}
		if n := len(e.updates()); n != 1 {
			t.Errorf("a 403 was retried: %d calls", n)
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		e := setup(t)
		t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "")
		r := e.run(t, reset.Command{To: "latest"})
		wantStatus(t, r, reset.StatusFailed)
		if !strings.Contains(r.Error, "ALIBABA_CLOUD_ACCESS_KEY_ID") {
			t.Errorf("error %q", r.Error)
		}
	})
	t.Run("per-request STS credentials win over the environment", func(t *testing.T) {
		e := setup(t)
		e.srv.AddKey(aliyuntest.Key{ID: "STS.role", Secret: "sts-secret", Token: "sts-token"})
		t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "wrong")
		ctx := credentials.WithAlibaba(context.Background(), credentials.Alibaba{AccessKeyID: "STS.role", AccessKeySecret: "sts-secret", SecurityToken: "sts-token"})
		r := e.runCtx(ctx, reset.Command{To: "latest", DryRun: true})
		wantStatus(t, r, reset.StatusPlanned)
		ctx = credentials.WithAlibaba(context.Background(), credentials.Alibaba{AccessKeyID: "STS.role", AccessKeySecret: "sts-secret"})
		r = e.runCtx(ctx, reset.Command{To: "latest", DryRun: true})
		wantStatus(t, r, reset.StatusFailed)
		if !strings.Contains(r.Error, "authentication failed") {
			t.Errorf("error %q", r.Error)
		}
	})
}

func TestTwoThousandPartitionsPlanInTwoCalls(t *testing.T) {
	e := setup(t)
	e.in.AddTopic("big", 2000)
	e.in.Produce("big", 5, func(_ int32, i int) time.Time { return base.Add(time.Duration(i) * time.Minute) })
	e.in.CommitAll("wide", "big", func(int32) int64 { return 1 })
	e.srv.ResetCalls()
	r := e.run(t, reset.Command{Group: "wide", To: "shift:+2", DryRun: true})
	wantStatus(t, r, reset.StatusPlanned)
	if len(r.Partitions) != 2000 {
		t.Fatalf("%d rows", len(r.Partitions))
	}
	if n := e.srv.Count(""); n != 2 {
		t.Fatalf("planning took %d calls, want 2 (GetConsumerProgress, GetTopicStatus)", n)
	}
	e.srv.ResetCalls()
	r = e.run(t, reset.Command{Group: "wide", To: "shift:+2"})
	wantStatus(t, r, reset.StatusApplied)
	want := (2000 + alikafka.MaxOffsetsPerCall - 1) / alikafka.MaxOffsetsPerCall
	if n := e.srv.Count(alikafkatest.UpdateConsumerOffset); n != want {
		t.Errorf("%d writes, want %d", n, want)
	}
	if n := e.srv.Count(""); n != want+4 {
		t.Errorf("%d calls in all, want %d (plan 2, write %d, read back 2)", n, want+4, want)
	}
	if c := e.in.Committed("wide")["big"][1999]; c != 3 {
		t.Errorf("big/1999 at %d, want 3", c)
	}
}

func TestUnknownNames(t *testing.T) {
	e := setup(t)
	r := e.run(t, reset.Command{Group: "nobody", To: "latest"})
	wantStatus(t, r, reset.StatusInvalid)
	if !strings.Contains(r.Error, `group "nobody" was not found`) {
		t.Errorf("error %q", r.Error)
	}
	r = e.run(t, reset.Command{Topics: []string{"nothere"}, To: "latest"})
	wantStatus(t, r, reset.StatusInvalid)
	if !strings.Contains(r.Error, `topic "nothere" does not exist`) {
		t.Errorf("error %q", r.Error)
	}
	// A topic the group never committed on plans with unknown before offsets.
	r = e.run(t, reset.Command{Topics: []string{"unused"}, To: "earliest", DryRun: true})
	wantStatus(t, r, reset.StatusPlanned)
	if r.Partitions[0].Before != nil {
		t.Errorf("before %v", *r.Partitions[0].Before)
	}
}

func TestNewChecksTheTarget(t *testing.T) {
	cases := []struct {
		t    config.Target
		want string
	}{
		{config.Target{Instance: "i"}, "region is missing"},
		{config.Target{Region: "cn-hangzhou"}, "instance is missing"},
		{config.Target{Region: "cn-hangzhou", Instance: "i", Endpoint: "ftp://x"}, "scheme"},
		{config.Target{Region: "cn-hangzhou", Instance: "i", Endpoint: "https://x/path"}, "without path"},
		{config.Target{Region: "cn-hangzhou", Instance: "i", Brokers: []string{"a:9092"}}, "brokers"},
	}
	for _, c := range cases {
		if _, err := alikafka.New("x", c.t); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.t, err, c.want)
		}
	}
	for ep, want := range map[string]string{
		"":                            "https://alikafka.cn-hangzhou.aliyuncs.com",
		"alikafka-vpc.example.com":    "https://alikafka-vpc.example.com",
		"https://gw.example.com:8443": "https://gw.example.com:8443",
		"http://127.0.0.1:9000":       "http://127.0.0.1:9000",
	} {
		p, err := alikafka.New("x", config.Target{Region: "cn-hangzhou", Instance: "i", Endpoint: ep})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.(*alikafka.Provider).API.Endpoint.String(); got != want {
			t.Errorf("endpoint %q → %s, want %s", ep, got, want)
		}
	}
}
