package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"strings"
	"syscall"
	"time"

	"offsetreset/shared/reset"
	"offsetreset/shared/server"
)

// options are the flags of plan, apply and status.
type options struct {
	config, format, remote, reason, fromFile string
	yes, createGroup                         bool
	timeout                                  time.Duration
}

// runner runs one command on the local service or a remote function.
type runner func(ctx context.Context, cmd reset.Command) (answer, error)

// planRunner applies a plan the operator was shown (the dry-run results of cmd).
type planRunner func(ctx context.Context, cmd reset.Command, plan []*reset.Result) (answer, error)

// runReset is plan, apply and status: words → one reset command → the service (or -remote) →
// the answer in the chosen format, errors on stderr, and the exit code of the outcome.
func runReset(verb string, args []string, stdin *os.File, stdout, stderr io.Writer) int {
	fs := newFlagSet(verb, stderr)
	var o options
	fs.StringVar(&o.config, "config", "", "config file (default $OFFSETRESET_CONFIG, then ./"+defaultConfigFile+"; with neither, the embedded demo backends)")
	fs.StringVar(&o.format, "o", formatTable, "output: table, json (the API's result JSON) or csv (topic,partition,offset)")
	fs.StringVar(&o.remote, "remote", "", "send the command to a deployed function: its base URL (POST URL/v1/reset with $OFFSETRESET_API_TOKEN)")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Second, "bound on each run of the command against the backend")
	if verb != "status" {
		fs.StringVar(&o.reason, "reason", "", "why: copied into the audit line and the undo")
		fs.StringVar(&o.fromFile, "from-file", "", "explicit offsets from a CSV file (topic,partition,offset, as -o csv writes) instead of TO")
		fs.BoolVar(&o.createGroup, "create-group", false, "allow applying to a group that has no committed offsets (otherwise refused: a misspelt group is never created)")
	}
	if verb == "apply" {
		fs.BoolVar(&o.yes, "yes", false, "apply without asking; needed when stdin is not a terminal")
	}
	words, err := parseInterspersed(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if o.format != formatTable && o.format != formatJSON && o.format != formatCSV {
		sayf(stderr, "-o %q is not a format; use table, json or csv", o.format)
		return exitUsage
	}
	cmd, err := resetCommand(verb, words, o.fromFile)
	if err != nil {
		sayf(stderr, "%v", err)
		return exitUsage
	}
	cmd.Reason, cmd.CreateGroup = o.reason, o.createGroup
	if verb == "apply" && !o.yes && !isTerminal(stdin) {
		sayf(stderr, "apply asks before it changes offsets, and stdin is not a terminal, so nothing was applied: add --yes to apply from a script, or use offsetreset plan to see the plan")
		return exitUsage
	}

	// The first Ctrl-C cancels the run (the service reads back what it wrote and answers); a
	// second one ends the process.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	prog := newProgress(stderr, terminalWriter(stderr))
	defer prog.end()
	exec, applyPlan, undoFlags, closeRunner, err := newRunner(ctx, o, prog, stderr)
	if err != nil {
		sayf(stderr, "%v", err)
		return exitUsage
	}
	defer closeRunner()
	// Each run against the backend is bounded by -timeout; the prompt in between is not.
	var shown []*reset.Result // the plan the operator said yes to
	runOnce := func(stage string, c reset.Command) (answer, int) {
		rctx, cancel := context.WithTimeout(ctx, o.timeout)
		defer cancel()
		rctx = reset.WithProgress(rctx, prog.step)
		prog.start(stage + " " + describe(c))
		var a answer
		var err error
		if shown != nil && !c.DryRun {
			a, err = applyPlan(rctx, c, shown)
		} else {
			a, err = exec(rctx, c)
		}
		prog.end()
		if err != nil {
			code := exitFailed
			if re, ok := err.(*remoteError); ok {
				code = re.code
			}
			sayf(stderr, "%v", err)
			return a, code
		}
		return a, exitCode(a.results)
	}

	switch verb {
	case "plan", "status":
		cmd.DryRun = true
		stage := "planning"
		if verb == "status" {
			stage = "reading"
		}
		a, code := runOnce(stage, cmd)
		if a.results != nil {
			writeAnswer(stdout, stderr, o.format, verb == "status", a)
			reportErrors(stderr, a)
		}
		return code
	}

	// apply: on a terminal without --yes, the plan first and a question.
	if !o.yes {
		plan := cmd
		plan.DryRun = true
		a, code := runOnce("planning", plan)
		if a.results == nil {
			return code
		}
		planOut := stdout
		if o.format != formatTable {
			planOut = stderr // stdout carries only the applied answer in its format
		}
		writeAnswer(planOut, stderr, formatTable, false, a)
		reportErrors(stderr, a)
		if code != exitOK {
			sayf(stderr, "nothing was applied")
			return code
		}
		if !moves(a.results) {
			sayf(stderr, "nothing to apply: every selected partition is already there")
			return exitOK
		}
		if !ask(ctx, stdin, stderr, "Apply? [y/N] ") {
			sayf(stderr, "not applied; nothing changed")
			return exitRefused
		}
		// Apply exactly the offsets shown, refusing a group whose offsets moved in between.
		shown = a.results
	}
	a, code := runOnce("applying", cmd)
	if a.results == nil {
		return code
	}
	writeAnswer(stdout, stderr, o.format, false, a)
	reportErrors(stderr, a)
	undoOut := stdout
	if o.format != formatTable {
		undoOut = stderr
	}
	for _, r := range a.results {
		if r.Status != reset.StatusApplied && r.Status != reset.StatusPartial {
			continue
		}
		if r.Undo == nil {
			fmt.Fprintf(undoOut, "No offset-level undo for group %s: %s cannot set exact offsets (see the notes).\n", r.Group, r.Provider)
			continue
		}
		fmt.Fprintf(undoOut, "To undo: %s\n", undoLine(*r.Undo, undoFlags))
	}
	return code
}

// newRunner makes what runs the commands: the deployed function of -remote, or a service on the
// configuration (or the embedded demo backends) in this process, as trigger cli with the OS user
// as principal. undoFlags are the flags an undo line needs to reach the same backend.
func newRunner(ctx context.Context, o options, prog *progress, stderr io.Writer) (exec runner, applyPlan planRunner, undoFlags []string, release func(), err error) {
	if o.remote != "" {
		if o.config != "" {
			return nil, nil, nil, nil, fmt.Errorf("-remote sends the command to the function, which uses its own configuration; leave out -config %s", o.config)
		}
		rem, err := newRemote(o.remote, stderr)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		// The JSON API takes commands, not plans: the function resolves the command again.
		return rem.run, func(ctx context.Context, c reset.Command, _ []*reset.Result) (answer, error) { return rem.run(ctx, c) },
			[]string{"-remote", o.remote}, func() {}, nil
	}
	path, err := configPath(o.config)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	// Audit lines (one JSON line per applied or refused reset) go to stderr; stdout is the answer.
	slog.SetDefault(slog.New(slog.NewJSONHandler(stderr, nil)))
	if path == "" {
		prog.start("starting the embedded demo backends")
	} else {
		prog.start("loading " + path)
	}
	b, err := openBackend(ctx, path, false, stderr)
	prog.end()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	b.svc.Timeout = o.timeout
	// Policy: trigger cli; with no rule naming it, the command may plan and apply, like api.
	inv := server.Invocation{Trigger: server.TriggerCLI, Principal: "cli:" + osUser()}
	exec = func(ctx context.Context, cmd reset.Command) (answer, error) {
		cmds := []reset.Command{cmd}
		a := answer{results: b.svc.RunAll(ctx, inv, cmds), many: server.AnswerMany(false, cmds)}
		if o.format == formatJSON {
			// Only JSON is bounded in size (it may leave rows out); tables and CSV show every row.
			a.json = server.EncodeResults(a.results, a.many, false)
		}
		return a, nil
	}
	applyPlan = func(ctx context.Context, cmd reset.Command, plan []*reset.Result) (answer, error) {
		a := answer{results: b.svc.ApplyPlanned(ctx, inv, plan, cmd), many: server.AnswerMany(false, []reset.Command{cmd})}
		if o.format == formatJSON {
			a.json = server.EncodeResults(a.results, a.many, false)
		}
		return a, nil
	}
	if path != "" {
		undoFlags = []string{"-config", path}
	}
	return exec, applyPlan, undoFlags, b.Close, nil
}

// describe names what a command works on, for progress lines.
func describe(c reset.Command) string {
	g := c.Group
	if len(c.Groups) > 0 {
		g = strings.Join(c.Groups, ", ")
	}
	return fmt.Sprintf("group %s on target %s", g, c.Target)
}

// moves reports whether any planned row would change.
func moves(results []*reset.Result) bool {
	for _, r := range results {
		for _, p := range r.Partitions {
			if p.Status == reset.StatusPlanned {
				return true
			}
		}
	}
	return false
}

// ask asks a yes/no question on stderr and reads the answer from stdin; only y or yes is yes,
// and Ctrl-C (ctx ending) is no.
func ask(ctx context.Context, stdin io.Reader, stderr io.Writer, question string) bool {
	fmt.Fprint(stderr, question)
	answered := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		answered <- line
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(stderr)
		return false
	case line := <-answered:
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "y", "yes":
			return true
		}
		return false
	}
}

// osUser is the operator's login name for the policy and the audit line.
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return fmt.Sprintf("uid-%d", os.Getuid())
}
