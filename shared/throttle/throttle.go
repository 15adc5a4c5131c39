// Package throttle paces calls to a cloud API: at most QPS call starts per second, at most N in
// flight, and retries with exponential backoff and full jitter on throttling, 5xx and timeouts,
// never past the caller's deadline.
package throttle

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"offsetreset/shared/reset"
)

// Defaults for cloud targets; ONS documents a 10 QPS limit per account.
const (
	DefaultQPS         = 10
	DefaultConcurrency = 4
)

// Limiter spaces call starts evenly (1/QPS apart, no bursts), so any one-second window sees at
// most QPS+1 starts, and bounds calls in flight.
type Limiter struct {
	interval time.Duration
	slots    chan struct{}
	// pace is held by the one caller waiting for the next start; next is guarded by it.
	pace chan struct{}
	next time.Time

	// Backoff is the first retry wait; it doubles per attempt up to MaxBackoff (full jitter).
	Backoff    time.Duration
	MaxBackoff time.Duration
	// MaxAttempts bounds tries per call, deadline permitting.
	MaxAttempts int
}

// New builds a limiter; qps ≤ 0 and concurrency ≤ 0 take the defaults.
func New(qps float64, concurrency int) *Limiter {
	if qps <= 0 {
		qps = DefaultQPS
	}
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	return &Limiter{
		interval:    time.Duration(float64(time.Second) / qps),
		slots:       make(chan struct{}, concurrency),
		pace:        make(chan struct{}, 1),
		Backoff:     200 * time.Millisecond,
		MaxBackoff:  5 * time.Second,
		MaxAttempts: 8,
	}
}

// wait blocks until this caller may start a call, or ctx ends. Starts are serialised: each
// caller sleeps, while holding the pacing lock, until interval after the previous actual start,
// so a timer that fires late can never squeeze two starts into one interval.
func (l *Limiter) wait(ctx context.Context) error {
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case l.pace <- struct{}{}:
	case <-ctx.Done():
		<-l.slots
		return ctx.Err()
	}
	defer func() { <-l.pace }()
	if d := time.Until(l.next); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			<-l.slots
			return ctx.Err()
		}
	}
	l.next = time.Now().Add(l.interval)
	return nil
}

// Retryable is an error a provider marks as worth retrying (throttling, 5xx, timeout); Code is
// the service's own code, shown to the user when retries run out.
type Retryable struct {
	Code string
	Err  error
}

func (e *Retryable) Error() string { return e.Err.Error() }
func (e *Retryable) Unwrap() error { return e.Err }

// Do runs fn under the limiter. fn returns a *Retryable for transient failures; those are retried
// with backoff while the deadline allows, and each retry is noted on the result (reset.AddNote).
// The error returned after giving up names the code and the number of attempts.
func (l *Limiter) Do(ctx context.Context, what string, fn func(ctx context.Context) error) error {
	var last *Retryable
	attempts := 0
	for attempt := 0; ; attempt++ {
		if err := l.wait(ctx); err != nil {
			if last != nil {
				return giveUp(what, attempts, last)
			}
			return fmt.Errorf("%s was not sent before the invocation's deadline: %w", what, err)
		}
		err := fn(ctx)
		<-l.slots
		attempts++
		if err == nil {
			if attempts > 1 {
				reset.AddNote(ctx, "%s succeeded after %d retries (%s)", what, attempts-1, last.Code)
			}
			return nil
		}
		if !errors.As(err, &last) {
			if last != nil && ctx.Err() != nil {
				return giveUp(what, attempts, last) // the deadline cut a retry short: keep the service's code
			}
			return err
		}
		if attempts >= l.MaxAttempts {
			return giveUp(what, attempts, last)
		}
		backoff := l.Backoff << attempt
		if backoff > l.MaxBackoff || backoff <= 0 {
			backoff = l.MaxBackoff
		}
		sleep := backoff/2 + rand.N(backoff/2+1)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < sleep {
			return giveUp(what, attempts, last)
		}
		t := time.NewTimer(sleep)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return giveUp(what, attempts, last)
		}
	}
}

func giveUp(what string, attempts int, last *Retryable) error {
	return fmt.Errorf("%s failed with %s after %d attempt(s) within the invocation's deadline: %v; the service is throttling or unavailable, retry later or lower qps", what, last.Code, attempts, last.Err)
}
