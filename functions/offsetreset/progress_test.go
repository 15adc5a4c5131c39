package main

import (
	"strings"
	"testing"
	"time"
)

// writes hands every write to the test as it happens.
type writes chan string

func (w writes) Write(p []byte) (int, error) {
	w <- string(p)
	return len(p), nil
}

// Work that outlasts progressAfter is shown: a plain line off a terminal, a spinner redrawn in
// place and erased at the end on one; quick work shows nothing.
func TestProgress(t *testing.T) {
	defer func(d time.Duration) { progressAfter = d }(progressAfter)

	w := make(writes, 100)
	progressAfter = time.Hour
	p := newProgress(w, false)
	p.start("planning group billing on target k")
	p.end()
	if len(w) != 0 {
		t.Fatalf("quick work printed %q", <-w)
	}

	progressAfter = time.Millisecond
	p.start("planning group billing on target k")
	if got := <-w; got != "offsetreset: planning group billing on target k… (0s)\n" {
		t.Fatalf("%q", got)
	}
	p.end()

	tty := newProgress(w, true)
	tty.start("applying group billing on target k")
	if got := <-w; !strings.HasPrefix(got, "\r\033[K") || !strings.HasSuffix(got, " applying group billing on target k… 0s") {
		t.Fatalf("%q", got)
	}
	tty.end()
	var last string
	for len(w) > 0 {
		last = <-w
	}
	if last != "\r\033[K" {
		t.Fatalf("the spinner is not erased at the end: last write %q", last)
	}
}
