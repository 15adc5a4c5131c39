package server_test

import (
	"testing"

	"offsetreset/shared/reset"
	"offsetreset/shared/server"
)

// A platform retries a whole event: an error (Lambda's signal to retry) only when a result is
// worth retrying and every result is safe to run again.
func TestRetryErrorOnlyWhenTheWholeEventIsSafe(t *testing.T) {
	failed := &reset.Result{Status: reset.StatusFailed, Target: "demo", Group: "g", Error: "DescribeGroups failed", Retryable: true}
	shiftApplied := &reset.Result{Status: reset.StatusApplied, Target: "ali", Group: "g", Retryable: false} // a shift on a backend without markers
	refused := &reset.Result{Status: reset.StatusRefused, Target: "demo", Group: "g", Retryable: true}
	unsafeUnknown := &reset.Result{Status: reset.StatusUnknown, Target: "ali", Group: "g", Retryable: false}
	for name, c := range map[string]struct {
		results []*reset.Result
		retry   bool
	}{
		"failed alone":                  {[]*reset.Result{failed}, true},
		"failed beside a written shift": {[]*reset.Result{shiftApplied, failed}, false},
		"refused only":                  {[]*reset.Result{refused}, false},
		"unknown shift without markers": {[]*reset.Result{unsafeUnknown}, false},
	} {
		if err := server.RetryError(c.results); (err != nil) != c.retry {
			t.Errorf("%s: %v", name, err)
		}
	}
}
