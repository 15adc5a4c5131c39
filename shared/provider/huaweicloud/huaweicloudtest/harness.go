package huaweicloudtest

import (
	"context"
	"offsetreset/shared/reset/resettest"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	sdkconfig "github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"

	"offsetreset/shared/config"
	"offsetreset/shared/reset"
	"offsetreset/shared/throttle"
)

// UseKey registers a permanent access key on s and puts it in the HUAWEICLOUD_SDK_* environment
// for the test, where the providers find credentials.
func UseKey(t testing.TB, s *Server, ak, sk string) {
	t.Helper()
	s.AddKey(ak, sk)
	t.Setenv("HUAWEICLOUD_SDK_AK", ak)
	t.Setenv("HUAWEICLOUD_SDK_SK", sk)
	t.Setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", "")
}

// SDKClient registers a permanent access key on s and returns the SDK's HTTP client signing with
// it for project, for emulator tests that call the service's SDK directly (wrap it with
// kafka.NewKafkaClient or rocketmq.NewRocketMQClient); s is closed when the test ends.
func SDKClient(t testing.TB, s *Server, project string) *core.HcHttpClient {
	t.Helper()
	t.Cleanup(s.Close)
	s.AddKey("SDKTESTAK", "sdk-test-secret")
	auth, err := basic.NewCredentialsBuilder().WithAk("SDKTESTAK").WithSk("sdk-test-secret").WithProjectId(project).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := core.NewHcHttpClientBuilder().WithEndpoints([]string{s.URL}).WithCredential(auth).
		WithHttpConfig(sdkconfig.DefaultHttpConfig().WithUserAgent("emulator-test")).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	return hc
}

// Wire builds the provider under test, target name, with newProvider against s (its URL as the
// endpoint, then mod if not nil) after UseKey, and closes s when the test ends.
func Wire(t testing.TB, s *Server, ak, sk string, newProvider func(string, config.Target) (reset.Provider, error), name string, target config.Target, mod func(*config.Target)) reset.Provider {
	t.Helper()
	t.Cleanup(s.Close)
	UseKey(t, s, ak, sk)
	target.Endpoint = s.URL
	if mod != nil {
		mod(&target)
	}
	p, err := newProvider(name, target)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// FastRetries shortens a provider's retry waits to milliseconds, so fault tests stay quick.
func FastRetries(l *throttle.Limiter) { l.Backoff, l.MaxBackoff = time.Millisecond, 5*time.Millisecond }

// Harness runs commands through a planner whose only target is the provider under test.
type Harness struct {
	Server  *Server
	Planner *reset.Planner
	// Target fills in commands that leave it empty.
	Target string
}

// NewHarness wires p, built against s, as target name into a planner with clock now (time.Now
// when nil).
func NewHarness(s *Server, name string, p reset.Provider, now func() time.Time) *Harness {
	return &Harness{Server: s, Planner: &reset.Planner{Targets: resettest.Only(name, p), Now: now}, Target: name}
}

// Run runs cmd within 20 seconds.
func (h *Harness) Run(cmd reset.Command) *reset.Result {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return h.RunWith(ctx, cmd, reset.Options{})
}

// RunWith runs cmd under ctx with opts, for tests of deadlines and pinned plans.
func (h *Harness) RunWith(ctx context.Context, cmd reset.Command, opts reset.Options) *reset.Result {
	if cmd.Target == "" {
		cmd.Target = h.Target
	}
	return h.Planner.Run(ctx, cmd, opts)
}

// ThrottledThenApplied answers the first n calls of op with APIG's throttling, runs cmd and
// checks that it was applied, with n+1 calls of op.
func (h *Harness) ThrottledThenApplied(t testing.TB, op string, n int, cmd reset.Command) *reset.Result {
	t.Helper()
	h.Server.Throttle(op, n)
	res := h.Run(cmd)
	resettest.WantStatus(t, res, reset.StatusApplied)
	if calls := h.Server.Calls(op); len(calls) != n+1 {
		t.Errorf("%d %s calls, want %d: %+v", len(calls), op, n+1, calls)
	}
	return res
}

// ThrottledPastDeadline makes the provider (its limiter l) retry until the deadline, throttles
// every call of op and runs cmd within 400 ms, checking it failed naming APIG's throttling.
func (h *Harness) ThrottledPastDeadline(t testing.TB, l *throttle.Limiter, op string, cmd reset.Command) *reset.Result {
	t.Helper()
	l.Backoff, l.MaxBackoff, l.MaxAttempts = 20*time.Millisecond, 100*time.Millisecond, 1000
	h.Server.Throttle(op, -1)
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	res := h.RunWith(ctx, cmd, reset.Options{})
	resettest.WantError(t, res, reset.StatusFailed, "APIG.0308")
	return res
}

// Bodies decodes the bodies of the recorded calls of op, oldest first, failing the test on one
// that decode cannot read.
func Bodies[B any](t testing.TB, s *Server, op string, decode func([]byte) (B, error)) []B {
	t.Helper()
	var out []B
	for _, c := range s.Calls(op) {
		b, err := decode(c.Body)
		if err != nil {
			t.Fatalf("%s body %q: %v", op, c.Body, err)
		}
		out = append(out, b)
	}
	return out
}
