// Command walkthrough is the body of `make demo` (scripts/demo builds it and runs it with -bin,
// the directory holding the built offsetreset command and Lambda bootstrap). It sends every
// sample of events/ the way its sender does — FC and HTTP samples signed to `offsetreset serve`
// on the embedded backends with events/demo.yaml's policy and alert rules, Lambda samples
// through the built bootstrap against a local Runtime API — each to a freshly started server,
// so every sample acts on fresh demo data and every table shows a real move. It walks a chat
// plan → confirm, runs a few offsetreset plan/apply/status commands against the served demo
// (-remote), prints what each did as readable tables, and shuts everything down.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"offsetreset/events"
	"offsetreset/functions/lambda/lambdatest"
	"offsetreset/shared/reset"
	"offsetreset/shared/server"
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
	bin := flag.String("bin", "", "directory with the built offsetreset and lambda binaries")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "walkthrough: run it through make demo (go run ./scripts/demo), which builds the binaries")
		os.Exit(2)
	}
	if err := run(*bin); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(bin string) error {
	dir, err := os.MkdirTemp("", "offsetreset-walkthrough")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cli := filepath.Join(bin, "offsetreset")

	step("starting offsetreset serve -policy events/demo.yaml on the embedded backends")
	first, err := serve(cli, true)
	if err != nil {
		return err
	}
	first.stop()
	fmt.Println("\nEvery sample below goes to a freshly started server (fresh demo data), so each one acts.")

	list, err := samples.Load(events.FS)
	if err != nil {
		return err
	}
	// The story: dry runs and resets through the JSON API, a person's plan → confirm in chat, the
	// nightly schedules, the alerts, then Lambda; in each part the demo broker first, then the
	// cloud emulators.
	parts := []string{"the JSON API (POST /v1/reset)", "chat", "schedules (FC timer events on POST /invoke)", "alert webhooks"}
	part := func(s samples.Sample) int {
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
	sort.SliceStable(list, func(i, j int) bool { return part(list[i]) < part(list[j]) })
	ctx := context.Background()
	var lambdaSamples []samples.Sample
	shown := -1
	for _, s := range list {
		if s.Platform == samples.PlatformLambda {
			lambdaSamples = append(lambdaSamples, s)
			continue
		}
		if p := part(s); p != shown {
			step(parts[p])
			shown = p
		}
		if err := sendHTTP(ctx, cli, s); err != nil {
			return fmt.Errorf("%s: %w", s.File, err)
		}
	}

	step("Lambda: the built bootstrap against a local Runtime API, each event on a fresh demo broker")
	for i, s := range lambdaSamples {
		if err := sendLambda(cli, filepath.Join(bin, "lambda"), dir, i, s); err != nil {
			return fmt.Errorf("%s: %w", s.File, err)
		}
	}

	step("the offsetreset command against the served demo (-remote: what an operator runs against a deployed function)")
	if err := commands(cli, dir); err != nil {
		return err
	}
	step("done: every sample in events/ was sent and the servers are shut down; try `go run ./functions/offsetreset help`")
	return nil
}

// served is a running `offsetreset serve` on the embedded backends.
type served struct {
	proc   *exec.Cmd
	base   string // http://127.0.0.1:port
	broker string // the embedded Kafka broker
}

// serve starts `offsetreset serve -policy events/demo.yaml` on a free port and reads its banner
// (printed when print is set) up to the empty line after its Try: lines.
func serve(cli string, print bool) (*served, error) {
	cmd := exec.Command(cli, "serve", "-addr", "127.0.0.1:0", "-policy", "events/demo.yaml")
	cmd.Env = cleanEnv()
	cmd.Stderr = io.Discard // the server's JSON audit log; the tables below say the same
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &served{proc: cmd}
	sc := bufio.NewScanner(out)
	listen := regexp.MustCompile(`listening on (http://\S+)`)
	kafka := regexp.MustCompile(`embedded Kafka at (\S+):`)
	try := false
	for sc.Scan() {
		line := sc.Text()
		if print && line != "" {
			fmt.Println("  " + line)
		} else if print {
			fmt.Println()
		}
		if m := listen.FindStringSubmatch(line); m != nil {
			s.base = m[1]
		}
		if m := kafka.FindStringSubmatch(line); m != nil {
			s.broker = m[1]
		}
		if line == "Try:" {
			try = true
		} else if try && line == "" {
			break
		}
	}
	go io.Copy(io.Discard, out)
	if s.base == "" || s.broker == "" || !try {
		s.stop()
		return nil, fmt.Errorf("offsetreset serve did not start (no listening line and Try: block)")
	}
	return s, nil
}

// stop interrupts the server, as Ctrl-C does, and waits for it.
func (s *served) stop() {
	s.proc.Process.Signal(os.Interrupt)
	s.proc.Wait()
}

// sendHTTP sends an fc or http sample to a fresh server and shows the answer; a Slack plan is
// confirmed by the same user.
func sendHTTP(ctx context.Context, cli string, s samples.Sample) error {
	srv, err := serve(cli, false)
	if err != nil {
		return err
	}
	defer srv.stop()
	req, err := s.Request(ctx, events.FS, srv.base, secrets, time.Now())
	if err != nil {
		return err
	}
	code, body, err := send(req)
	if err != nil {
		return err
	}
	show(fmt.Sprintf("%s  (%s %s %s → HTTP %d)", s.Title, s.Method, s.Path, s.File, code), body)
	if s.Auth == samples.AuthSlack {
		return confirm(ctx, s, srv.base, body)
	}
	return nil
}

// sendLambda runs a Lambda sample through the built bootstrap, configured by events/demo.yaml on
// the broker of a fresh server.
func sendLambda(cli, bootstrap, dir string, i int, s samples.Sample) error {
	srv, err := serve(cli, false)
	if err != nil {
		return err
	}
	defer srv.stop()
	cfg, err := samples.DemoConfig(events.FS, []string{srv.broker})
	if err != nil {
		return err
	}
	cfgPath := filepath.Join(dir, fmt.Sprintf("offsetreset-%d.yaml", i))
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		return err
	}
	api := lambdatest.Start()
	defer api.Close()
	fn := exec.Command(bootstrap)
	fn.Env = append(cleanEnv(), "AWS_LAMBDA_RUNTIME_API="+api.Addr(), "AWS_LAMBDA_FUNCTION_NAME=offsetreset",
		"OFFSETRESET_CONFIG="+cfgPath, "OFFSETRESET_API_TOKEN="+secrets.APIToken, "OFFSETRESET_WEBHOOK_TOKEN="+secrets.WebhookToken)
	fn.Stderr, fn.Stdout = io.Discard, io.Discard
	if err := fn.Start(); err != nil {
		return err
	}
	defer func() { fn.Process.Kill(); fn.Wait() }()
	ev, err := s.LambdaEvent(events.FS, secrets, time.Now())
	if err != nil {
		return err
	}
	select {
	case api.Events <- lambdatest.Invocation{ID: fmt.Sprintf("demo-%d", i), Body: ev}:
	case <-time.After(30 * time.Second):
		return fmt.Errorf("the Lambda bootstrap did not ask for an event")
	}
	var r lambdatest.Result
	select {
	case r = <-api.Results:
	case <-time.After(60 * time.Second):
		return fmt.Errorf("no answer from the bootstrap")
	}
	kind := "response"
	if r.IsError {
		kind = "error (Lambda retries/DLQ see it)"
	}
	show(fmt.Sprintf("%s  (Lambda %s → %s)", s.Title, s.File, kind), unwrapLambda(r.Body))
	return nil
}

// commands runs offsetreset plan, apply and status against one served demo, as an operator runs
// them against a deployed function, in dir, and prints each command line and what it printed:
// a status and a plan on cloud emulators, then on the demo broker a CSV export, a shift, and the
// export applied back with --from-file.
func commands(cli, dir string) error {
	srv, err := serve(cli, false)
	if err != nil {
		return err
	}
	defer srv.stop()
	for _, c := range []struct {
		args []string
		save string // stdout goes to this file, as `> file` in a shell
	}{
		{[]string{"status", "-remote", srv.base, "hw-kafka-demo", "orders-etl"}, ""},
		{[]string{"plan", "-remote", srv.base, "ali-kafka-demo", "analytics-web", "clickstream", "latest"}, ""},
		{[]string{"status", "-remote", srv.base, "-o", "csv", "demo", "billing", "orders"}, "billing.csv"},
		{[]string{"apply", "--yes", "-remote", srv.base, "-reason", "replay after the INC-4211 fix", "demo", "billing", "orders:0,1", "shift:-10"}, ""},
		{[]string{"apply", "--yes", "-remote", srv.base, "--from-file", "billing.csv", "demo", "billing"}, ""},
	} {
		line := "offsetreset " + shellWords(c.args)
		if c.save != "" {
			line += " > " + c.save
		}
		fmt.Printf("\n$ OFFSETRESET_API_TOKEN=%s %s\n", secrets.APIToken, line)
		cmd := exec.Command(cli, c.args...)
		cmd.Dir = dir
		cmd.Env = append(cleanEnv(), "OFFSETRESET_API_TOKEN="+secrets.APIToken)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		code := 0
		if err := cmd.Run(); err != nil {
			ee, ok := err.(*exec.ExitError)
			if !ok {
				return err
			}
			code = ee.ExitCode()
		}
		if c.save != "" {
			if err := os.WriteFile(filepath.Join(dir, c.save), stdout.Bytes(), 0o600); err != nil {
				return err
			}
			fmt.Printf("  (%s:)\n", c.save)
		}
		for _, out := range []string{stdout.String(), stderr.String()} {
			if out = strings.TrimRight(out, "\n"); out != "" {
				for _, l := range strings.Split(out, "\n") {
					fmt.Println("  " + l)
				}
			}
		}
		fmt.Printf("  (exit %d)\n", code)
	}
	return nil
}

// shellWords quotes the words that need it, for printing a command line.
func shellWords(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if strings.ContainsAny(a, " '\"$*?") {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

// confirm completes a Slack plan: it finds the confirm token in the reply (the text's
// "confirm <token>" or the value of its Apply button) and sends `/offsets confirm <token>` as the
// same user, signed like Slack signs it.
func confirm(ctx context.Context, s samples.Sample, base string, planReply []byte) error {
	m := regexp.MustCompile(`(?:confirm |"value":")([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)`).FindSubmatch(planReply)
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
		for _, k := range []string{"blocks", "markdown", "actionCard", "alerts", "results", "text"} {
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

// table prints a result as a per-partition table; a whole-topic row (partition -1, RocketMQ
// backends without per-queue detail) is "all".
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
		fmt.Printf("%s  %-12s %4s %11s %11s %11s %11s %8s  %s\n", indent, "topic", "part", "before", "after", "start", "end", "skipped", "status")
	}
	for i, p := range r.Partitions {
		if i == 12 {
			fmt.Printf("%s  … %d more partitions\n", indent, len(r.Partitions)-12)
			break
		}
		part := fmt.Sprint(p.Partition)
		if p.Partition < 0 {
			part = "all"
		}
		fmt.Printf("%s  %-12s %4s %11s %11s %11s %11s %8s  %s %s\n", indent, p.Topic, part, n(p.Before), n(p.After), n(p.LogStart), n(p.LogEnd), n(p.Skipped), p.Status, p.Error)
	}
	for _, note := range r.Notes {
		fmt.Printf("%s  note: %s\n", indent, note)
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
