package alikafka_test

import (
	"context"
	"encoding/json"
	"fmt"
	"offsetreset/shared/reset/resettest"
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
var base = aliyuntest.Base

type env struct {
	*aliyuntest.Harness
	srv  *alikafkatest.Server
	in   *alikafkatest.Instance
	prov *alikafka.Provider
}

// setup: topic orders (3 partitions) and payments (2), 100 and 50 messages per partition, one a
// minute from base; group billing committed at 10+p on orders and 5 on payments.
func setup(t *testing.T) *env {
	t.Helper()
	srv := alikafkatest.Start()
	p := aliyuntest.Wire(t, srv.Server, aliyuntest.Key{ID: ak, Secret: sk}, alikafka.New, "ali", config.Target{Provider: "alikafka", Region: region, Instance: instance})
	e := &env{Harness: aliyuntest.NewHarness(srv.Server, "ali", p, "billing"), srv: srv, in: srv.Instance(instance, region), prov: p.(*alikafka.Provider)}
	aliyuntest.FastRetries(e.prov.API.Limiter)
	minutes := func(_ int32, i int) time.Time { return aliyuntest.EveryMinute(i) }
	e.in.AddTopic("orders", 3)
	e.in.Produce("orders", 100, minutes)
	e.in.AddTopic("payments", 2)
	e.in.Produce("payments", 50, minutes)
	e.in.AddTopic("unused", 1)
	e.in.CommitAll("billing", "orders", func(p int32) int64 { return 10 + int64(p) })
	e.in.CommitAll("billing", "payments", func(int32) int64 { return 5 })
	return e
}

// wantCommitted checks group billing's committed offsets on partitions of a topic.
func (e *env) wantCommitted(t *testing.T, topic string, want map[int32]int64) {
	t.Helper()
	got := e.in.Committed("billing")[topic]
	for p, w := range want {
		c, ok := got[p]
		if !ok {
			t.Fatalf("no committed offset for %s/%d", topic, p)
		}
		if c != w {
			t.Errorf("%s/%d at %d, want %d", topic, p, c, w)
		}
	}
}

func (e *env) updates() []aliyuntest.Call { return e.srv.CallsOf(alikafkatest.UpdateConsumerOffset) }

func TestLatestAllTopicsIsOneGroupWideCall(t *testing.T) {
	e := setup(t)
	r := e.Run(reset.Command{To: "latest", Reason: "skip backlog"})
	resettest.WantStatus(t, r, reset.StatusApplied)
	if len(r.Partitions) != 5 {
		t.Fatalf("want 5 rows:\n%s", resettest.Dump(r))
	}
	ups := e.updates()
	if len(ups) != 1 {
		t.Fatalf("want one UpdateConsumerOffset, got %d: %+v", len(ups), ups)
	}
	if _, ok := ups[0].Params["Topic"]; ok || ups[0].Params["Time"] != "-1" || ups[0].Params["ResetType"] != "timestamp" {
		t.Fatalf("want Topic omitted, ResetType timestamp, Time -1: %v", ups[0].Params)
	}
	e.wantCommitted(t, "orders", map[int32]int64{0: 100, 1: 100, 2: 100})
	// skipped: orders 90+89+88, payments 45+45
	if r.Skipped == nil || *r.Skipped != 357 {
		t.Errorf("skipped %v, want 357", r.Skipped)
	}
	for _, pr := range r.Partitions {
		if pr.Status != reset.StatusApplied || pr.After == nil || pr.Before == nil {
			t.Errorf("row %+v", pr)
		}
	}
	if r.Undo == nil {
		t.Fatalf("no undo:\n%s", resettest.Dump(r))
	}
	// The undo, one command, restores the before offsets exactly.
	resettest.WantStatus(t, e.Run(*r.Undo), reset.StatusApplied)
	e.wantCommitted(t, "orders", map[int32]int64{2: 12})
	e.wantCommitted(t, "payments", map[int32]int64{1: 5})
}

func TestEarliestOneTopic(t *testing.T) {
	e := setup(t)
	e.in.Trim("orders", 0, 7)
	r := e.Run(reset.Command{Topics: []string{"orders"}, To: "earliest"})
	resettest.WantStatus(t, r, reset.StatusApplied)
	ups := e.updates()
	if len(ups) != 1 || ups[0].Params["Topic"] != "orders" || ups[0].Params["Time"] != "-2" {
		t.Fatalf("want one call for orders with Time -2: %+v", ups)
	}
	e.wantCommitted(t, "orders", map[int32]int64{0: 7, 1: 0}) // 0: the log start
	e.wantCommitted(t, "payments", map[int32]int64{0: 5})
}

func TestTimeAndAgoResolveOnTheService(t *testing.T) {
	e := setup(t)
	at := base.Add(42 * time.Minute)
	r := e.Run(reset.Command{Topics: []string{"orders", "payments"}, To: "time:" + at.Format(time.RFC3339)})
	resettest.WantStatus(t, r, reset.StatusApplied)
	ups := e.updates()
	if len(ups) != 2 {
		t.Fatalf("want one call per topic, got %d", len(ups))
	}
	for _, u := range ups {
		if u.Params["Time"] != fmt.Sprint(at.UnixMilli()) || u.Params["ResetType"] != "timestamp" {
			t.Errorf("call %v", u.Params)
		}
	}
	e.wantCommitted(t, "orders", map[int32]int64{1: 42})
	for _, pr := range r.Partitions {
		if pr.After == nil || *pr.After != 42 {
			t.Errorf("row after %v, want 42 read back", pr.After)
		}
	}

	// ago:90m from base+2h is base+30m; payments has 50 messages, so 30.
	e.srv.ResetCalls()
	r = e.Run(reset.Command{To: "ago:90m"})
	resettest.WantStatus(t, r, reset.StatusApplied)
	if ups := e.updates(); len(ups) != 1 || ups[0].Params["Time"] != fmt.Sprint(base.Add(30*time.Minute).UnixMilli()) {
		t.Fatalf("want one group-wide call at base+30m: %+v", ups)
	}
	e.wantCommitted(t, "payments", map[int32]int64{1: 30})
	// A time after the last message means the log end.
	r = e.Run(reset.Command{Topics: []string{"payments"}, To: "time:" + base.Add(10*time.Hour).Format(time.RFC3339)})
	resettest.WantStatus(t, r, reset.StatusApplied)
	e.wantCommitted(t, "payments", map[int32]int64{0: 50})
}

func TestOffsetIsClampedAndWrittenExactly(t *testing.T) {
	e := setup(t)
	e.in.Trim("payments", 1, 20)
	r := e.Run(reset.Command{To: "offset:15"})
	resettest.WantStatus(t, r, reset.StatusApplied)
	ups := e.updates()
	if len(ups) != 2 {
		t.Fatalf("want one offset call per topic, got %d", len(ups))
	}
	for _, u := range ups {
		if u.Params["ResetType"] != "offset" || u.Params["Topic"] == "" || !strings.Contains(u.Params["Offsets"], `"Partition":"0"`) {
			t.Errorf("call %v", u.Params)
		}
	}
	e.wantCommitted(t, "payments", map[int32]int64{1: 20}) // clamped to the log start
	e.wantCommitted(t, "orders", map[int32]int64{2: 15})
	resettest.WantNote(t, r, "clamped")
	// Beyond the end is clamped to the end.
	r = e.Run(reset.Command{Topics: []string{"orders"}, To: "offset:100000"})
	resettest.WantStatus(t, r, reset.StatusApplied)
	e.wantCommitted(t, "orders", map[int32]int64{0: 100})
}

func TestShiftOnAPartitionSubset(t *testing.T) {
	e := setup(t)
	r := e.Run(reset.Command{Topics: []string{"orders"}, Partitions: []int32{0, 2}, To: "shift:-5"})
	resettest.WantStatus(t, r, reset.StatusApplied)
	ups := e.updates()
	if len(ups) != 1 || ups[0].Params["Topic"] != "orders" || ups[0].Params["ResetType"] != "offset" {
		t.Fatalf("want one offset call for orders: %+v", ups)
	}
	var offs []map[string]string
	if err := json.Unmarshal([]byte(ups[0].Params["Offsets"]), &offs); err != nil || len(offs) != 2 {
		t.Fatalf("Offsets %q: %v", ups[0].Params["Offsets"], err)
	}
	e.wantCommitted(t, "orders", map[int32]int64{0: 5, 1: 11, 2: 7})
	if r.Skipped == nil || *r.Skipped != -10 {
		t.Errorf("skipped %v, want -10", r.Skipped)
	}
}

func TestLatestOnAPartitionSubsetWritesOffsets(t *testing.T) {
	e := setup(t)
	r := e.Run(reset.Command{Topics: []string{"orders"}, Partitions: []int32{1}, To: "latest"})
	resettest.WantStatus(t, r, reset.StatusApplied)
	ups := e.updates()
	if len(ups) != 1 || ups[0].Params["ResetType"] != "offset" || !strings.Contains(ups[0].Params["Offsets"], `"Offset":"100"`) {
		t.Fatalf("want an offset call with 100: %+v", ups)
	}
	e.wantCommitted(t, "orders", map[int32]int64{0: 10, 1: 100})
}

func TestTimeOnAPartitionSubsetIsInvalid(t *testing.T) {
	e := setup(t)
	r := e.Run(reset.Command{Topics: []string{"orders"}, Partitions: []int32{1}, To: "ago:1h"})
	resettest.WantStatus(t, r, reset.StatusInvalid)
	if r.Error != alikafka.TimeSubsetInvalid {
		t.Errorf("error %q", r.Error)
	}
	e.WantCalls(t, alikafkatest.UpdateConsumerOffset, 0)
	e.wantCommitted(t, "orders", map[int32]int64{1: 11})
}

func TestDryRunChangesNothing(t *testing.T) {
	for _, to := range []string{"latest", "earliest", "offset:3", "shift:+4", "time:2026-05-01T08:30:00+08:00", "ago:1h"} {
		t.Run(to, func(t *testing.T) {
			e := setup(t)
			r := e.WantDryRun(t, reset.Command{To: to}, func() any { return e.in.Committed("billing") })
			e.WantCalls(t, alikafkatest.UpdateConsumerOffset, 0)
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
		r := e.Run(cmd)
		resettest.WantError(t, r, reset.StatusRefused, "online", "stop the consumers")
		if r.RefusedBy != "guard" {
			t.Errorf("refusal %q by %q", r.Error, r.RefusedBy)
		}
	}
	if fmt.Sprint(before) != fmt.Sprint(e.in.Committed("billing")) {
		t.Fatal("a refused reset changed offsets")
	}
	// Only the first topic was tried: a refusal stops the rest (one call per command).
	e.WantCalls(t, alikafkatest.UpdateConsumerOffset, 2)
}

func TestThrottledThreeTimesThenApplied(t *testing.T) {
	e := setup(t)
	e.ThrottledThenApplied(t, alikafkatest.UpdateConsumerOffset, 3, reset.Command{To: "latest"})
	e.wantCommitted(t, "orders", map[int32]int64{0: 100})
}

func TestThrottledPastTheDeadlineFails(t *testing.T) {
	e := setup(t)
	r := e.ThrottledPastDeadline(t, e.prov.API.Limiter, alikafkatest.GetConsumerProgress, reset.Command{To: "latest"})
	resettest.WantError(t, r, reset.StatusFailed, "deadline")
	if n := e.srv.Count(alikafkatest.GetConsumerProgress); n < 2 {
		t.Errorf("only %d attempts", n)
	}
}

func TestServerErrorsAndUnreadableAnswers(t *testing.T) {
	for _, c := range []struct {
		name  string
		fault aliyuntest.Fault
		// timeout, when set, bounds one attempt.
		timeout time.Duration
		dryRun  bool
		status  reset.Status
		// note is in the result's notes; error in its error.
		note  string
		error []string
	}{
		{name: "5xx retried", fault: aliyuntest.Fault{Action: alikafkatest.GetTopicStatus, Kind: aliyuntest.Unavailable, Times: 2},
			dryRun: true, status: reset.StatusPlanned, note: "ServiceUnavailable"},
		{name: "numeric code does not crash", fault: aliyuntest.Fault{Action: alikafkatest.GetConsumerProgress, Kind: aliyuntest.NumericCode, Times: 1},
			dryRun: true, status: reset.StatusPlanned, note: "retries (500)"},
		{name: "malformed JSON", fault: aliyuntest.Fault{Action: alikafkatest.GetConsumerProgress, Kind: aliyuntest.Malformed, Times: 1},
			status: reset.StatusFailed, error: []string{"not the JSON"}},
		{name: "slow answer times out and is retried", fault: aliyuntest.Fault{Action: alikafkatest.GetConsumerProgress, Kind: aliyuntest.Slow, Delay: 3 * time.Second, Times: 1},
			timeout: 150 * time.Millisecond, dryRun: true, status: reset.StatusPlanned, note: "(timeout)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := setup(t)
			if c.timeout != 0 {
				e.prov.API.Timeout = c.timeout
			}
			e.srv.Inject(c.fault)
			r := e.Run(reset.Command{To: "latest", DryRun: c.dryRun})
			resettest.WantError(t, r, c.status, c.error...)
			if c.note != "" {
				resettest.WantNote(t, r, c.note)
			}
		})
	}
	t.Run("one topic fails, the other is applied", func(t *testing.T) {
		e := setup(t)
		e.srv.Inject(aliyuntest.Fault{Action: alikafkatest.UpdateConsumerOffset, Kind: aliyuntest.Unavailable, Times: -1, Match: map[string]string{"Topic": "payments"}})
		r := e.Run(reset.Command{Topics: []string{"orders", "payments"}, To: "latest"})
		resettest.WantStatus(t, r, reset.StatusPartial)
		for _, pr := range r.Partitions {
			want := reset.StatusApplied
			if pr.Topic == "payments" {
				want = reset.StatusUnchanged // the write failed and the read-back proves nothing moved
			}
			if pr.Status != want {
				t.Errorf("%s/%d is %s, want %s (%s)", pr.Topic, pr.Partition, pr.Status, want, pr.Error)
			}
		}
		e.wantCommitted(t, "orders", map[int32]int64{0: 100})
		e.wantCommitted(t, "payments", map[int32]int64{0: 5})
	})
}

func TestCredentials(t *testing.T) {
	for _, c := range []struct {
		name string
		// env overrides the test's credentials in the environment.
		env   map[string]string
		fault *aliyuntest.Fault
		error []string
		check func(t *testing.T, e *env, r *reset.Result)
	}{
		{name: "wrong secret", env: map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "not-the-secret"},
			error: []string{"authentication failed", "SignatureDoesNotMatch"},
			check: func(t *testing.T, _ *env, r *reset.Result) {
				if strings.Contains(r.Error, "not-the-secret") {
					t.Error("the secret leaked into the error")
				}
			}},
		{name: "unknown key", env: map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI-nobody"},
			error: []string{"authentication failed", "InvalidAccessKeyId.NotFound"},
			// Authentication failures are not retried.
			check: func(t *testing.T, e *env, _ *reset.Result) { e.WantCalls(t, "", 1) }},
		{name: "RAM permission missing", fault: &aliyuntest.Fault{Action: alikafkatest.UpdateConsumerOffset, Kind: aliyuntest.Forbidden},
			error: []string{"grant it alikafka:UpdateGroup", "Forbidden.RAM"},
			// A 403 is not retried.
			check: func(t *testing.T, e *env, _ *reset.Result) { e.WantCalls(t, alikafkatest.UpdateConsumerOffset, 1) }},
		{name: "no credentials", env: map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": ""},
			error: []string{"ALIBABA_CLOUD_ACCESS_KEY_ID"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := setup(t)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			if c.fault != nil {
				e.srv.Inject(*c.fault)
			}
			r := e.Run(reset.Command{To: "latest"})
			resettest.WantError(t, r, reset.StatusFailed, c.error...)
			if c.check != nil {
				c.check(t, e, r)
			}
		})
	}
	t.Run("per-request STS credentials win over the environment", func(t *testing.T) {
		e := setup(t)
		e.srv.AddKey(aliyuntest.Key{ID: "STS.role", Secret: "sts-secret", Token: "sts-token"})
		t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "wrong")
		ctx := credentials.WithAlibaba(context.Background(), credentials.Alibaba{AccessKeyID: "STS.role", AccessKeySecret: "sts-secret", SecurityToken: "sts-token"})
		r := e.RunCtx(ctx, reset.Command{To: "latest", DryRun: true})
		resettest.WantStatus(t, r, reset.StatusPlanned)
		ctx = credentials.WithAlibaba(context.Background(), credentials.Alibaba{AccessKeyID: "STS.role", AccessKeySecret: "sts-secret"})
		r = e.RunCtx(ctx, reset.Command{To: "latest", DryRun: true})
		resettest.WantError(t, r, reset.StatusFailed, "authentication failed")
	})
}

func TestTwoThousandPartitionsPlanInTwoCalls(t *testing.T) {
	e := setup(t)
	e.in.AddTopic("big", 2000)
	e.in.Produce("big", 5, func(_ int32, i int) time.Time { return aliyuntest.EveryMinute(i) })
	e.in.CommitAll("wide", "big", func(int32) int64 { return 1 })
	r := e.WantPlanCalls(t, reset.Command{Group: "wide", To: "shift:+2"}, 2) // GetConsumerProgress, GetTopicStatus
	if len(r.Partitions) != 2000 {
		t.Fatalf("%d rows", len(r.Partitions))
	}
	e.srv.ResetCalls()
	r = e.Run(reset.Command{Group: "wide", To: "shift:+2"})
	resettest.WantStatus(t, r, reset.StatusApplied)
	writes := (2000 + alikafka.MaxOffsetsPerCall - 1) / alikafka.MaxOffsetsPerCall
	e.WantCalls(t, alikafkatest.UpdateConsumerOffset, writes)
	e.WantCalls(t, "", writes+4) // plan 2, write, read back 2
	if c := e.in.Committed("wide")["big"][1999]; c != 3 {
		t.Errorf("big/1999 at %d, want 3", c)
	}
}

func TestUnknownNames(t *testing.T) {
	e := setup(t)
	resettest.WantError(t, e.Run(reset.Command{Group: "nobody", To: "latest"}), reset.StatusInvalid, `group "nobody" was not found`)
	resettest.WantError(t, e.Run(reset.Command{Topics: []string{"nothere"}, To: "latest"}), reset.StatusInvalid, `topic "nothere" does not exist`)
	// A topic the group never committed on plans with unknown before offsets.
	r := e.Run(reset.Command{Topics: []string{"unused"}, To: "earliest", DryRun: true})
	resettest.WantStatus(t, r, reset.StatusPlanned)
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
