// Package resettest helps provider tests drive the real planner: a reset.Targets holding just
// the provider under test, and checks on a Result that show the whole result when they fail.
package resettest

import (
	"encoding/json"
	"strings"
	"testing"

	"offsetreset/shared/reset"
)

// Only is a reset.Targets of one provider, answering other names as targets.Set does.
func Only(name string, p reset.Provider) reset.Targets { return only{name, p} }

type only struct {
	name string
	p    reset.Provider
}

func (o only) Provider(name string) (reset.Provider, error) {
	if name != o.name {
		return nil, reset.Invalid("unknown target %q; configured targets: %s", name, o.name)
	}
	return o.p, nil
}

// Dump is a result as indented JSON, for failure messages.
func Dump(r *reset.Result) string {
	b, _ := json.MarshalIndent(r, "", "  ")
	return string(b)
}

// WantStatus stops the test unless r has status s, showing the whole result.
func WantStatus(t testing.TB, r *reset.Result, s reset.Status) {
	t.Helper()
	if r.Status != s {
		t.Fatalf("status %s, want %s:\n%s", r.Status, s, Dump(r))
	}
}

// WantError checks that r has status s and an error naming every one of parts.
func WantError(t testing.TB, r *reset.Result, s reset.Status, parts ...string) {
	t.Helper()
	WantStatus(t, r, s)
	for _, p := range parts {
		if !strings.Contains(r.Error, p) {
			t.Errorf("error %q, want it to name %q", r.Error, p)
		}
	}
}

// WantNote fails the test unless one of r's notes contains s.
func WantNote(t testing.TB, r *reset.Result, s string) {
	t.Helper()
	if !strings.Contains(strings.Join(r.Notes, "\n"), s) {
		t.Errorf("notes %q, want one with %q", r.Notes, s)
	}
}
