package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
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
	cmd := exec.Command(binary(t), "apply", "-config", e.cfg, "k", "billing", "latest")
	cmd.Env, cmd.Dir, cmd.Stdin = cleanEnv(), t.TempDir(), tty
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var seen []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(seen, []byte("Apply? [y/N] ")) {
		n, err := stderr.Read(buf)
		seen = append(seen, buf[:n]...)
		if err != nil {
			cmd.Wait()
			t.Fatalf("no question before %v:\n%s", err, seen)
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stderr)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitRefused || !strings.Contains(string(rest), "not applied; nothing changed") {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s%s", err, stdout.String(), seen, rest)
	}
	e.wantCommitted(t, "billing", initialBilling)
}
