package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"offsetreset/shared/demo"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"offsetreset/shared/reset"
	"offsetreset/shared/server"
	"offsetreset/shared/trigger/samples"
)

// runtimeAPI is a small Lambda Runtime API: it hands out queued events on
// GET /2018-06-01/runtime/invocation/next and collects what the function posts to
// …/{id}/response and …/{id}/error (answering 202, as Lambda does).
type runtimeAPI struct {
	events  chan invocation
	results chan invokeResult
}

type invocation struct {
	id   string
	body []byte
}

type invokeResult struct {
	id      string
	isError bool
	body    []byte
}

func (r *runtimeAPI) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	const prefix = "/2018-06-01/runtime/"
	path := strings.TrimPrefix(req.URL.Path, prefix)
	switch {
	case req.Method == http.MethodGet && path == "invocation/next":
		select {
		case ev := <-r.events:
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", ev.id)
			w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(60*time.Second).UnixMilli(), 10))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:offsetreset")
			w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
			w.Write(ev.body)
		case <-req.Context().Done():
		}
	case req.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		rest := strings.TrimPrefix(path, "invocation/")
		id, kind, _ := strings.Cut(rest, "/")
		body, _ := io.ReadAll(req.Body)
		if kind != "response" && kind != "error" {
			http.NotFound(w, req)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		r.results <- invokeResult{id: id, isError: kind == "error", body: body}
	case req.Method == http.MethodPost && path == "init/error":
		body, _ := io.ReadAll(req.Body)
		w.WriteHeader(http.StatusAccepted)
		r.results <- invokeResult{id: "init", isError: true, body: body}
	default:
		http.NotFound(w, req)
	}
}

// buildBootstrap builds the function as Lambda runs it (provided.al2023: a binary named bootstrap).
func buildBootstrap(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command(goBin, "build", "-tags", "lambda.norpc", "-trimpath", "-o", out, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
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
	cfg, err := samples.DemoConfig(eventsDir, k.Addrs)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "offsetreset.yaml")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}

	api := &runtimeAPI{events: make(chan invocation), results: make(chan invokeResult)}
	srv := httptest.NewServer(api)
	defer srv.Close()

	proc := exec.Command(bin)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OFFSETRESET_") && !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "_LAMBDA") {
			env = append(env, kv)
		}
	}
	proc.Env = append(env,
		"AWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(srv.URL, "http://"),
		"AWS_LAMBDA_FUNCTION_NAME=offsetreset",
		"OFFSETRESET_CONFIG="+cfgPath,
		"OFFSETRESET_API_TOKEN="+testSecrets.APIToken,
		"OFFSETRESET_WEBHOOK_TOKEN="+testSecrets.WebhookToken,
	)
	logs := &lockedBuf{}
	proc.Stdout, proc.Stderr = logs, logs
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- proc.Wait() }()
	defer func() {
		proc.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("bootstrap output:\n%s", logs.String())
		}
	}()

	n := 0
	invoke := func(body []byte) invokeResult {
		t.Helper()
		n++
		id := fmt.Sprintf("req-%d", n)
		select {
		case api.events <- invocation{id: id, body: body}:
		case err := <-exited:
			t.Fatalf("the bootstrap exited: %v\n%s", err, logs.String())
		case <-time.After(60 * time.Second):
			t.Fatal("the bootstrap never asked for the next event")
		}
		select {
		case r := <-api.results:
			if r.id != id {
				t.Fatalf("answer for %s, expected %s: %s", r.id, id, r.body)
			}
			return r
		case err := <-exited:
			t.Fatalf("the bootstrap exited: %v\n%s", err, logs.String())
		case <-time.After(60 * time.Second):
			t.Fatal("no answer within 60 s")
		}
		return invokeResult{}
	}
	committed := func(group, topic string) map[int32]int64 {
		c, err := k.Committed(ctx, group)
		if err != nil {
			t.Fatal(err)
		}
		return c[topic]
	}
	end := int64(demo.DemoMessages)

	checks := map[string]func(r invokeResult){
		"lambda/apigateway-v2-alertmanager.json": func(r invokeResult) {
			var resp httpResponse
			var rep server.AlertReport
			if r.isError || json.Unmarshal(r.body, &resp) != nil || resp.StatusCode != 200 || json.Unmarshal([]byte(resp.Body), &rep) != nil ||
				rep.Alerts[0].Rule != "lag-critical-skip" || rep.Alerts[0].Result.Status != reset.StatusApplied {
				t.Fatalf("%s", r.body)
			}
			if !all(committed("orders-etl", "orders"), end) {
				t.Fatalf("orders-etl/orders %v", committed("orders-etl", "orders"))
			}
		},
		"lambda/eventbridge-cloudwatch-alarm.json": func(r invokeResult) {
			var rep server.AlertReport
			if r.isError || json.Unmarshal(r.body, &rep) != nil || rep.Alerts[0].Result.Status != reset.StatusApplied {
				t.Fatalf("%s", r.body)
			}
			if !all(committed("orders-etl", "payments"), demo.OffsetAgo(6)) {
				t.Fatalf("orders-etl/payments %v", committed("orders-etl", "payments"))
			}
		},
		"lambda/function-url.json": func(r invokeResult) {
			var resp httpResponse
			var res reset.Result
			if r.isError || json.Unmarshal(r.body, &resp) != nil || resp.StatusCode != 200 || json.Unmarshal([]byte(resp.Body), &res) != nil ||
				res.Status != reset.StatusPlanned || len(res.Partitions) != 9 {
				t.Fatalf("%s", r.body)
			}
		},
		"lambda/schedule.json": func(r invokeResult) {
			var results []reset.Result
			if r.isError || json.Unmarshal(r.body, &results) != nil || len(results) != 2 || results[0].Status != reset.StatusApplied || results[1].Status != reset.StatusPlanned {
				t.Fatalf("%s", r.body)
			}
			if !all(committed("analytics-web", "clickstream"), end) || committed("billing", "orders")[0] != 20 {
				t.Fatal("schedule")
			}
		},
		"lambda/sns-cloudwatch-alarm.json": func(r invokeResult) {
			var rep server.AlertReport
			if r.isError || json.Unmarshal(r.body, &rep) != nil || rep.Alerts[0].Result.Status != reset.StatusApplied {
				t.Fatalf("%s", r.body)
			}
			if !all(committed("orders-etl", "payments"), end) {
				t.Fatalf("orders-etl/payments %v", committed("orders-etl", "payments"))
			}
		},
	}
	list, err := samples.Load(eventsDir)
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
		b, err := s.LambdaEvent(eventsDir, testSecrets, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		check(invoke(b))
	}
	if len(checks) > 0 {
		t.Fatalf("checks for samples not in the manifest: %v", checks)
	}

	// A run with an invalid command is an error for Lambda (retries, DLQ), with the sentence.
	r := invoke([]byte(`{"target":"nope","group":"g","to":"latest"}`))
	var e struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if !r.isError || json.Unmarshal(r.body, &e) != nil || e.ErrorType != "ResetError" ||
		e.ErrorMessage != `1 of 1 commands need attention: invalid nope/g: unknown target "nope"; configured targets: demo` {
		t.Fatalf("%+v %s", r, r.body)
	}
	// The process keeps serving after an error.
	r = invoke([]byte(`{"target":"demo","group":"billing","to":"latest","dryRun":true}`))
	if r.isError || !strings.Contains(string(r.body), `"status":"planned"`) {
		t.Fatalf("%s", r.body)
	}
	// Audit lines went to stdout; no secret did.
	out := logs.String()
	if !strings.Contains(out, `"msg":"offsetreset.audit"`) || !strings.Contains(out, `"principal":"alert:cloudwatch:cloudwatch-critical-skip"`) || !strings.Contains(out, `"requestId":"req-5"`) {
		t.Fatalf("audit: %s", out)
	}
	for _, secret := range []string{testSecrets.APIToken, testSecrets.WebhookToken} {
		if strings.Contains(out, secret) {
			t.Fatalf("secret %q in the logs", secret)
		}
	}
}
