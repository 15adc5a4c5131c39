package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"offsetreset/events"
	"offsetreset/functions/lambda/lambdatest"
	"offsetreset/shared/demo"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"offsetreset/shared/reset"
	"offsetreset/shared/server"
	"offsetreset/shared/trigger/samples"
)

// buildBootstrap builds the function as Lambda runs it (provided.al2023: a binary named bootstrap,
// tag lambda.norpc). It builds with the settings `go test` itself uses (cgo as the environment
// has it, no -trimpath), so on a fresh clone it reuses the packages the test build just compiled
// instead of rebuilding the standard library and every SDK; `make build` makes the release
// binaries with CGO_ENABLED=0 -trimpath.
func buildBootstrap(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command(goBin, "build", "-tags", "lambda.norpc", "-o", out, ".")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestBootstrap runs the built bootstrap against the Runtime API above: every Lambda sample of
// events/ goes in, in manifest order, against the demo data; the answers and the committed
// offsets are checked.
func TestBootstrap(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the bootstrap")
	}
	bin := buildBootstrap(t)
	ctx := context.Background()
	k, err := demo.StartKafka(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	cfg, err := samples.DemoConfig(events.FS, k.Addrs)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "offsetreset.yaml")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}

	boot := startBootstrap(t, bin,
		"OFFSETRESET_CONFIG="+cfgPath,
		"OFFSETRESET_API_TOKEN="+testSecrets.APIToken,
		"OFFSETRESET_WEBHOOK_TOKEN="+testSecrets.WebhookToken,
	)
	invoke := func(body []byte) lambdatest.Result { t.Helper(); return boot.invoke(t, "", body) }
	logs := boot.logs
	committed := func(group, topic string) map[int32]int64 {
		c, err := k.Committed(ctx, group)
		if err != nil {
			t.Fatal(err)
		}
		return c[topic]
	}
	end := int64(demo.DemoMessages)

	checks := map[string]func(r lambdatest.Result){
		"lambda/apigateway-v2-alertmanager.json": func(r lambdatest.Result) {
			var resp httpResponse
			var rep server.AlertReport
			if r.IsError || json.Unmarshal(r.Body, &resp) != nil || resp.StatusCode != 200 || json.Unmarshal([]byte(resp.Body), &rep) != nil ||
				rep.Alerts[0].Rule != "lag-critical-skip" || rep.Alerts[0].Result.Status != reset.StatusApplied {
				t.Fatalf("%s", r.Body)
			}
			if !all(committed("orders-etl", "orders"), end) {
				t.Fatalf("orders-etl/orders %v", committed("orders-etl", "orders"))
			}
		},
		"lambda/eventbridge-cloudwatch-alarm.json": func(r lambdatest.Result) {
			var rep server.AlertReport
			if r.IsError || json.Unmarshal(r.Body, &rep) != nil || rep.Alerts[0].Result.Status != reset.StatusApplied {
				t.Fatalf("%s", r.Body)
			}
			if !all(committed("orders-etl", "payments"), demo.OffsetAgo(6)) {
				t.Fatalf("orders-etl/payments %v", committed("orders-etl", "payments"))
			}
		},
		"lambda/function-url.json": func(r lambdatest.Result) {
			var resp httpResponse
			var res reset.Result
			if r.IsError || json.Unmarshal(r.Body, &resp) != nil || resp.StatusCode != 200 || json.Unmarshal([]byte(resp.Body), &res) != nil ||
				res.Status != reset.StatusPlanned || len(res.Partitions) != 9 {
				t.Fatalf("%s", r.Body)
			}
		},
		"lambda/schedule.json": func(r lambdatest.Result) {
			var results []reset.Result
			if r.IsError || json.Unmarshal(r.Body, &results) != nil || len(results) != 2 || results[0].Status != reset.StatusApplied || results[1].Status != reset.StatusPlanned {
				t.Fatalf("%s", r.Body)
			}
			if !all(committed("analytics-web", "clickstream"), end) || committed("billing", "orders")[0] != 20 {
				t.Fatal("schedule")
			}
		},
		"lambda/sns-cloudwatch-alarm.json": func(r lambdatest.Result) {
			var rep server.AlertReport
			if r.IsError || json.Unmarshal(r.Body, &rep) != nil || rep.Alerts[0].Result.Status != reset.StatusApplied {
				t.Fatalf("%s", r.Body)
			}
			if !all(committed("orders-etl", "payments"), end) {
				t.Fatalf("orders-etl/payments %v", committed("orders-etl", "payments"))
			}
		},
	}
	list, err := samples.Load(events.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.Platform != samples.PlatformLambda {
			continue
		}
		check, ok := checks[s.File]
		if !ok {
			t.Fatalf("Lambda sample %s has no check", s.File)
		}
		delete(checks, s.File)
		b, err := s.LambdaEvent(events.FS, testSecrets, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		check(invoke(b))
	}
	if len(checks) > 0 {
		t.Fatalf("checks for samples not in the manifest: %v", checks)
	}

	// An invalid command is not retried (the same input gets the same answer): it answers
	// normally and is counted in an embedded-metric-format line on stdout.
	r := invoke([]byte(`{"target":"nope","group":"g","to":"latest"}`))
	if r.IsError || !strings.Contains(string(r.Body), `"status":"invalid"`) {
		t.Fatalf("%+v %s", r, r.Body)
	}
	// An event the function cannot read is an error, with the sentence.
	r = invoke([]byte(`"reset everything"`))
	var e struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if !r.IsError || json.Unmarshal(r.Body, &e) != nil || e.ErrorType != "InvalidEvent" || !strings.HasPrefix(e.ErrorMessage, "invalid: the body must be a JSON object") {
		t.Fatalf("%+v %s", r, r.Body)
	}
	// The process keeps serving after an error.
	r = invoke([]byte(`{"target":"demo","group":"billing","to":"latest","dryRun":true}`))
	if r.IsError || !strings.Contains(string(r.Body), `"status":"planned"`) {
		t.Fatalf("%s", r.Body)
	}
	// Audit lines went to stdout; no secret did.
	out := logs.String()
	if !strings.Contains(out, `"Invalid":1,"NotDone":1`) || !strings.Contains(out, `"Namespace":"offsetreset"`) {
		t.Fatalf("no metrics line: %s", out)
	}
	if !strings.Contains(out, `"msg":"offsetreset.audit"`) || !strings.Contains(out, `"principal":"alert:cloudwatch:cloudwatch-critical-skip"`) || !strings.Contains(out, `"requestId":"req-5"`) {
		t.Fatalf("audit: %s", out)
	}
	for _, secret := range []string{testSecrets.APIToken, testSecrets.WebhookToken} {
		if strings.Contains(out, secret) {
			t.Fatalf("secret %q in the logs", secret)
		}
	}
}

// bootProc is the built bootstrap running against a fake Runtime API.
type bootProc struct {
	api    *lambdatest.RuntimeAPI
	logs   *lockedBuf
	exited chan error
	n      int
}

// startBootstrap runs bin as Lambda would: AWS_LAMBDA_RUNTIME_API pointing at a fake Runtime
// API, function name offsetreset, the environment without this machine's OFFSETRESET_*, AWS_*,
// proxy and CA variables, plus env. It is stopped (and its output shown on failure) when the
// test ends.
func startBootstrap(t *testing.T, bin string, env ...string) *bootProc {
	t.Helper()
	api := lambdatest.Start()
	proc := exec.Command(bin)
	var base []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch upper := strings.ToUpper(name); {
		case strings.HasPrefix(upper, "OFFSETRESET_"), strings.HasPrefix(upper, "AWS_"), strings.HasPrefix(upper, "_LAMBDA"),
			strings.HasPrefix(upper, "ALIBABA_CLOUD_"), upper == "HTTPS_PROXY", upper == "HTTP_PROXY", upper == "NO_PROXY", upper == "SSL_CERT_FILE", upper == "SSL_CERT_DIR":
		default:
			base = append(base, kv)
		}
	}
	proc.Env = append(append(base, "AWS_LAMBDA_RUNTIME_API="+api.Addr(), "AWS_LAMBDA_FUNCTION_NAME=offsetreset"), env...)
	b := &bootProc{api: api, logs: &lockedBuf{}, exited: make(chan error, 1)}
	proc.Stdout, proc.Stderr = b.logs, b.logs
	if err := proc.Start(); err != nil {
		api.Close()
		t.Fatal(err)
	}
	go func() { b.exited <- proc.Wait() }()
	t.Cleanup(func() {
		proc.Process.Kill()
		<-b.exited
		api.Close()
		if t.Failed() {
			t.Logf("bootstrap output:\n%s", b.logs.String())
		}
	})
	return b
}

// invoke hands the function one event (request id id, or req-N when "") and waits for what it
// posts back.
func (b *bootProc) invoke(t *testing.T, id string, body []byte) lambdatest.Result {
	t.Helper()
	b.n++
	if id == "" {
		id = fmt.Sprintf("req-%d", b.n)
	}
	select {
	case b.api.Events <- lambdatest.Invocation{ID: id, Body: body}:
	case err := <-b.exited:
		t.Fatalf("the bootstrap exited: %v\n%s", err, b.logs.String())
	case <-time.After(60 * time.Second):
		t.Fatal("the bootstrap never asked for the next event")
	}
	select {
	case r := <-b.api.Results:
		if r.ID != id {
			t.Fatalf("answer for %s, expected %s: %s", r.ID, id, r.Body)
		}
		return r
	case err := <-b.exited:
		t.Fatalf("the bootstrap exited: %v\n%s", err, b.logs.String())
	case <-time.After(60 * time.Second):
		t.Fatal("no answer within 60 s")
	}
	return lambdatest.Result{}
}
