package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"offsetreset/shared/reset"
)

// bigResult is an applied reset of n partitions with its undo, as a 50,000-partition group gives.
func bigResult(n int) (reset.Command, *reset.Result) {
	cmd := reset.Command{Target: "prod-kafka", Group: "billing", To: "latest"}
	r := &reset.Result{Status: reset.StatusApplied, Target: "prod-kafka", Provider: "kafka", Group: "billing", To: "latest",
		Undo: &reset.Command{Target: "prod-kafka", Group: "billing", Reason: "undo"}}
	for i := 0; i < n; i++ {
		topic := fmt.Sprintf("clickstream-events-%02d", i%50)
		r.Partitions = append(r.Partitions, reset.PartitionResult{Topic: topic, Partition: int32(i / 50), Before: reset.Int64(int64(1_000_000 + i)),
			After: reset.Int64(int64(2_000_000 + i)), LogStart: reset.Int64(0), LogEnd: reset.Int64(int64(2_000_000 + i)),
			Skipped: reset.Int64(1_000_000), Lag: reset.Int64(1_000_000), Status: reset.StatusApplied})
		r.Undo.Offsets = append(r.Undo.Offsets, reset.PartitionOffset{Topic: topic, Partition: int32(i / 50), Offset: int64(1_000_000 + i)})
	}
	r.Skipped = reset.Int64(int64(n) * 1_000_000)
	return cmd, r
}

// A 50,000-partition reset answers under Lambda's 6 MB (saying how many rows it left out) and
// writes no log line over 256 KB: the rows and the undo continue over lines of one resetId.
func TestLargeResetFitsThePlatforms(t *testing.T) {
	cmd, r := bigResult(50_000)
	var logs bytes.Buffer
	s := &Service{Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	s.audit(Invocation{Trigger: TriggerSchedule, Principal: "timer:nightly"}, cmd, r)

	rows, undo, lines := 0, 0, 0
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		lines++
		if len(l) > 256<<10 {
			t.Fatalf("a log line of %d bytes", len(l))
		}
		var line struct {
			Msg, ResetID     string
			Partitions       []auditRow
			Offsets          []reset.PartitionOffset
			Undo             *reset.Command
			PartitionCount   int
			ContinuationLine int `json:"continuationLines"`
		}
		if err := json.Unmarshal([]byte(l), &line); err != nil || line.ResetID != r.ResetID {
			t.Fatalf("%v: %.200s", err, l)
		}
		rows += len(line.Partitions)
		undo += len(line.Offsets)
		if line.Undo != nil {
			undo += len(line.Undo.Offsets)
		}
		if line.Msg == "offsetreset.audit" && (line.PartitionCount != 50_000 || line.ContinuationLine != 49+24) {
			t.Fatalf("main line: %d partitions, %d continuation lines", line.PartitionCount, line.ContinuationLine)
		}
	}
	if rows != 50_000 || undo != 50_000 || lines != 1+49+24 {
		t.Fatalf("%d rows and %d undo offsets over %d lines", rows, undo, lines)
	}

	b := EncodeResults([]*reset.Result{r}, false, false)
	if len(b) > MaxAnswerBytes {
		t.Fatalf("answer of %d bytes", len(b))
	}
	var got reset.Result
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.PartitionsOmitted == 0 || got.PartitionsOmitted+len(got.Partitions) != 50_000 || got.Undo != nil ||
		!strings.Contains(strings.Join(got.Notes, "|"), "every row is in the audit lines of reset "+r.ResetID) {
		t.Fatalf("%d rows, %d omitted, notes %v", len(got.Partitions), got.PartitionsOmitted, got.Notes)
	}
	// A small answer is untouched and compact.
	_, small := bigResult(3)
	if b := EncodeResults([]*reset.Result{small}, false, false); bytes.Contains(b, []byte("\n  ")) || bytes.Contains(b, []byte("partitionsOmitted")) {
		t.Fatalf("%s", b)
	}
}

// An alert report of a 50,000-partition reset is bounded like a command's answer, and bounding
// an answer leaves the result itself whole (the in-process memory of deliveries keeps it).
func TestLargeAlertReportFitsAndResultsStayWhole(t *testing.T) {
	_, r := bigResult(50_000)
	r.ResetID = "rid"
	rep := &AlertReport{Source: "alertmanager", Alerts: []AlertOutcome{{Alert: "Lag", Outcome: OutcomeActed, Result: r}}}
	b, _ := json.Marshal(rep.Bounded())
	if len(b) > MaxAnswerBytes {
		t.Fatalf("alert answer of %d bytes", len(b))
	}
	EncodeResults([]*reset.Result{r}, false, false)
	if len(r.Partitions) != 50_000 || r.Undo == nil || r.PartitionsOmitted != 0 {
		t.Fatalf("the result was shrunk in place: %d rows, undo %v", len(r.Partitions), r.Undo != nil)
	}
}
