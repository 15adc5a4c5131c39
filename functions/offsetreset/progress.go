package main

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progressAfter is how long work runs before progress is shown: quick commands print nothing.
// A variable for the tests.
var progressAfter = time.Second

// progress shows on stderr that work is still running: on a terminal a spinner with the elapsed
// time, redrawn in place and erased when the work ends; elsewhere (logs, CI) one plain line when
// it passes a second and another every 10 seconds. It knows the stage (starting backends,
// planning group X on target Y, applying …), not the backend's calls.
type progress struct {
	w   io.Writer
	tty bool

	mu   sync.Mutex
	stop chan struct{}
	done chan struct{}
}

func newProgress(w io.Writer, tty bool) *progress { return &progress{w: w, tty: tty} }

// start begins a stage; the previous one, if any, ends first.
func (p *progress) start(what string) {
	p.end()
	p.mu.Lock()
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	stop, done := p.stop, p.done
	p.mu.Unlock()
	go p.loop(what, stop, done)
}

// end ends the stage and erases the spinner; it returns once nothing more is written.
func (p *progress) end() {
	p.mu.Lock()
	stop, done := p.stop, p.done
	p.stop, p.done = nil, nil
	p.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

func (p *progress) loop(what string, stop, done chan struct{}) {
	defer close(done)
	start := time.Now()
	select {
	case <-stop:
		return
	case <-time.After(progressAfter):
	}
	every := 10 * time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	spin := []rune("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
	for i := 0; ; i++ {
		elapsed := time.Since(start).Truncate(time.Second)
		if p.tty {
			fmt.Fprintf(p.w, "\r\033[K%c %s… %s", spin[i%len(spin)], what, elapsed)
		} else {
			fmt.Fprintf(p.w, "offsetreset: %s… (%s)\n", what, elapsed)
		}
		select {
		case <-stop:
			if p.tty {
				fmt.Fprint(p.w, "\r\033[K")
			}
			return
		case <-tick.C:
		}
	}
}
