package main

import (
	"bytes"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"offsetreset/shared/reset"
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

// Steps the service reports: off a terminal one plain line each, once the stage is shown; on a
// terminal the line is redrawn with a bar for counted steps and the last step's words.
func TestProgressSteps(t *testing.T) {
	defer func(d time.Duration) { progressAfter = d }(progressAfter)
	progressAfter = 0

	var plain strings.Builder
	p := newProgress(&plain, false)
	p.start("applying group analytics-* on target demo")
	p.step(reset.Step{What: "group analytics-batch on demo: applied", Done: 1, Total: 2, Unit: "groups"})
	p.step(reset.Step{What: "ResetConsumeOffset of group analytics-web on topic clickstream", Failed: true})
	p.end()
	want := "offsetreset: applying group analytics-* on target demo… (0s)\n" +
		"offsetreset: applying group analytics-* on target demo: group analytics-batch on demo: applied (1/2 groups)\n" +
		"offsetreset: applying group analytics-* on target demo: ResetConsumeOffset of group analytics-web on topic clickstream (failed)\n"
	if plain.String() != want {
		t.Fatalf("plain progress:\n%s\nwant:\n%s", plain.String(), want)
	}

	var tty strings.Builder
	p = newProgress(&tty, true)
	p.start("applying group analytics-* on target demo")
	p.step(reset.Step{What: "group analytics-batch on demo: applied", Done: 1, Total: 2, Unit: "groups"})
	p.end()
	lines := strings.Split(tty.String(), "\r\033[K")
	if last := lines[len(lines)-1]; last != "" {
		t.Fatalf("the line is not erased at the end: %q", tty.String())
	}
	if got := lines[len(lines)-2]; !strings.Contains(got, " [█████░░░░░] 1/2 groups · group analytics-batch on demo: applied") {
		t.Fatalf("terminal line %q", got)
	}
	for _, l := range lines {
		if strings.Contains(l, "\n") || len([]rune(l)) > 79 {
			t.Fatalf("terminal line %q is not one short line", l)
		}
	}
}

// The command off a terminal: plain progress lines on stderr, one per group of a glob (the
// offsets are read back from the broker) and one per call of a cloud API, per topic.
func TestCommandProgressLines(t *testing.T) {
	defer func(d time.Duration) { progressAfter = d }(progressAfter)
	progressAfter = 0
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	defer slog.SetDefault(slog.Default())

	e := startKafka(t, "")
	var stdout, stderr bytes.Buffer
	if code := cli([]string{"apply", "--yes", "-config", e.cfg, "k", "billing*", "payments", "latest"}, devnull, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	for _, l := range []string{
		"offsetreset: applying group billing* on target k: group billing on k: applied (1/2 groups)\n",
		"offsetreset: applying group billing* on target k: group billing-eu on k: applied (2/2 groups)\n",
	} {
		if !strings.Contains(stderr.String(), l) {
			t.Errorf("stderr lacks %q:\n%s", l, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "\r") {
		t.Errorf("terminal control characters off a terminal:\n%q", stderr.String())
	}
	e.wantCommitted(t, "billing", with(initialBilling, "payments", map[int32]int64{0: 10, 1: 10}))
	e.wantCommitted(t, "billing-eu", map[string]map[int32]int64{"payments": {0: 10, 1: 10}})

	// The embedded Huawei DMS for Kafka emulator: group orders-etl reads two topics.
	for _, k := range []string{"OFFSETRESET_CONFIG", "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN",
		"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"} {
		t.Setenv(k, "")
	}
	t.Chdir(t.TempDir())
	stdout.Reset()
	stderr.Reset()
	if code := cli([]string{"plan", "hw-kafka-demo", "orders-etl", "latest"}, devnull, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	for _, l := range []string{
		"offsetreset: starting the embedded demo backends… (0s)\n",
		"offsetreset: planning group orders-etl on target hw-kafka-demo: ListTopicPartitions orders\n",
		"offsetreset: planning group orders-etl on target hw-kafka-demo: ListTopicPartitions payments\n",
	} {
		if !strings.Contains(stderr.String(), l) {
			t.Errorf("stderr lacks %q:\n%s", l, stderr.String())
		}
	}
}
