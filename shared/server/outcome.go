package server

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"offsetreset/shared/reset"
)

// RetryError says whether a platform should deliver an invocation again: an error naming the
// results that failed, partly failed or are unknown, when delivering the whole event again is
// safe for every one of its results (Result.Retryable: nothing was written, or the backend keeps
// commit markers, or the target is absolute); nil otherwise. Refused and invalid results are
// never worth a retry: the same input gets the same answer, so they are counted (WriteMetrics).
func RetryError(results []*reset.Result) error {
	var bad []string
	for _, r := range results {
		if !r.Retryable {
			// The platform retries the whole event: one result that must not run again (a shift
			// written on a backend without commit markers) keeps every other from a retry.
			return nil
		}
		switch r.Status {
		case reset.StatusFailed, reset.StatusPartial, reset.StatusUnknown:
			bad = append(bad, fmt.Sprintf("%s %s/%s: %s", r.Status, r.Target, r.Group, r.Error))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d commands can be retried safely: %s", len(bad), len(results), strings.Join(reset.FirstN(bad, 5), "; "))
}

// Results are the reset results of the alerts that acted.
func (r *AlertReport) Results() []*reset.Result {
	var out []*reset.Result
	for _, o := range r.Alerts {
		if o.Result != nil && o.Outcome == OutcomeActed {
			out = append(out, o.Result)
		}
	}
	return out
}

// MetricsNamespace is the CloudWatch namespace of WriteMetrics' lines.
const MetricsNamespace = "offsetreset"

// metricNames are the counted statuses, as CloudWatch metric names.
var metricNames = map[reset.Status]string{
	reset.StatusApplied: "Applied", reset.StatusPlanned: "Planned", reset.StatusPartial: "Partial",
	reset.StatusRefused: "Refused", reset.StatusFailed: "Failed", reset.StatusUnknown: "Unknown", reset.StatusInvalid: "Invalid",
}

// WriteMetrics writes one CloudWatch embedded-metric-format line counting the results by status
// (metrics Applied, Planned, Partial, Refused, Failed, Unknown, Invalid and NotDone, the sum of
// those that did not do what was asked), with dimension Trigger. On Lambda, stdout lines in this
// format become metrics without any API call, so outcomes that return no error are still
// countable and alarmable.
func WriteMetrics(w io.Writer, now time.Time, trigger string, results []*reset.Result) {
	if len(results) == 0 {
		return
	}
	line := map[string]any{"Trigger": trigger}
	var metrics []map[string]string
	notDone := 0
	for _, name := range []reset.Status{reset.StatusApplied, reset.StatusPlanned, reset.StatusPartial, reset.StatusRefused, reset.StatusFailed, reset.StatusUnknown, reset.StatusInvalid} {
		n := 0
		for _, r := range results {
			if r.Status == name {
				n++
			}
		}
		if name.IsError() {
			notDone += n
		}
		line[metricNames[name]] = n
		metrics = append(metrics, map[string]string{"Name": metricNames[name], "Unit": "Count"})
	}
	line["NotDone"] = notDone
	metrics = append(metrics, map[string]string{"Name": "NotDone", "Unit": "Count"})
	line["_aws"] = map[string]any{
		"Timestamp": now.UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace": MetricsNamespace, "Dimensions": [][]string{{"Trigger"}}, "Metrics": metrics,
		}},
	}
	b, _ := json.Marshal(line)
	w.Write(append(b, '\n'))
}
