package aliyuntest

import (
	"cmp"
	"context"
	"fmt"
	"offsetreset/shared/reset/resettest"
	"testing"
	"time"

	"offsetreset/shared/config"
	"offsetreset/shared/reset"
	"offsetreset/shared/throttle"
)

// Base is when the tests' first message was stored; their planners' clock reads two hours later.
var Base = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

// EveryMinute is the store time of message i in a test log written one message a minute from Base.
func EveryMinute(i int) time.Time { return Base.Add(time.Duration(i) * time.Minute) }

// UseKey registers the AccessKey on s and puts it in the ALIBABA_CLOUD_* environment for the
// test, where the providers find credentials when a request carries none.
func UseKey(t testing.TB, s *Server, key Key) {
	t.Helper()
	s.AddKey(key)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", key.ID)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", key.Secret)
	t.Setenv("ALIBABA_CLOUD_SECURITY_TOKEN", key.Token)
}

// SDKClient registers the AccessKey k/s on s and returns a client of a service's generated SDK
// package for region, made with its NewClientWithAccessKey, for emulator tests that call the
// service's SDK directly (their requests name s with requests.HTTP and s.URL's host).
func SDKClient[C any](t testing.TB, s *Server, region string, newClient func(region, id, secret string) (C, error)) C {
	t.Helper()
	s.AddKey(Key{ID: "k", Secret: "s"})
	c, err := newClient(region, "k", "s")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Wire builds the provider under test, target name, with newProvider against s (its URL as the
// endpoint, QPS 1000 so pacing never slows a test) after UseKey, and closes s when the test ends.
func Wire(t testing.TB, s *Server, key Key, newProvider func(string, config.Target) (reset.Provider, error), name string, target config.Target) reset.Provider {
	t.Helper()
	t.Cleanup(s.Close)
	UseKey(t, s, key)
	target.Endpoint, target.QPS = s.URL, 1000
	p, err := newProvider(name, target)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// FastRetries shortens a provider's retry waits to milliseconds, so fault tests stay quick.
func FastRetries(l *throttle.Limiter) { l.Backoff, l.MaxBackoff = time.Millisecond, 4*time.Millisecond }

// Harness runs commands through a planner whose only target is the provider under test, and
// checks what they did to the emulator.
type Harness struct {
	Server  *Server
	Planner *reset.Planner
	// Target and Group fill in commands that leave them empty.
	Target, Group string
}

// NewHarness wires p, built against s, as target name into a planner whose clock reads Base + 2h;
// commands default to that target and to group.
func NewHarness(s *Server, name string, p reset.Provider, group string) *Harness {
	now := Base.Add(2 * time.Hour)
	return &Harness{Server: s, Planner: &reset.Planner{Targets: resettest.Only(name, p), Now: func() time.Time { return now }}, Target: name, Group: group}
}

// Run runs cmd within 20 seconds.
func (h *Harness) Run(cmd reset.Command) *reset.Result {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return h.RunCtx(ctx, cmd)
}

// RunCtx runs cmd under ctx, for tests of deadlines and per-request credentials.
func (h *Harness) RunCtx(ctx context.Context, cmd reset.Command) *reset.Result {
	cmd.Target = cmp.Or(cmd.Target, h.Target)
	cmd.Group = cmp.Or(cmd.Group, h.Group)
	return h.Planner.Run(ctx, cmd, reset.Options{})
}

// WantPositions fails the test unless got holds want's position for each of want's topics (a
// missing topic reads as position 0).
func WantPositions(t testing.TB, got, want map[string]int64) {
	t.Helper()
	for topic, w := range want {
		if got[topic] != w {
			t.Errorf("positions %v, want %s at %d", got, topic, w)
		}
	}
}

// Invalid is a command the planner must refuse before calling the API, with its exact error
// ("" = any).
type Invalid struct {
	Cmd   reset.Command
	Error string
}

// WantInvalid checks that each command is refused as invalid with its error and that none of
// them reached the API.
func (h *Harness) WantInvalid(t testing.TB, cases ...Invalid) {
	t.Helper()
	for _, c := range cases {
		r := h.Run(c.Cmd)
		resettest.WantStatus(t, r, reset.StatusInvalid)
		if c.Error != "" && r.Error != c.Error {
			t.Errorf("error %q\nwant  %q", r.Error, c.Error)
		}
	}
	h.WantCalls(t, "", 0)
}

// WantDryRun runs cmd as a dry run and checks it was planned and state() reads the same after.
func (h *Harness) WantDryRun(t testing.TB, cmd reset.Command, state func() any) *reset.Result {
	t.Helper()
	before := state()
	cmd.DryRun = true
	r := h.Run(cmd)
	resettest.WantStatus(t, r, reset.StatusPlanned)
	if after := state(); fmt.Sprint(before) != fmt.Sprint(after) {
		t.Fatalf("a dry run changed the state: %v → %v", before, after)
	}
	return r
}

// WantCalls fails the test unless the emulator recorded n calls of action ("" = all).
func (h *Harness) WantCalls(t testing.TB, action string, n int) {
	t.Helper()
	if got := h.Server.Count(action); got != n {
		t.Errorf("%d calls of %q, want %d", got, action, n)
	}
}

// WantPlanCalls forgets the recorded calls, plans cmd as a dry run and checks that planning took
// exactly calls API calls.
func (h *Harness) WantPlanCalls(t testing.TB, cmd reset.Command, calls int) *reset.Result {
	t.Helper()
	h.Server.ResetCalls()
	cmd.DryRun = true
	r := h.Run(cmd)
	resettest.WantStatus(t, r, reset.StatusPlanned)
	h.WantCalls(t, "", calls)
	return r
}

// ThrottledThenApplied answers the first n calls of action with throttling, runs cmd and checks
// that it was applied after n retries: n+1 calls of action and a note saying so.
func (h *Harness) ThrottledThenApplied(t testing.TB, action string, n int, cmd reset.Command) *reset.Result {
	t.Helper()
	h.Server.Inject(Fault{Action: action, Kind: Throttle, Times: n})
	r := h.Run(cmd)
	resettest.WantStatus(t, r, reset.StatusApplied)
	resettest.WantNote(t, r, fmt.Sprintf("succeeded after %d retries (Throttling.User)", n))
	h.WantCalls(t, action, n+1)
	return r
}

// ThrottledPastDeadline makes the provider (its limiter l) retry until the deadline, throttles
// every call of action and runs cmd within 400 ms, checking it failed naming the throttling.
func (h *Harness) ThrottledPastDeadline(t testing.TB, l *throttle.Limiter, action string, cmd reset.Command) *reset.Result {
	t.Helper()
	l.Backoff, l.MaxBackoff, l.MaxAttempts = 40*time.Millisecond, 80*time.Millisecond, 1000
	h.Server.Inject(Fault{Action: action, Kind: Throttle, Times: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	r := h.RunCtx(ctx, cmd)
	resettest.WantError(t, r, reset.StatusFailed, "Throttling.User")
	return r
}
