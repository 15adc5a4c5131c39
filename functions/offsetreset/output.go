package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"

	"offsetreset/shared/reset"
	"offsetreset/shared/trigger/chat"
)

// Output formats of -o.
const (
	formatTable = "table"
	formatJSON  = "json"
	formatCSV   = "csv"
)

// answer is what one run of a command came back with: the results, and the API's JSON of them
// (server.EncodeResults locally, the body as received from -remote), which -o json prints as is.
type answer struct {
	results []*reset.Result
	json    []byte
	// many: the JSON is an array (a command with groups answers one result per group).
	many bool
}

// exitCode is the exit code of results: the most serious outcome among them, in the order
// failed/unknown (state uncertain), partial, refused, invalid, done.
func exitCode(results []*reset.Result) int {
	rank := map[int]int{exitOK: 0, exitUsage: 1, exitRefused: 2, exitPartial: 3, exitFailed: 4}
	code := exitOK
	for _, r := range results {
		c := exitOK
		switch r.Status {
		case reset.StatusFailed, reset.StatusUnknown:
			c = exitFailed
		case reset.StatusPartial:
			c = exitPartial
		case reset.StatusRefused:
			c = exitRefused
		case reset.StatusInvalid:
			c = exitUsage
		}
		if rank[c] > rank[code] {
			code = c
		}
	}
	return code
}

// reportErrors writes the sentence of every result that did not do what was asked to stderr,
// as the API words it (and, as a warning, that of a plan some partitions of which cannot move),
// naming the group when there are several.
func reportErrors(stderr io.Writer, a answer) {
	for _, r := range a.results {
		if r.Error == "" {
			continue
		}
		status := string(r.Status)
		if !r.Status.IsError() {
			status = "warning"
		}
		if len(a.results) > 1 {
			sayf(stderr, "group %s on %s: %s: %s", r.Group, r.Target, status, r.Error)
		} else {
			sayf(stderr, "%s: %s", status, r.Error)
		}
	}
}

// writeAnswer prints an answer in a format: the API's JSON, the offsets as CSV, or tables.
// status selects the status view (committed offsets and lag) over the move view (before →
// after). Notes go to the table, or to stderr beside CSV (JSON carries them itself).
func writeAnswer(stdout, stderr io.Writer, format string, status bool, a answer) {
	switch format {
	case formatJSON:
		stdout.Write(a.json)
	case formatCSV:
		left := writeCSV(stdout, status, a)
		if left > 0 {
			sayf(stderr, "%d row(s) have no exact offset to write (unknown, failed, or a whole RocketMQ topic) and are left out of the CSV", left)
		}
		for _, r := range a.results {
			for _, n := range r.Notes {
				sayf(stderr, "note: %s", n)
			}
		}
	default:
		for i, r := range a.results {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			writeTable(stdout, status, r)
		}
	}
}

// headline is the one-line summary of a result as chat words it; "" for a result that did not
// do what was asked (its sentence goes to stderr).
func headline(status bool, r *reset.Result) string {
	switch {
	case status && r.Status == reset.StatusPlanned:
		return chat.Reply{Kind: chat.KindStatus, Result: r}.Headline()
	case r.Status == reset.StatusPlanned:
		return chat.Reply{Kind: chat.KindPlan, Result: r}.Headline()
	case r.Status == reset.StatusApplied || r.Status == reset.StatusPartial:
		return chat.Reply{Kind: chat.KindApplied, Result: r}.Headline()
	}
	return ""
}

// writeTable prints one result: its headline, every partition row (no row is left out on a
// terminal), the group's state and members where the backend tells, and the notes.
func writeTable(w io.Writer, status bool, r *reset.Result) {
	if h := headline(status, r); h != "" {
		fmt.Fprintln(w, h)
	}
	if len(r.Partitions) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		if status {
			fmt.Fprintln(tw, "TOPIC\tPART\tCOMMITTED\tSTART\tEND\tLAG")
		} else {
			fmt.Fprintln(tw, "TOPIC\tPART\tBEFORE\tAFTER\tSTART\tEND\tSKIP\tSTATUS")
		}
		for _, p := range r.Partitions {
			if status {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Topic, part(p.Partition), num(p.Before), num(p.LogStart), num(p.LogEnd), num(p.Lag))
				continue
			}
			st := string(p.Status)
			if p.Error != "" {
				st += ": " + p.Error
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Topic, part(p.Partition), num(p.Before), num(p.After), num(p.LogStart), num(p.LogEnd), num(p.Skipped), st)
		}
		tw.Flush()
	}
	if r.PartitionsOmitted > 0 {
		fmt.Fprintf(w, "%d more partition rows are left out (see the notes)\n", r.PartitionsOmitted)
	}
	if r.State != "" {
		fmt.Fprintf(w, "state: %s\n", r.State)
	}
	if len(r.Members) > 0 {
		ms := make([]string, len(r.Members))
		for i, m := range r.Members {
			ms[i] = m.String()
		}
		fmt.Fprintf(w, "members (%d): %s\n", len(ms), strings.Join(ms, ", "))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

func num(v *int64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatInt(*v, 10)
}

// part shows a partition; -1 is a backend's whole-topic row (RocketMQ).
func part(p int32) string {
	if p < 0 {
		return "all"
	}
	return strconv.Itoa(int(p))
}

// writeCSV writes the offsets a result leaves (the move view's after offsets of rows that are
// planned, applied or unchanged) or holds (the status view's committed offsets) as
// topic,partition,offset lines — with the group first when the answer covers several groups, as
// kafka-consumer-groups writes them. It returns how many rows had no exact offset to write.
func writeCSV(w io.Writer, status bool, a answer) (left int) {
	cw := csv.NewWriter(w)
	for _, r := range a.results {
		for _, p := range r.Partitions {
			v := p.Before
			if !status {
				v = nil
				if p.Error == "" && (p.Status == reset.StatusPlanned || p.Status == reset.StatusApplied || p.Status == reset.StatusUnchanged) {
					v = p.After
				}
			}
			if v == nil || p.Partition < 0 {
				left++
				continue
			}
			rec := []string{p.Topic, strconv.Itoa(int(p.Partition)), strconv.FormatInt(*v, 10)}
			if a.many {
				rec = append([]string{r.Group}, rec...)
			}
			cw.Write(rec)
		}
	}
	cw.Flush()
	return left
}

// shellSafe matches words a POSIX shell reads as they are.
var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote quotes a word for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// undoLine is the one command line that puts a result's group back where it was: its undo
// (explicit offsets) in the chat grammar (chat.Format), with the flags that reach the same
// backend. Every name is quoted for the shell where it needs it.
func undoLine(u reset.Command, flags []string) string {
	q := u
	q.Target, q.Group = shellQuote(u.Target), shellQuote(u.Group)
	q.Offsets = make([]reset.PartitionOffset, len(u.Offsets))
	for i, o := range u.Offsets {
		o.Topic = shellQuote(o.Topic)
		q.Offsets[i] = o
	}
	line := chat.Format("offsetreset ", "apply", q)
	for _, f := range flags {
		line += " " + shellQuote(f)
	}
	if u.Reason != "" {
		line += " -reason " + shellQuote(u.Reason)
	}
	return line
}
