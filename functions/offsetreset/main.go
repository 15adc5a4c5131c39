// Command offsetreset is the operator's terminal for offsetreset, one more platform beside FC and
// Lambda: plan, apply and status turn words into one reset command and run it through the same
// service every function runs (trigger "cli", principal the OS user, the configuration's policy),
// or send it to a deployed function with -remote; serve runs that service's HTTP handler on a
// laptop. With no configuration it starts the embedded demo backends, so
// `offsetreset plan demo billing orders latest` works on a fresh machine.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes: one per kind of outcome, so scripts can tell them apart.
const (
	exitOK      = 0 // planned, applied, unchanged
	exitFailed  = 1 // failed or unknown: look before retrying
	exitUsage   = 2 // invalid input or usage; nothing changed
	exitRefused = 3 // refused by a guard, the policy, the server's authentication or the person at the prompt
	exitPartial = 4 // some partitions moved, some did not
)

const usage = `offsetreset moves consumer-group offsets (Kafka, ApsaraMQ, Huawei DMS) with one command that
means the same on every backend.

Usage:
  offsetreset plan   [flags] TARGET GROUP|GLOB [TOPIC[:P,P…]…] TO   dry run: print the plan
  offsetreset apply  [flags] TARGET GROUP|GLOB [TOPIC[:P,P…]…] TO   show the plan, ask "Apply? [y/N]", apply
  offsetreset apply  [flags] --from-file FILE.csv TARGET GROUP      apply explicit offsets (topic,partition,offset)
  offsetreset status [flags] TARGET GROUP [TOPIC…]                  state, members, committed/start/end/lag
  offsetreset serve  [-addr 127.0.0.1:8080] [-config FILE] [-policy FILE]
                                                                   the HTTP server of the functions, locally
  offsetreset check-config [-config FILE]                           load a configuration and exit

TO: latest | earliest | offset:N | shift:+N | shift:-N | time:2026-05-01T02:00:00+08:00 (or Unix ms)
    | ago:15m (s, m, h, d) | group:NAME | current | TOPIC:P=OFFSET,… (explicit offsets)
GROUP with * ? or [ is a glob: every matching group of the target gets its own plan.
No TOPIC: every topic the group has committed offsets for. TOPIC:0,2 names partitions (one topic only).

Flags (after the subcommand, before or among the words):
  -config FILE     targets and policy (default $OFFSETRESET_CONFIG, then ./offsetreset.yaml; with
                   neither, the embedded demo backends)
  -o FORMAT        table (default), json (the API's result JSON) or csv (topic,partition,offset:
                   the after offsets, or the committed ones for status; what --from-file reads;
                   group,topic,partition,offset for a glob)
  -reason TEXT     why; copied into the audit line and the undo
  --yes            apply without asking (scripts); without a terminal, apply refuses unless given
  --from-file FILE explicit offsets from a CSV file (topic,partition,offset) instead of TO
  -create-group    allow applying to a group with no committed offsets (a misspelt group is refused)
  -remote URL      send the command to a deployed function (URL/v1/reset, bearer $OFFSETRESET_API_TOKEN)
  -timeout D       bound on each run against the backend (default 60s; the question is not counted)

Exit codes: 0 planned/applied/unchanged, 1 failed/unknown, 2 invalid or usage, 3 refused, 4 partial.

Examples:
  offsetreset plan demo billing orders latest
  offsetreset apply --yes -config prod.yaml -reason "INC-4211" prod-kafka billing orders:0,2 shift:-500
  offsetreset status -o csv prod-kafka billing > billing.csv
  offsetreset apply --from-file billing.csv prod-kafka billing
`

func main() {
	os.Exit(cli(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// cli is the whole command: it returns the exit code instead of exiting, so every path ends in
// one place.
func cli(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	verb, rest := args[0], args[1:]
	switch verb {
	case "plan", "apply", "status":
		return runReset(verb, rest, stdin, stdout, stderr)
	case "serve":
		return runServe(rest, stdout, stderr)
	case "check-config":
		return runCheckConfig(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "offsetreset: unknown command %q; use plan, apply, status, serve or check-config (offsetreset help lists them)\n", verb)
	return exitUsage
}

// parseInterspersed parses flags that may stand before, between or after the positional words
// (`plan demo billing latest -o json` as well as `plan -o json demo billing latest`); a "--"
// ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var words []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return words, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(words, rest...), nil
		}
		words = append(words, rest[0])
		args = rest[1:]
	}
}

// parseFlagsOnly parses the flags of a command that takes no words. It reports false, with the
// exit code, when the command stops there: on -h, a flag error, or a word, which it refuses with
// refusal (a format for the word, as %q).
func parseFlagsOnly(fs *flag.FlagSet, args []string, stderr io.Writer, refusal string) (exit int, ok bool) {
	words, err := parseInterspersed(fs, args)
	if err != nil {
		return flagExit(err), false
	}
	if len(words) > 0 {
		sayf(stderr, refusal, words[0])
		return exitUsage, false
	}
	return exitOK, true
}

// newFlagSet makes a flag set whose errors and -h go to stderr, ending in a usage error.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "offsetreset %s flags (offsetreset help shows the commands):\n", name)
		fs.PrintDefaults()
	}
	return fs
}

// flagExit is the exit code of a flag parsing error: -h is not a failure.
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}

// sayf writes one "offsetreset: …" line to w.
func sayf(w io.Writer, format string, args ...any) {
	fmt.Fprintln(w, "offsetreset: "+strings.TrimRight(fmt.Sprintf(format, args...), "\n"))
}
