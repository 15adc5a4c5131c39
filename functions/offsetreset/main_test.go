package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/kafka/kafkatest"
	"offsetreset/shared/server"
)

// The tests below drive the built binary, as an operator's shell does. It is built once per test
// run, with the same go command, environment and flags as `go test` itself (no -trimpath, no
// CGO_ENABLED change), so every package comes from the build cache and only the link is new.
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		if binDir, binErr = os.MkdirTemp("", "offsetreset-cli"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "offsetreset")
		if b, err := exec.Command(goBin, "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, b)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// call is one run of the binary.
type call struct {
	args  []string
	stdin io.Reader // nil: /dev/null
	env   []string  // added to a clean environment
	dir   string    // working directory; a fresh one when ""
}

type outcome struct {
	stdout, stderr string
	code           int
}

// cleanEnv is the environment without the caller's offsetreset and cloud variables.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OFFSETRESET_") && !strings.HasPrefix(kv, "ALIBABA_CLOUD_") && !strings.HasPrefix(kv, "HUAWEICLOUD_SDK_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

func runBin(t *testing.T, c call) outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), c.args...)
	cmd.Env = cleanEnv(c.env...)
	cmd.Dir = c.dir
	if cmd.Dir == "" {
		cmd.Dir = t.TempDir()
	}
	cmd.Stdin = c.stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("offsetreset %q: %v", c.args, err)
		}
		code = ee.ExitCode()
	}
	return outcome{stdout.String(), stderr.String(), code}
}

// want checks the exit code and that stdout and stderr contain the given strings.
func (o outcome) want(t *testing.T, code int, inStdout, inStderr []string) {
	t.Helper()
	if o.code != code {
		t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", o.code, code, o.stdout, o.stderr)
		return
	}
	for _, s := range inStdout {
		if !strings.Contains(o.stdout, s) {
			t.Errorf("stdout lacks %q:\n%s\nstderr:\n%s", s, o.stdout, o.stderr)
		}
	}
	for _, s := range inStderr {
		if !strings.Contains(o.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, o.stderr)
		}
	}
}

// kafkaEnv is a kfake broker and a configuration file with one target "k" on it. Group billing
// has committed orders/0..2 at 2, 3, 4 and payments/0..1 at 1; group billing-eu payments at 0.
// Every topic partition holds 10 messages.
type kafkaEnv struct {
	k   *kafkatest.Cluster
	cfg string
}

func startKafka(t *testing.T, extraYAML string) *kafkaEnv {
	t.Helper()
	k, err := kafkatest.Start(map[string]int32{"orders": 3, "payments": 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	ctx := context.Background()
	start := time.Now().Add(-time.Hour)
	for topic, n := range map[string]int32{"orders": 3, "payments": 2} {
		for p := int32(0); p < n; p++ {
			if err := k.Produce(ctx, topic, p, 10, func(i int) time.Time { return start.Add(time.Duration(i) * time.Minute) }); err != nil {
				t.Fatal(err)
			}
			at := int64(1)
			if topic == "orders" {
				at = 2 + int64(p)
			}
			if err := k.Commit(ctx, "billing", topic, p, at); err != nil {
				t.Fatal(err)
			}
			if topic == "payments" {
				if err := k.Commit(ctx, "billing-eu", topic, p, 0); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	cfg := filepath.Join(t.TempDir(), "prod.yaml")
	body := fmt.Sprintf("targets:\n  k:\n    provider: kafka\n    brokers: [%q]\n%s", k.Addrs[0], extraYAML)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return &kafkaEnv{k: k, cfg: cfg}
}

// committed reads a group's committed offsets from the broker.
func (e *kafkaEnv) committed(t *testing.T, group string) map[string]map[int32]int64 {
	t.Helper()
	c, err := e.k.Committed(context.Background(), group)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var initialBilling = map[string]map[int32]int64{"orders": {0: 2, 1: 3, 2: 4}, "payments": {0: 1, 1: 1}}

func (e *kafkaEnv) wantCommitted(t *testing.T, group string, want map[string]map[int32]int64) {
	t.Helper()
	if got := e.committed(t, group); !reflect.DeepEqual(got, want) {
		t.Errorf("committed offsets of %s on the broker: %v, want %v", group, got, want)
	}
}

// with copies offsets and sets topic/partition → offset.
func with(base map[string]map[int32]int64, topic string, set map[int32]int64) map[string]map[int32]int64 {
	out := map[string]map[int32]int64{}
	for t, ps := range base {
		out[t] = map[int32]int64{}
		for p, o := range ps {
			out[t][p] = o
		}
	}
	for p, o := range set {
		out[topic][p] = o
	}
	return out
}

// A configuration with a kfake target: plan changes nothing, apply --yes moves exactly the named
// partitions and prints an undo line that, run as printed, puts them back; status shows the rows.
func TestPlanApplyStatusOnConfig(t *testing.T) {
	e := startKafka(t, "")
	runBin(t, call{args: []string{"plan", "-config", e.cfg, "k", "billing", "orders", "latest"}}).want(t, exitOK,
		[]string{"Plan for group billing on k to latest: 3 partitions, skipping 21 messages. Nothing has changed yet.",
			"TOPIC   PART  BEFORE  AFTER  START  END  SKIP  STATUS", "orders  0     2       10     -      10   8     planned"}, nil)
	e.wantCommitted(t, "billing", initialBilling)

	// Flags among the words, as an operator types them.
	o := runBin(t, call{args: []string{"apply", "--yes", "-config", e.cfg, "k", "billing", "orders:0,2", "shift:+3", "-reason", "INC 42"}})
	o.want(t, exitOK, []string{"Applied: group billing on k to shift:+3: 2 partitions, skipping 6 messages.",
		"orders  0     2       5      0      10   3     applied", "To undo: offsetreset apply k billing orders:0=2,orders:2=4 -config " + e.cfg + " -reason 'undo: INC 42'"},
		[]string{`"msg":"offsetreset.audit"`, `"trigger":"cli"`, `"principal":"cli:`, `"reason":"INC 42"`})
	e.wantCommitted(t, "billing", with(initialBilling, "orders", map[int32]int64{0: 5, 2: 7}))

	undo := undoWords(t, o.stdout)
	runBin(t, call{args: append(undo, "--yes")}).want(t, exitOK, []string{"Applied: group billing on k to offsets"}, nil)
	e.wantCommitted(t, "billing", initialBilling)

	runBin(t, call{args: []string{"status", "-config", e.cfg, "k", "billing"}}).want(t, exitOK,
		[]string{"Lag of group billing on k: 39 messages across 5 partitions", "TOPIC     PART  COMMITTED  START  END  LAG",
			"orders    1     3          0      10   7", "payments  1     1          0      10   9", "state: Empty"}, nil)
	e.wantCommitted(t, "billing", initialBilling)
}

// undoWords finds the printed undo command and splits it into arguments as a shell would (the
// test's names need no quotes except the reason).
func undoWords(t *testing.T, stdout string) []string {
	t.Helper()
	for _, l := range strings.Split(stdout, "\n") {
		if line, ok := strings.CutPrefix(l, "To undo: offsetreset "); ok {
			cmdline, reason, _ := strings.Cut(line, " -reason ")
			words := strings.Fields(cmdline)
			if reason != "" {
				words = append(words, "-reason", strings.ReplaceAll(strings.Trim(reason, "'"), `'\''`, "'"))
			}
			return words
		}
	}
	t.Fatalf("no undo line in:\n%s", stdout)
	return nil
}

// Every exit code, each with the broker's offsets checked afterwards.
func TestExitCodes(t *testing.T) {
	policy := "policy:\n  - {name: cli-plan-only, triggers: [cli], targets: [k], groups: [readonly], topics: ['*'], apply: false}\n" +
		"  - {name: cli, triggers: [cli], targets: ['*'], groups: ['billing*', live], topics: ['*']}\n"
	e := startKafka(t, policy)
	cfg := []string{"-config", e.cfg}
	ctx := context.Background()
	if err := e.k.Commit(ctx, "readonly", "orders", 0, 1); err != nil {
		t.Fatal(err)
	}
	m, err := e.k.CommitAndJoin(ctx, "live", "orders", 1, "consumer-1")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Leave()
	readonly := map[string]map[int32]int64{"orders": {0: 1}}

	t.Run("0 planned", func(t *testing.T) {
		runBin(t, call{args: append([]string{"plan", "k", "billing", "latest"}, cfg...)}).want(t, exitOK, []string{"planned"}, nil)
		e.wantCommitted(t, "billing", initialBilling)
	})
	t.Run("0 unchanged", func(t *testing.T) {
		runBin(t, call{args: append([]string{"apply", "--yes", "k", "billing", "orders:0", "offset:2"}, cfg...)}).want(t, exitOK,
			[]string{"orders  0     2       2      0      10   0     unchanged"}, nil)
		e.wantCommitted(t, "billing", initialBilling)
	})
	t.Run("1 failed", func(t *testing.T) {
		f := e.k.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Err: kerr.GroupAuthorizationFailed, Count: -1})
		defer f.Remove()
		runBin(t, call{args: append([]string{"apply", "--yes", "k", "billing", "orders", "latest"}, cfg...)}).want(t, exitFailed,
			nil, []string{"offsetreset: failed: ", "nothing was applied"})
		e.wantCommitted(t, "billing", initialBilling)
	})
	t.Run("2 invalid", func(t *testing.T) {
		runBin(t, call{args: append([]string{"apply", "--yes", "k", "billing", "time:2026-05-01T02:00:00"}, cfg...)}).want(t, exitUsage, nil,
			[]string{`offsetreset: invalid: to "time:2026-05-01T02:00:00": the time "2026-05-01T02:00:00" has no zone; add one`})
		runBin(t, call{args: append([]string{"plan", "k", "billing", "orders:9", "latest"}, cfg...)}).want(t, exitUsage, nil, []string{"offsetreset: invalid: "})
		runBin(t, call{args: append([]string{"plan", "nope", "billing", "latest"}, cfg...)}).want(t, exitUsage, nil, []string{"offsetreset: invalid: ", "nope"})
		e.wantCommitted(t, "billing", initialBilling)
	})
	t.Run("2 usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"plan", "k", "billing"},
			{"plan", "-o", "yaml", "k", "billing", "latest"},
			{"plan", "k", "billing", "orders:0", "payments:1", "latest"},
			{"plan", "k", "billing", "orders", "orders:0=1"},
			{"apply", "--yes", "--from-file", "missing.csv", "k", "billing"},
			{"reset", "k", "billing", "latest"},
			{"plan", "-config", "missing.yaml", "k", "billing", "latest"},
			{},
		} {
			o := runBin(t, call{args: args})
			if o.code != exitUsage || !strings.HasPrefix(o.stderr, "offsetreset") {
				t.Errorf("%q: exit %d, stderr %q", args, o.code, o.stderr)
			}
		}
		e.wantCommitted(t, "billing", initialBilling)
	})
	t.Run("3 refused by a guard", func(t *testing.T) {
		runBin(t, call{args: append([]string{"apply", "--yes", "k", "live", "latest"}, cfg...)}).want(t, exitRefused,
			nil, []string{"offsetreset: refused: group live has 1 active member(s) (consumer-1"})
		e.wantCommitted(t, "live", map[string]map[int32]int64{"orders": {0: 1}})
	})
	t.Run("3 refused by the policy", func(t *testing.T) {
		runBin(t, call{args: append([]string{"plan", "k", "readonly", "latest"}, cfg...)}).want(t, exitOK, []string{"planned"}, nil)
		runBin(t, call{args: append([]string{"apply", "--yes", "k", "readonly", "latest"}, cfg...)}).want(t, exitRefused,
			nil, []string{"offsetreset: refused: refused by policy: rule cli-plan-only: it allows planning only (apply: false)"})
		runBin(t, call{args: append([]string{"apply", "--yes", "k", "orders-etl", "latest"}, cfg...)}).want(t, exitRefused,
			nil, []string{"group orders-etl does not match"})
		e.wantCommitted(t, "readonly", readonly)
	})
	t.Run("4 partial", func(t *testing.T) {
		f := e.k.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Topic: "orders", Partitions: []int32{1}, Err: kerr.TopicAuthorizationFailed, Count: -1})
		defer f.Remove()
		o := runBin(t, call{args: append([]string{"apply", "--yes", "k", "billing", "orders", "latest"}, cfg...)})
		o.want(t, exitPartial, []string{"Partial: group billing on k to latest", "To undo: offsetreset apply k billing orders:0=2,orders:2=4"},
			[]string{"offsetreset: partial: 1 of 3 partitions"})
		e.wantCommitted(t, "billing", with(initialBilling, "orders", map[int32]int64{0: 10, 2: 10}))
	})
}

// The embedded default: no configuration anywhere, said on stderr in one line; plan, status with
// the state and members the broker tells, and an apply whose read-back (the broker lives in the
// process) is in its answer. TestServeEmbedded checks the broker from outside.
func TestEmbeddedDefault(t *testing.T) {
	o := runBin(t, call{args: []string{"plan", "demo", "billing", "orders", "latest"}})
	o.want(t, exitOK, []string{"Plan for group billing on demo to latest: 6 partitions, skipping 525 messages.", "orders  5     45      120"},
		[]string{"offsetreset: no configuration (-config, $OFFSETRESET_CONFIG, ./offsetreset.yaml): using the embedded demo backends "})
	if n := strings.Count(o.stderr, "\n"); n != 1 {
		t.Errorf("stderr has %d lines, want the one line about the embedded backends:\n%s", n, o.stderr)
	}
	runBin(t, call{args: []string{"status", "demo", "dashboard"}}).want(t, exitOK,
		[]string{"clickstream  0     110        0      120  10", "state: Stable", "members (1): dashboard-1@"}, nil)
	runBin(t, call{args: []string{"apply", "--yes", "-o", "json", "demo", "billing", "orders:0", "offset:60"}}).want(t, exitOK,
		[]string{`"status":"applied"`, `"partitions":[{"topic":"orders","partition":0,"before":20,"after":60,`}, []string{"To undo: offsetreset apply demo billing orders:0=20"})
	runBin(t, call{args: []string{"apply", "--yes", "demo", "dashboard", "latest"}}).want(t, exitRefused, nil, []string{"group dashboard has 1 active member(s)"})
	// ./offsetreset.yaml in the working directory is found without -config.
	e := startKafka(t, "")
	dir := t.TempDir()
	b, _ := os.ReadFile(e.cfg)
	if err := os.WriteFile(filepath.Join(dir, "offsetreset.yaml"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	o = runBin(t, call{args: []string{"status", "k", "billing", "payments"}, dir: dir})
	o.want(t, exitOK, []string{"payments  0     1          0      10   9"}, nil)
	if o.stderr != "" {
		t.Errorf("stderr: %s", o.stderr)
	}
	e.wantCommitted(t, "billing", initialBilling)
}

// The API answers the same command; -o json must be byte for byte the same answer (plans, a
// status, a glob's array, an invalid command).
func TestJSONIsTheAPIAnswer(t *testing.T) {
	e := startKafka(t, "")
	api := startAPI(t, e, "s3cret-token")
	for _, c := range []struct {
		args []string
		body string
	}{
		{[]string{"plan", "k", "billing", "orders", "latest"}, `{"target":"k","group":"billing","topics":["orders"],"to":"latest","dryRun":true}`},
		{[]string{"plan", "k", "billing", "orders:1", "shift:-1", "-reason", "replay"}, `{"target":"k","group":"billing","topics":["orders"],"partitions":[1],"to":"shift:-1","dryRun":true,"reason":"replay"}`},
		{[]string{"plan", "k", "billing", "orders:0=7,payments:1=3"}, `{"target":"k","group":"billing","offsets":[{"topic":"orders","partition":0,"offset":7},{"topic":"payments","partition":1,"offset":3}],"dryRun":true}`},
		{[]string{"plan", "k", "bill*", "payments", "earliest"}, `{"target":"k","groups":["bill*"],"topics":["payments"],"to":"earliest","dryRun":true}`},
		{[]string{"status", "k", "billing"}, `{"target":"k","group":"billing","to":"current","dryRun":true}`},
		{[]string{"plan", "k", "billing", "ago:5x"}, `{"target":"k","group":"billing","to":"ago:5x","dryRun":true}`},
	} {
		o := runBin(t, call{args: append(c.args, "-o", "json", "-config", e.cfg)})
		want := api.post(t, c.body)
		if o.stdout != want {
			t.Errorf("%q -o json:\n%s\nthe API answers:\n%s", c.args, o.stdout, want)
		}
	}
	e.wantCommitted(t, "billing", initialBilling)
	e.wantCommitted(t, "billing-eu", map[string]map[int32]int64{"payments": {0: 0, 1: 0}})
}

// api is the FC handler of a service on the kfake target, with a bearer token.
type api struct {
	url string
	tok string
}

func startAPI(t *testing.T, e *kafkaEnv, token string) *api {
	t.Helper()
	cfg, err := config.Load(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	svc.Secrets.APIToken = token
	svc.Log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	srv := httptest.NewServer(svc.Handler(server.FC))
	t.Cleanup(srv.Close)
	return &api{url: srv.URL, tok: token}
}

func (a *api) post(t *testing.T, body string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.url+"/v1/reset", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+a.tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// -o csv writes the file --from-file reads: a status export restores the group after a move, and
// a plan's after offsets applied from the file land where the plan said.
func TestCSVRoundTrip(t *testing.T) {
	e := startKafka(t, "")
	dir := t.TempDir()
	cfg := []string{"-config", e.cfg}
	o := runBin(t, call{args: append([]string{"status", "-o", "csv", "k", "billing"}, cfg...)})
	o.want(t, exitOK, []string{"orders,0,2\norders,1,3\norders,2,4\npayments,0,1\npayments,1,1\n"}, nil)
	saved := filepath.Join(dir, "billing.csv")
	if err := os.WriteFile(saved, []byte(o.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	runBin(t, call{args: append([]string{"apply", "--yes", "k", "billing", "latest"}, cfg...)}).want(t, exitOK, nil, nil)
	e.wantCommitted(t, "billing", map[string]map[int32]int64{"orders": {0: 10, 1: 10, 2: 10}, "payments": {0: 10, 1: 10}})
	runBin(t, call{args: append([]string{"apply", "--yes", "--from-file", saved, "k", "billing"}, cfg...)}).want(t, exitOK,
		[]string{"Applied: group billing on k to offsets: 5 partitions, re-reading 39 messages."}, nil)
	e.wantCommitted(t, "billing", initialBilling)

	o = runBin(t, call{args: append([]string{"plan", "-o", "csv", "k", "billing", "payments", "shift:+4"}, cfg...)})
	o.want(t, exitOK, nil, nil)
	if o.stdout != "payments,0,5\npayments,1,5\n" {
		t.Fatalf("plan -o csv: %q", o.stdout)
	}
	planned := filepath.Join(dir, "planned.csv")
	if err := os.WriteFile(planned, []byte("topic,partition,offset\n"+o.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	e.wantCommitted(t, "billing", initialBilling)
	runBin(t, call{args: append([]string{"apply", "--yes", "k", "billing", "--from-file", planned}, cfg...)}).want(t, exitOK, nil, nil)
	e.wantCommitted(t, "billing", with(initialBilling, "payments", map[int32]int64{0: 5, 1: 5}))

	// A several-groups export (a glob) carries the group first; one group's rows are read back.
	o = runBin(t, call{args: append([]string{"status", "-o", "csv", "k", "bill*", "payments"}, cfg...)})
	if o.stdout != "billing,payments,0,5\nbilling,payments,1,5\nbilling-eu,payments,0,0\nbilling-eu,payments,1,0\n" {
		t.Fatalf("status -o csv of a glob: %q", o.stdout)
	}
	groups := filepath.Join(dir, "groups.csv")
	if err := os.WriteFile(groups, []byte(o.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	runBin(t, call{args: append([]string{"apply", "--yes", "--from-file", groups, "k", "billing-eu"}, cfg...)}).want(t, exitOK,
		[]string{"payments  0     0       0      0      10   0     unchanged"}, nil)
	e.wantCommitted(t, "billing-eu", map[string]map[int32]int64{"payments": {0: 0, 1: 0}})
	e.wantCommitted(t, "billing", with(initialBilling, "payments", map[int32]int64{0: 5, 1: 5}))
}

// Without a terminal and without --yes, apply refuses before touching anything — also when "y"
// is piped in.
func TestNoTerminalRefuses(t *testing.T) {
	e := startKafka(t, "")
	for _, stdin := range []io.Reader{nil, strings.NewReader("y\n")} {
		o := runBin(t, call{args: []string{"apply", "-config", e.cfg, "k", "billing", "latest"}, stdin: stdin})
		o.want(t, exitUsage, nil, []string{"offsetreset: apply asks before it changes offsets, and stdin is not a terminal, so nothing was applied: add --yes"})
		if o.stdout != "" {
			t.Errorf("stdout: %s", o.stdout)
		}
		e.wantCommitted(t, "billing", initialBilling)
	}
}

// -remote sends the command to the FC handler with the bearer token and prints the answer as the
// local run does; a wrong token is refused and the token never appears in the output.
func TestRemote(t *testing.T) {
	e := startKafka(t, "")
	const token = "s3cret-token-4711"
	a := startAPI(t, e, token)
	auth := "OFFSETRESET_API_TOKEN=" + token
	local := runBin(t, call{args: []string{"plan", "-config", e.cfg, "k", "billing", "orders", "latest"}})
	remote := runBin(t, call{args: []string{"plan", "-remote", a.url, "k", "billing", "orders", "latest"}, env: []string{auth}})
	remote.want(t, exitOK, nil, nil)
	if remote.stdout != local.stdout || remote.stderr != "" {
		t.Errorf("remote plan:\n%s%s\nlocal plan:\n%s", remote.stdout, remote.stderr, local.stdout)
	}
	js := runBin(t, call{args: []string{"status", "-o", "json", "-remote", a.url + "/", "k", "billing"}, env: []string{auth}})
	if want := a.post(t, `{"target":"k","group":"billing","to":"current","dryRun":true}`); js.stdout != want {
		t.Errorf("remote -o json:\n%s\nwant\n%s", js.stdout, want)
	}
	e.wantCommitted(t, "billing", initialBilling)

	o := runBin(t, call{args: []string{"apply", "--yes", "-remote", a.url, "k", "billing", "payments", "offset:6"}, env: []string{auth}})
	o.want(t, exitOK, []string{"Applied: group billing on k to offset:6", "To undo: offsetreset apply k billing payments:0=1,payments:1=1 -remote " + a.url}, nil)
	e.wantCommitted(t, "billing", with(initialBilling, "payments", map[int32]int64{0: 6, 1: 6}))

	for _, env := range [][]string{{"OFFSETRESET_API_TOKEN=not-the-token-0815"}, nil} {
		o = runBin(t, call{args: []string{"apply", "--yes", "-remote", a.url, "k", "billing", "latest"}, env: env})
		if env != nil {
			o.want(t, exitRefused, nil, []string{"answered 401 (missing or wrong bearer token", "nothing changed"})
		} else {
			o.want(t, exitUsage, nil, []string{"-remote needs the function's API token: set OFFSETRESET_API_TOKEN"})
		}
		if strings.Contains(o.stdout+o.stderr, token) || strings.Contains(o.stdout+o.stderr, "not-the-token-0815") {
			t.Errorf("the token is printed:\n%s%s", o.stdout, o.stderr)
		}
	}
	o = runBin(t, call{args: []string{"plan", "-remote", a.url + "/nothing-here", "k", "billing", "latest"}, env: []string{auth}})
	o.want(t, exitUsage, nil, []string{"answered 404", "-remote must be the function's base URL"})
	e.wantCommitted(t, "billing", with(initialBilling, "payments", map[int32]int64{0: 6, 1: 6}))
}

// serve is the local server of the embedded default: its banner and the commands it says to try,
// and a remote apply whose result is read back from the broker in the server's process with
// status. An apply without a terminal leaves the offsets where they were.
func TestServeEmbedded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv := exec.CommandContext(ctx, binary(t), "serve", "-addr", "127.0.0.1:0", "-policy", "../../events/demo.yaml")
	srv.Env = cleanEnv()
	srv.Stderr = io.Discard
	out, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		srv.Process.Signal(syscall.SIGTERM)
		srv.Wait()
	}()
	// The banner ends with the Try: lines and an empty line.
	var base string
	var banner, try []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		banner = append(banner, sc.Text())
		if u, ok := strings.CutPrefix(sc.Text(), "offsetreset listening on "); ok {
			base = u
		}
		if try != nil && sc.Text() == "" {
			break
		}
		if try != nil || sc.Text() == "Try:" {
			try = append(try, sc.Text())
		}
	}
	go io.Copy(io.Discard, out)
	text := strings.Join(banner, "\n")
	for _, s := range []string{"embedded Kafka at", "demo secrets: OFFSETRESET_API_TOKEN=demo-api-token", "policy, "} {
		if !strings.Contains(text, s) {
			t.Errorf("banner lacks %q:\n%s", s, text)
		}
	}
	if base == "" {
		t.Fatalf("no listening line:\n%s", text)
	}
	auth := []string{"OFFSETRESET_API_TOKEN=demo-api-token"}
	// Every offsetreset command of the Try: lines works as printed, on the served targets.
	if len(try) != 4 || !strings.Contains(try[3], "curl -s -H 'Content-Type: application/json' -d '{\"target\":\"ali-kafka-demo\"") {
		t.Fatalf("Try: lines %q", try)
	}
	for i, said := range []string{"Plan for group billing on demo to latest", "Lag of group billing on hw-rmq-demo"} {
		words := strings.Fields(try[1+i])
		if len(words) < 2 || words[0] != auth[0] || words[1] != "offsetreset" {
			t.Fatalf("Try: line %q", try[1+i])
		}
		runBin(t, call{args: words[2:], env: auth}).want(t, exitOK, []string{said}, nil)
	}
	status := func() string {
		o := runBin(t, call{args: []string{"status", "-o", "csv", "-remote", base, "demo", "billing"}, env: auth})
		o.want(t, exitOK, nil, nil)
		return o.stdout
	}
	initial := "orders,0,20\norders,1,25\norders,2,30\norders,3,35\norders,4,40\norders,5,45\n"
	if s := status(); s != initial {
		t.Fatalf("status: %q", s)
	}
	runBin(t, call{args: []string{"apply", "-remote", base, "demo", "billing", "latest"}, env: auth}).want(t, exitUsage, nil, []string{"stdin is not a terminal"})
	if s := status(); s != initial {
		t.Fatalf("after the refused apply: %q", s)
	}
	runBin(t, call{args: []string{"apply", "--yes", "-remote", base, "demo", "billing", "orders:1,3", "offset:100"}, env: auth}).want(t, exitOK, []string{"applied"}, nil)
	if s := status(); s != "orders,0,20\norders,1,100\norders,2,30\norders,3,100\norders,4,40\norders,5,45\n" {
		t.Fatalf("after the apply: %q", s)
	}
}

// check-config loads a configuration as the functions do, for make build and make deploy-*.
func TestCheckConfig(t *testing.T) {
	e := startKafka(t, "")
	runBin(t, call{args: []string{"check-config", "-config", e.cfg}}).want(t, exitOK, []string{"config " + e.cfg + ": 1 target(s) (k), 0 policy rule(s)"}, nil)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("targets:\n  k: {provider: kafak}\n"), 0o600)
	o := runBin(t, call{args: []string{"check-config", "-config", bad}})
	o.want(t, exitUsage, nil, []string{"offsetreset: config " + bad + ": "})
	if o.stdout != "" {
		t.Errorf("stdout: %s", o.stdout)
	}
	runBin(t, call{args: []string{"check-config"}}).want(t, exitUsage, nil, []string{"no configuration to check"})
	// Notify URLs live in the function's environment: neither the build machine nor an
	// operator's laptop needs them.
	notify := startKafka(t, "notify:\n  - {kind: slack, urlEnv: SLACK_WEBHOOK_URL}\n")
	runBin(t, call{args: []string{"check-config", "-config", notify.cfg}}).want(t, exitOK, []string{"1 target(s) (k)"}, nil)
	runBin(t, call{args: []string{"plan", "-config", notify.cfg, "k", "billing", "latest"}}).want(t, exitOK, []string{"planned"}, nil)
	notify.wantCommitted(t, "billing", initialBilling)
	runBin(t, call{args: []string{"help"}}).want(t, exitOK, []string{"offsetreset plan   [flags] TARGET GROUP|GLOB", "Exit codes: 0"}, nil)
	e.wantCommitted(t, "billing", initialBilling)
}
