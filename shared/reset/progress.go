package reset

import (
	"context"
	"sync"
)

// Step is one finished piece of a run that may take a while, for a progress display: one group
// of a command with groups (Done of Total, Unit "groups"), or one call of a cloud provider, which
// calls once per group and once per topic (What names it: "ResetConsumeOffset of group billing
// on topic orders"; Done and Total 0, the count is not known).
type Step struct {
	What        string
	Done, Total int
	Unit        string
	// Failed: the piece ended in an error (the result says which).
	Failed bool
}

type progressKey struct{}

// progressHook serialises the calls of one display's function: providers report from several
// goroutines at once.
type progressHook struct {
	mu sync.Mutex
	fn func(Step)
}

// WithProgress returns a context whose runs report their steps to fn, one call at a time.
func WithProgress(ctx context.Context, fn func(Step)) context.Context {
	return context.WithValue(ctx, progressKey{}, &progressHook{fn: fn})
}

// Report hands a finished step to the context's progress function; without one it does nothing.
func Report(ctx context.Context, s Step) {
	h, _ := ctx.Value(progressKey{}).(*progressHook)
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fn(s)
}
