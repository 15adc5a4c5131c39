package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"offsetreset/shared/reset"
)

// MaxAnswerBytes bounds an answer's JSON: Lambda answers at most 6 MB (and a Function URL body
// is that JSON again, escaped), so a 50,000-partition reset answers its rows up to this size and
// says how many it left out; every row is in the audit lines of its resetId.
const MaxAnswerBytes = 4 << 20

// EncodeResults encodes one result (many false) or an array, compact unless pretty, within
// MaxAnswerBytes.
func EncodeResults(results []*reset.Result, many, pretty bool) []byte {
	// Shrinking works on copies: the results themselves stay whole (the in-process memory of
	// deliveries keeps them, and the audit lines have every row).
	results = copies(results)
	var v any = results
	if !many {
		v = results[0]
	}
	// Shrink before encoding, from the encoded size of a sample of rows: a 50,000-partition
	// answer is then encoded once, not once whole and again shrunk.
	if est := estimate(results); est > MaxAnswerBytes {
		shrink(results, float64(MaxAnswerBytes)*0.85/float64(est))
	}
	b := encode(v, pretty)
	for tries := 0; len(b) > MaxAnswerBytes && tries < 6; tries++ {
		shrink(results, float64(MaxAnswerBytes)*0.9/float64(len(b)))
		b = encode(v, pretty)
	}
	return b
}

func copies(results []*reset.Result) []*reset.Result {
	out := make([]*reset.Result, len(results))
	for i, r := range results {
		c := *r
		c.Notes = append([]string(nil), r.Notes...)
		out[i] = &c
	}
	return out
}

// estimate is the encoded size of results, from up to 64 rows and undo offsets of each.
func estimate(results []*reset.Result) int {
	total := 0
	for _, r := range results {
		total += 1024 + len(r.Error) + sampled(r.Partitions)
		if r.Undo != nil {
			total += sampled(r.Undo.Offsets)
		}
		for _, n := range r.Notes {
			total += len(n) + 4
		}
	}
	return total
}

// sampled estimates the encoded size of a slice from an even sample of at most 64 elements.
func sampled[T any](s []T) int {
	if len(s) == 0 {
		return 0
	}
	step := max(1, len(s)/64)
	n, size := 0, 0
	for i := 0; i < len(s); i += step {
		b, _ := json.Marshal(s[i])
		size += len(b) + 1
		n++
	}
	return size * len(s) / n
}

func encode(v any, pretty bool) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if pretty {
		enc.SetIndent("", "  ")
	}
	enc.Encode(v)
	return buf.Bytes()
}

// shrink keeps about frac of each large result's rows — every row that is not applied, planned
// or unchanged first, then the others in order — and moves a long undo to the audit lines.
func shrink(results []*reset.Result, frac float64) {
	for _, r := range results {
		if r.Undo != nil && len(r.Undo.Offsets) > 1000 {
			r.Notes = append(r.Notes, fmt.Sprintf("the undo of %d partitions is too long for this answer: it is in the audit lines of reset %s (offsetreset.audit.undo)", len(r.Undo.Offsets), r.ResetID))
			r.Undo = nil
		}
		n := len(r.Partitions)
		keep := int(float64(n) * frac)
		if n < 100 || keep >= n {
			continue
		}
		kept := make([]reset.PartitionResult, 0, keep)
		for _, p := range r.Partitions {
			if len(kept) < keep && p.Status != reset.StatusApplied && p.Status != reset.StatusPlanned && p.Status != reset.StatusUnchanged {
				kept = append(kept, p)
			}
		}
		for _, p := range r.Partitions {
			if len(kept) >= keep {
				break
			}
			if p.Status == reset.StatusApplied || p.Status == reset.StatusPlanned || p.Status == reset.StatusUnchanged {
				kept = append(kept, p)
			}
		}
		r.PartitionsOmitted += n - len(kept)
		r.Partitions = kept
	}
	for _, r := range results {
		if r.PartitionsOmitted > 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("%d partition rows are left out of this answer to keep it under %d MiB; every row is in the audit lines of reset %s", r.PartitionsOmitted, MaxAnswerBytes>>20, r.ResetID))
		}
	}
}

// wantPretty reports whether the caller asked for indented JSON (?pretty or ?pretty=true).
func wantPretty(r *http.Request) bool {
	v, ok := r.URL.Query()["pretty"]
	return ok && (len(v) == 0 || v[0] == "" || v[0] == "1" || v[0] == "true")
}

// Bounded is the report as an answer: its results bounded as EncodeResults bounds results (the
// report itself is left whole).
func (r *AlertReport) Bounded() *AlertReport {
	c := *r
	c.Alerts = append([]AlertOutcome(nil), r.Alerts...)
	var results []*reset.Result
	for i, o := range c.Alerts {
		if o.Result != nil {
			results = append(results, o.Result)
			c.Alerts[i].Result = nil
		}
	}
	results = copies(results)
	if est := estimate(results); est > MaxAnswerBytes {
		shrink(results, float64(MaxAnswerBytes)*0.85/float64(est))
	}
	k := 0
	for i, o := range r.Alerts {
		if o.Result != nil {
			c.Alerts[i].Result = results[k]
			k++
		}
	}
	return &c
}
