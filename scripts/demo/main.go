// Command demo is `make demo`: it builds the offsetreset command and the Lambda bootstrap, starts
// `offsetreset serve` on the embedded backends (in-process Kafka broker and cloud API emulators) with
// events/demo.yaml's policy and alert rules, sends every sample of events/ (FC and HTTP samples
// to the server, signed as their senders sign them; Lambda samples through the built bootstrap
// against a local Runtime API), walks a chat plan → confirm, prints what each did as readable
// tables, and shuts everything down.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"offsetreset/events"
	"offsetreset/shared/server"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"offsetreset/functions/lambda/lambdatest"
	"offsetreset/shared/reset"
	"offsetreset/shared/trigger/samples"
)

// The demo secrets `offsetreset serve` sets for the embedded backends.
var secrets = server.Secrets{
	APIToken:     "demo-api-token",
	WebhookToken: "demo-webhook-token",
	WebhookHMAC:  "demo-hmac-secret",
	SlackSigning: "demo-slack-signing-secret",
	DingTalkApp:  "demo-dingtalk-app-secret",
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run() error {
	dir, err := os.MkdirTemp("", "offsetreset-demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	step("building functions/offsetreset and functions/lambda")
	for _, b := range []struct{ out, pkg string }{{"offsetreset", "./functions/offsetreset"}, {"bootstrap", "./functions/lambda"}} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, b.out), b.pkg)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build %s: %w", b.pkg, err)
		}
	}

	step("starting offsetreset serve on the embedded backends")
	local := exec.Command(filepath.Join(dir, "offsetreset"), "serve", "-addr", "127.0.0.1:0", "-policy", "events/demo.yaml")
	local.Env = cleanEnv()
	local.Stderr = io.Discard // the server's JSON audit log; the tables below say the same
	out, err := local.StdoutPipe()
	if err != nil {
		return err
	}
	if err := local.Start(); err != nil {
		return err
	}
	defer func() { local.Process.Signal(os.Interrupt); local.Wait() }()
	base, broker, err := banner(out)
	if err != nil {
		return err
	}

	list, err := samples.Load(events.FS)
	if err != nil {
		return err
	}
	// The story: a dry run through the API, a person's plan → confirm in chat, the nightly
	// schedule, then the alerts (which find some lag already gone and say so), then Lambda.
	order := func(s samples.Sample) int {
		switch {
		case s.Path == "/v1/reset":
			return 0
		case strings.HasPrefix(s.Path, "/v1/chat/"):
			return 1
		case s.Path == "/invoke":
			return 2
		}
		return 3
	}
	sort.SliceStable(list, func(i, j int) bool { return order(list[i]) < order(list[j]) })
	ctx := context.Background()
	var lambdaSamples []samples.Sample
	for _, s := range list {
		if s.Platform == "lambda" {
			lambdaSamples = append(lambdaSamples, s)
			continue
		}
		req, err := s.Request(ctx, events.FS, base, secrets, time.Now())
		if err != nil {
			return fmt.Errorf("%s: %w", s.File, err)
		}
		code, body, err := send(req)
		if err != nil {
			return fmt.Errorf("%s: %w", s.File, err)
		}
		show(fmt.Sprintf("%s  (%s %s %s → HTTP %d)", s.Title, s.Method, s.Path, s.File, code), body)
		if s.Auth == samples.AuthSlack {
			if err := confirm(ctx, s, base, body); err != nil {
				return err
			}
		}
	}

	step("Lambda: the built bootstrap against a local Runtime API, on the same broker")
	cfg, err := samples.DemoConfig(events.FS, []string{broker})
	if err != nil {
		return err
	}
	cfgPath := filepath.Join(dir, "offsetreset.yaml")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		return err
	}
	api := lambdatest.Start()
	defer api.Close()
	fn := exec.Command(filepath.Join(dir, "bootstrap"))
	fn.Env = append(cleanEnv(), "AWS_LAMBDA_RUNTIME_API="+api.Addr(), "AWS_LAMBDA_FUNCTION_NAME=offsetreset",
		"OFFSETRESET_CONFIG="+cfgPath, "OFFSETRESET_API_TOKEN="+secrets.APIToken, "OFFSETRESET_WEBHOOK_TOKEN="+secrets.WebhookToken)
	fn.Stderr, fn.Stdout = io.Discard, io.Discard
	if err := fn.Start(); err != nil {
		return err
	}
	defer func() { fn.Process.Kill(); fn.Wait() }()
	for i, s := range lambdaSamples {
		ev, err := s.LambdaEvent(events.FS, secrets, time.Now())
		if err != nil {
			return fmt.Errorf("%s: %w", s.File, err)
		}
		id := fmt.Sprintf("demo-%d", i)
		select {
		case api.Events <- lambdatest.Invocation{ID: id, Body: ev}:
		case <-time.After(30 * time.Second):
			return fmt.Errorf("the Lambda bootstrap did not ask for an event")
		}
		var r lambdatest.Result
		select {
		case r = <-api.Results:
		case <-time.After(60 * time.Second):
			return fmt.Errorf("%s: no answer from the bootstrap", s.File)
		}
		kind := "response"
		if r.IsError {
			kind = "error (Lambda retries/DLQ see it)"
		}
		show(fmt.Sprintf("%s  (Lambda %s → %s)", s.Title, s.File, kind), unwrapLambda(r.Body))
	}
	step("done: every sample in events/ was sent; the servers are shut down")
	return nil
}

// banner reads the server's startup lines: its URL and the embedded broker's address.
func banner(out io.Reader) (base, broker string, err error) {
	sc := bufio.NewScanner(out)
	listen := regexp.MustCompile(`listening on (http://\S+)`)
	kafka := regexp.MustCompile(`embedded Kafka at (\S+):`)
	deadline := time.AfterFunc(60*time.Second, func() {})
	defer deadline.Stop()
	for sc.Scan() {
		line := sc.Text()
		fmt.Println("  " + line)
		if m := listen.FindStringSubmatch(line); m != nil {
			base = m[1]
		}
		if m := kafka.FindStringSubmatch(line); m != nil {
			broker = m[1]
		}
		if strings.HasPrefix(strings.TrimSpace(line), "Try:") {
			break
		}
	}
	go io.Copy(io.Discard, out)
	if base == "" || broker == "" {
		return "", "", fmt.Errorf("the local server did not start (no listening line)")
	}
	return base, broker, nil
}

// confirm completes a Slack plan: it finds the confirm token in the reply and sends
// `/offsets confirm <token>` as the same user, signed like Slack signs it.
func confirm(ctx context.Context, s samples.Sample, base string, planReply []byte) error {
	m := regexp.MustCompile(`confirm ([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)`).FindSubmatch(planReply)
	if m == nil {
		fmt.Println("  (no confirm token in the plan reply; nothing to confirm)")
		return nil
	}
	raw, err := s.Body(events.FS)
	if err != nil {
		return err
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		return err
	}
	form.Set("text", "confirm "+string(m[1]))
	body := []byte(form.Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+s.Path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", s.ContentType)
	if _, err := samples.Sign(s.Auth, req.Header, body, secrets, time.Now()); err != nil {
		return err
	}
	code, reply, err := send(req)
	if err != nil {
		return err
	}
	show(fmt.Sprintf("Slack /offsets confirm <token from the plan above>  (POST %s → HTTP %d)", s.Path, code), reply)
	return nil
}

func send(req *http.Request) (int, []byte, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// unwrapLambda turns a Lambda answer into its payload: a Function URL response's body, or the
// function's JSON as is.
func unwrapLambda(b []byte) []byte {
	var fu struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if json.Unmarshal(b, &fu) == nil && fu.StatusCode != 0 {
		return []byte(fu.Body)
	}
	return b
}

// show prints one answer: every reset result found in it as a table, chat text as text.
func show(title string, body []byte) {
	fmt.Printf("\n▶ %s\n", title)
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		fmt.Println("  " + strings.TrimSpace(string(body)))
		return
	}
	if !walk(v, "  ") {
		fmt.Println("  " + strings.TrimSpace(string(body)))
	}
}

// walk finds results, alert outcomes and chat text in an answer; it reports whether it printed.
func walk(v any, indent string) bool {
	switch x := v.(type) {
	case []any:
		printed := false
		for _, e := range x {
			printed = walk(e, indent) || printed
		}
		return printed
	case map[string]any:
		if _, ok := x["partitions"]; ok {
			if _, ok := x["status"]; ok {
				b, _ := json.Marshal(x)
				var r reset.Result
				if json.Unmarshal(b, &r) == nil {
					table(&r, indent)
					return true
				}
			}
		}
		if a, ok := x["alert"].(string); ok {
			fmt.Printf("%salert %s (%v): %v %v\n", indent, a, x["state"], x["outcome"], or(x["reason"], ""))
			if r, ok := x["result"]; ok {
				walk(r, indent+"  ")
			}
			return true
		}
		for _, k := range []string{"text", "markdown"} {
			if t, ok := x[k].(string); ok && strings.Contains(t, "\n") {
				for _, l := range strings.Split(strings.TrimSpace(t), "\n") {
					fmt.Println(indent + "│ " + l)
				}
				return true
			}
		}
		printed := false
		for _, k := range []string{"blocks", "markdown", "alerts", "results", "text"} {
			if e, ok := x[k]; ok {
				printed = walk(e, indent) || printed
			}
		}
		if e, ok := x["error"].(string); ok && !printed && e != "" {
			fmt.Println(indent + e)
			return true
		}
		return printed
	}
	return false
}

func or(v any, d string) any {
	if v == nil {
		return d
	}
	return "— " + fmt.Sprint(v)
}

// table prints a result as a per-partition table.
func table(r *reset.Result, indent string) {
	fmt.Printf("%s%s: %s %s on %s → %s", indent, strings.ToUpper(string(r.Status)), r.Provider, r.Group, r.Target, r.To)
	if r.Skipped != nil {
		fmt.Printf("  (skipped %d)", *r.Skipped)
	}
	fmt.Println()
	if r.Error != "" {
		fmt.Printf("%s%s\n", indent, r.Error)
	}
	if len(r.Partitions) > 0 {
		fmt.Printf("%s  %-12s %4s %8s %8s %8s %8s %8s  %s\n", indent, "topic", "part", "before", "after", "start", "end", "skipped", "status")
	}
	for i, p := range r.Partitions {
		if i == 12 {
			fmt.Printf("%s  … %d more partitions\n", indent, len(r.Partitions)-12)
			break
		}
		fmt.Printf("%s  %-12s %4d %8s %8s %8s %8s %8s  %s %s\n", indent, p.Topic, p.Partition, n(p.Before), n(p.After), n(p.LogStart), n(p.LogEnd), n(p.Skipped), p.Status, p.Error)
	}
	if r.Undo != nil {
		u, _ := json.Marshal(r.Undo)
		fmt.Printf("%s  undo: %s\n", indent, u)
	}
}

func n(v *int64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprint(*v)
}

func step(s string) { fmt.Printf("\n== %s\n", s) }

// cleanEnv drops the caller's offsetreset and cloud variables, so the demo only ever talks to the
// embedded backends with the demo secrets.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		for _, p := range []string{"OFFSETRESET_", "ALIBABA_CLOUD_", "HUAWEICLOUD_SDK_", "AWS_"} {
			if strings.HasPrefix(kv, p) {
				goto skip
			}
		}
		env = append(env, kv)
	skip:
	}
	return env
}
