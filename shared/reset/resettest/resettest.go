// Package resettest helps provider tests drive the real planner: a reset.Targets holding just
// the provider under test, checks on a Result that show the whole result when they fail, and
// seeding and checks of a provider's group list.
package resettest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

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

// AddGroups creates n groups with add, named format with i from 0 to n-1 but created from n-1
// down to 0 (the emulators answer their group lists in creation order, so a list comes unsorted),
// and returns their names sorted.
func AddGroups(add func(name string), format string, n int) []string {
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf(format, i)
		add(fmt.Sprintf(format, n-1-i))
	}
	return names
}

// ListGroups asks l for its groups within 20 seconds.
func ListGroups(l reset.GroupLister) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return l.ListGroups(ctx)
}

// WantGroups stops the test unless l lists exactly want (within 20 seconds).
func WantGroups(t testing.TB, l reset.GroupLister, want []string) {
	t.Helper()
	if got, err := ListGroups(l); err != nil || !slices.Equal(got, want) {
		t.Fatalf("ListGroups = %d names %v, want %d\ngot  %q\nwant %q", len(got), err, len(want), got, want)
	}
}
