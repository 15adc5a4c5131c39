package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"offsetreset/shared/reset"
)

// progressAfter is how long work runs before progress is shown: quick commands print nothing.
// A variable for the tests; 0 shows every stage from its start.
var progressAfter = time.Second

// progress shows on stderr that work is still running, once a stage (starting the backends,
// planning group X on target Y, applying …) has run for progressAfter. It knows the stage and
// the steps the service reports through reset.WithProgress: each group of a glob (Done of
// Total) and each call of a cloud provider, which calls once per group and per topic.
//
// On a terminal it is one line redrawn in place and erased when the stage ends: a spinner, the
// elapsed time and the stage or, once steps come, a bar of the counted ones and the last step.
// Elsewhere (logs, CI) it is plain lines: one when the stage passes progressAfter, one per step
// after that, and one every 10 seconds without steps.
type progress struct {
	w   io.Writer
	tty bool

	mu      sync.Mutex
	stage   string
	began   time.Time
	visible bool // the stage has run past progressAfter
	drawn   bool // tty: a line is on the screen
	spin    int
	last    reset.Step
	lastOut time.Time // plain: when the last line was written
	stop    chan struct{}
	done    chan struct{}
}

func newProgress(w io.Writer, tty bool) *progress { return &progress{w: w, tty: tty} }

// terminalWriter reports whether w is a terminal the progress line may be redrawn on.
func terminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}

// start begins a stage; the previous one, if any, ends first.
func (p *progress) start(what string) {
	p.end()
	p.mu.Lock()
	p.stage, p.began, p.visible, p.last = what, time.Now(), false, reset.Step{}
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	stop, done := p.stop, p.done
	if progressAfter <= 0 {
		p.show()
	}
	p.mu.Unlock()
	go p.loop(stop, done)
}

// step is the reset.WithProgress function: it records a finished step and shows it.
func (p *progress) step(s reset.Step) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stop == nil {
		return
	}
	p.last = s
	if !p.visible {
		return
	}
	if p.tty {
		p.draw()
		return
	}
	p.line(": " + describeStep(s))
}

// end ends the stage and erases the terminal line; it returns once nothing more is written.
func (p *progress) end() {
	p.mu.Lock()
	stop, done := p.stop, p.done
	p.stop, p.done = nil, nil
	p.mu.Unlock()
	if stop == nil {
		return
	}
	close(stop)
	<-done
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

func (p *progress) loop(stop, done chan struct{}) {
	defer close(done)
	select {
	case <-stop:
		return
	case <-time.After(progressAfter):
	}
	p.mu.Lock()
	if !p.visible {
		p.show()
	}
	p.mu.Unlock()
	every := 10 * time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		p.mu.Lock()
		if p.tty {
			p.draw()
		} else if time.Since(p.lastOut) >= every {
			p.line("… (" + time.Since(p.began).Truncate(time.Second).String() + ")")
		}
		p.mu.Unlock()
	}
}

// show makes the stage visible: the terminal line, or a plain line and the last step so far;
// p.mu is held.
func (p *progress) show() {
	p.visible = true
	if p.tty {
		p.draw()
		return
	}
	p.line("… (" + time.Since(p.began).Truncate(time.Second).String() + ")")
	if p.last.What != "" {
		p.line(": " + describeStep(p.last))
	}
}

// line writes one plain line about the stage; p.mu is held.
func (p *progress) line(rest string) {
	fmt.Fprintf(p.w, "offsetreset: %s%s\n", p.stage, rest)
	p.lastOut = time.Now()
}

// draw redraws the terminal line; p.mu is held: the stage until a step is reported, then the
// bar of counted steps and the last step's words (they name the group and topic). It stays within
// 79 columns so that it never wraps, which would break the redraw.
func (p *progress) draw() {
	spin := []rune("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
	p.spin++
	elapsed := time.Since(p.began).Truncate(time.Second)
	s := fmt.Sprintf("%c %s… %s", spin[p.spin%len(spin)], p.stage, elapsed)
	if p.last.What != "" || p.last.Total > 0 {
		s = fmt.Sprintf("%c %s", spin[p.spin%len(spin)], elapsed)
		if p.last.Total > 0 {
			const width = 10
			n := width * p.last.Done / p.last.Total
			s += fmt.Sprintf(" [%s%s] %d/%d %s", strings.Repeat("█", n), strings.Repeat("░", width-n), p.last.Done, p.last.Total, p.last.Unit)
		}
		if p.last.What != "" {
			s += " · " + p.last.What
		}
	}
	if r := []rune(s); len(r) > 79 {
		s = string(r[:78]) + "…"
	}
	fmt.Fprint(p.w, "\r\033[K"+s)
	p.drawn = true
}

// describeStep is a step in words for a plain line: "ListTopicPartitions orders",
// "group analytics-web on demo: applied (2/3 groups)".
func describeStep(s reset.Step) string {
	out := s.What
	if s.Failed && s.Total == 0 {
		out += " (failed)"
	}
	if s.Total > 0 {
		out += fmt.Sprintf(" (%d/%d %s)", s.Done, s.Total, s.Unit)
	}
	return out
}
