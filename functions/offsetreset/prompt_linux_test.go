package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// openPTY opens a pseudo-terminal pair; the test is skipped where there is none.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	var unlock int32
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Skipf("no pseudo-terminal: unlock: %v", e)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Skipf("no pseudo-terminal: number: %v", e)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// prompted is the built binary run on a terminal, stopped at the question it asks before applying.
type prompted struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	stderr io.ReadCloser
	seen   []byte // what it wrote on stderr up to and with the question
}

// startAtPrompt runs the binary with args and stdin tty and reads its stderr up to the question
// "Apply? [y/N] ".
func startAtPrompt(t *testing.T, tty *os.File, args ...string) *prompted {
	t.Helper()
	p := &prompted{cmd: exec.Command(binary(t), args...)}
	p.cmd.Env, p.cmd.Dir, p.cmd.Stdin = cleanEnv(), t.TempDir(), tty
	p.cmd.Stdout = &p.stdout
	var err error
	if p.stderr, err = p.cmd.StderrPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for !bytes.Contains(p.seen, []byte("Apply? [y/N] ")) {
		n, err := p.stderr.Read(buf)
		p.seen = append(p.seen, buf[:n]...)
		if err != nil {
			p.cmd.Wait()
			t.Fatalf("no question before %v:\n%s", err, p.seen)
		}
	}
	return p
}

// wait reads the rest of stderr and waits for the command to end.
func (p *prompted) wait() (rest []byte, err error) {
	rest, _ = io.ReadAll(p.stderr)
	return rest, p.cmd.Wait()
}

// On a terminal apply shows the plan and asks; "n" changes nothing (exit 3), "y" applies it.
// The answer is typed into the terminal before the command reads it, as a fast typist would.
func TestApplyAsksOnATerminal(t *testing.T) {
	e := startKafka(t, "")
	for _, c := range []struct {
		answer string
		code   int
		want   map[string]map[int32]int64
	}{
		{"n\n", exitRefused, initialBilling},
		{"\n", exitRefused, initialBilling},
		{"yes\n", exitOK, with(initialBilling, "orders", map[int32]int64{1: 0})},
	} {
		master, tty := openPTY(t)
		if _, err := master.WriteString(c.answer); err != nil {
			t.Fatal(err)
		}
		o := runBin(t, call{args: []string{"apply", "-config", e.cfg, "k", "billing", "orders:1", "earliest"}, stdin: tty})
		plan := "Plan for group billing on k to earliest: 1 partition, re-reading 3 messages. Nothing has changed yet."
		if c.code == exitOK {
			o.want(t, exitOK, []string{plan, "Applied: group billing on k to earliest", "To undo: offsetreset apply k billing orders:1=3"}, []string{"Apply? [y/N] "})
		} else {
			o.want(t, c.code, []string{plan}, []string{"Apply? [y/N] offsetreset: not applied; nothing changed"})
		}
		e.wantCommitted(t, "billing", c.want)
	}
	// A plan that moves nothing asks nothing.
	_, tty := openPTY(t)
	runBin(t, call{args: []string{"apply", "-config", e.cfg, "k", "billing", "orders:1", "earliest"}, stdin: tty}).want(t, exitOK,
		nil, []string{"nothing to apply: every selected partition is already there"})
	e.wantCommitted(t, "billing", with(initialBilling, "orders", map[int32]int64{1: 0}))
}

// Ctrl-C at the question is a no: nothing is applied and the command ends (exit 3).
func TestInterruptAtThePrompt(t *testing.T) {
	e := startKafka(t, "")
	_, tty := openPTY(t)
	p := startAtPrompt(t, tty, "apply", "-config", e.cfg, "k", "billing", "latest")
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	rest, err := p.wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitRefused || !strings.Contains(string(rest), "not applied; nothing changed") {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s%s", err, p.stdout.String(), p.seen, rest)
	}
	e.wantCommitted(t, "billing", initialBilling)
}

// "yes" applies the plan that was shown, not a fresh resolution of the words: new messages
// after the plan do not move latest further, and a commit in between (the offsets moved since
// the plan) refuses the apply, as a chat confirm does.
func TestApplyAppliesThePlanShown(t *testing.T) {
	for _, moved := range []bool{false, true} {
		e := startKafka(t, "")
		master, tty := openPTY(t)
		p := startAtPrompt(t, tty, "apply", "-config", e.cfg, "k", "billing", "orders:1", "latest")
		ctx := context.Background()
		// While the operator reads the plan: five new messages, and perhaps a commit.
		if err := e.k.Produce(ctx, "orders", 1, 5, func(int) time.Time { return time.Now() }); err != nil {
			t.Fatal(err)
		}
		if moved {
			if err := e.k.Commit(ctx, "billing", "orders", 1, 4); err != nil {
				t.Fatal(err)
			}
		}
		master.WriteString("yes\n")
		rest, err := p.wait()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		if moved {
			if code != exitRefused || !strings.Contains(string(p.seen)+string(rest)+p.stdout.String(), "the offsets moved since the plan, so nothing was applied") {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s%s", code, p.stdout.String(), p.seen, rest)
			}
			e.wantCommitted(t, "billing", with(initialBilling, "orders", map[int32]int64{1: 4}))
			continue
		}
		if code != exitOK {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s%s", code, p.stdout.String(), p.seen, rest)
		}
		e.wantCommitted(t, "billing", with(initialBilling, "orders", map[int32]int64{1: 10})) // the plan's 10, not the new end 15
	}
}
