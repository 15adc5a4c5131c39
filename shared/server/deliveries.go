package server

import (
	"context"
	"fmt"
	"sync"
	"time"

	"offsetreset/shared/reset"
)

// deliveries makes the deliveries of one invocation identity (a platform retry, a re-sent
// webhook, an HA peer's copy, a second confirm) run one at a time in this instance, and answers
// a later delivery from the first one's outcome where that outcome is final. Across instances the
// commit markers of backends that keep them (Kafka) do the same job; see the README.
type deliveries struct {
	mu     sync.Mutex
	flying map[string]chan struct{}
	done   map[string]doneEntry
	order  []string // keys of done, oldest first
	rows   int      // partition rows held by done
}

type doneEntry struct {
	at   time.Time
	res  *reset.Result
	rows int // len(res.Partitions) when remembered
}

// Bounds of what deliveries remembers: the longest platform retry horizon (Lambda's maximum
// event age is 6 hours), and enough entries and rows that memory stays small.
const (
	deliveryMemory     = 6 * time.Hour
	deliveryMaxEntries = 4096
	deliveryMaxRows    = 200_000
)

// do runs fn for the identity key unless an earlier delivery of it, within window (0 = the
// memory's horizon), already has a final outcome: then it returns a copy of that outcome marked
// Duplicate, and dup is true. Deliveries of one key wait for each other; "" runs fn at once.
func (d *deliveries) do(ctx context.Context, key string, window time.Duration, now func() time.Time, fn func() *reset.Result) (res *reset.Result, dup bool) {
	if key == "" {
		return fn(), false
	}
	if window <= 0 || window > deliveryMemory {
		window = deliveryMemory
	}
	for {
		d.mu.Lock()
		if d.flying == nil {
			d.flying, d.done = map[string]chan struct{}{}, map[string]doneEntry{}
		}
		ch, busy := d.flying[key]
		if !busy {
			if e, ok := d.done[key]; ok && now().Sub(e.at) <= window && final(e.res) {
				d.mu.Unlock()
				return duplicateOf(e), true
			}
			ch = make(chan struct{})
			d.flying[key] = ch
			d.mu.Unlock()
			break
		}
		d.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			r := reset.ErrorResult(reset.Command{}, fmt.Errorf("another delivery of this invocation is still running and did not finish before the deadline; nothing was done by this one"))
			r.Duplicate = "in progress"
			return r, true
		}
	}
	defer func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		close(d.flying[key])
		delete(d.flying, key)
		if res != nil {
			d.remember(key, doneEntry{at: now(), res: res})
		}
	}()
	return fn(), false
}

// final reports whether a later delivery should get this outcome instead of running again: it
// did what was asked, or was refused or invalid (the same input gets the same answer), or it
// cannot be repeated safely (a shift on a backend without commit markers).
func final(r *reset.Result) bool {
	switch r.Status {
	case reset.StatusFailed, reset.StatusPartial, reset.StatusUnknown:
		return !r.Retryable
	}
	return true
}

func duplicateOf(e doneEntry) *reset.Result {
	c := *e.res
	at := e.at.UTC().Format(time.RFC3339)
	if c.Duplicate == "" {
		c.Duplicate, c.DuplicateAt = "already handled at "+at, e.at.UnixMilli()
	}
	c.Notes = append(append([]string(nil), e.res.Notes...),
		fmt.Sprintf("this is another delivery of an invocation already handled at %s (platform retry, re-sent webhook or second confirm): this is that delivery's outcome, and nothing was done again", at))
	return &c
}

func (d *deliveries) remember(key string, e doneEntry) {
	e.rows = len(e.res.Partitions)
	if old, ok := d.done[key]; ok {
		d.rows -= old.rows
	} else {
		d.order = append(d.order, key)
	}
	d.done[key] = e
	d.rows += e.rows
	for len(d.order) > 0 && (len(d.done) > deliveryMaxEntries || d.rows > deliveryMaxRows ||
		e.at.Sub(d.done[d.order[0]].at) > deliveryMemory) {
		k := d.order[0]
		d.order = d.order[1:]
		if old, ok := d.done[k]; ok {
			d.rows -= old.rows
			delete(d.done, k)
		}
	}
}
