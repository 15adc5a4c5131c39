package server_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"offsetreset/shared/config"
	"offsetreset/shared/reset"
	"offsetreset/shared/server"
)

// A groups glob expands in name order; each group runs as its own command with its own policy
// decision, result, audit line and undo.
func TestGroupsGlobEachGroupItsOwnCommand(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, g := range []string{"analytics-web", "analytics-batch", "analytics-ml"} {
		if err := f.k.CommitOffsets(ctx, g, map[string]map[int32]int64{"orders": {0: 2, 1: 2}}); err != nil {
			t.Fatal(err)
		}
	}
	f.svc.Config.Policy = []config.PolicyRule{{Name: "nightly", Triggers: []string{"schedule"}, Targets: []string{"*"}, Groups: []string{"analytics-web", "analytics-ml"}, Topics: []string{"*"}}}
	f.svc.Config.PolicySet = true
	srv := httptest.NewServer(f.svc.Handler(server.Local))
	defer srv.Close()
	// The spec's nightly clear, as an FC timer would send it (one object → an array of results).
	r := post(t, srv.URL+"/invoke", `{"triggerTime":"2026-11-21T19:00:00Z","triggerName":"nightly","payload":"{\"target\":\"prod-kafka\",\"groups\":[\"analytics-*\"],\"topics\":[\"orders\"],\"to\":\"latest\"}"}`, nil)
	var results []reset.Result
	if err := json.Unmarshal([]byte(r.body), &results); err != nil || len(results) != 3 {
		t.Fatalf("%v %s", err, r.body)
	}
	want := []struct {
		group  string
		status reset.Status
	}{{"analytics-batch", reset.StatusRefused}, {"analytics-ml", reset.StatusApplied}, {"analytics-web", reset.StatusApplied}}
	for i, w := range want {
		if results[i].Group != w.group || results[i].Status != w.status {
			t.Errorf("result %d: %s %s %s", i, results[i].Group, results[i].Status, results[i].Error)
		}
	}
	if results[1].Undo == nil || results[1].Undo.Group != "analytics-ml" || len(results[1].Undo.Offsets) != 2 {
		t.Fatalf("undo %+v", results[1].Undo)
	}
	for g, want := range map[string]int64{"analytics-batch": 2, "analytics-ml": 10, "analytics-web": 10, "billing": 3} {
		c, _ := f.k.Committed(ctx, g)
		if c["orders"][0] != want || c["orders"][1] != want {
			t.Errorf("%s: %v, want %d", g, c["orders"], want)
		}
	}
	if n := auditCount(t, f.audit); n["applied"] != 2 || n["refused"] != 1 {
		t.Fatalf("audit %v", n)
	}
}

func TestGroupsGlobLimits(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, g := range []string{"a1", "a2", "a3"} {
		if err := f.k.Commit(ctx, g, "orders", 0, 1); err != nil {
			t.Fatal(err)
		}
	}
	api := server.Invocation{Trigger: server.TriggerAPI, Principal: "api-token"}
	res := f.svc.RunAll(ctx, api, []reset.Command{{Target: "prod-kafka", Groups: []string{"analytics-*"}, To: "latest"}})
	if len(res) != 1 || res[0].Status != reset.StatusInvalid ||
		res[0].Error != `groups pattern "analytics-*" matches no group on target prod-kafka (groups there: a1, a2, a3, billing)` {
		t.Fatalf("%+v", res[0])
	}
	f.svc.Config.MaxGroups = 2
	res = f.svc.RunAll(ctx, api, []reset.Command{{Target: "prod-kafka", Groups: []string{"a*"}, To: "latest"}})
	if len(res) != 1 || res[0].Status != reset.StatusInvalid ||
		res[0].Error != "groups a* match 3 groups on target prod-kafka, more than maxGroups 2; narrow the patterns or raise maxGroups in the configuration" {
		t.Fatalf("%+v", res[0])
	}
	res = f.svc.RunAll(ctx, api, []reset.Command{{Target: "prod-kafka", Group: "billing", Groups: []string{"a*"}, To: "latest"}})
	if res[0].Status != reset.StatusInvalid || res[0].Error != "the command has both group and groups; send group for one group or groups for names and globs" {
		t.Fatalf("%+v", res[0])
	}
	f.unchanged(t)
	for _, g := range []string{"a1", "a2", "a3"} {
		if c, _ := f.k.Committed(ctx, g); c["orders"][0] != 1 {
			t.Fatalf("%s moved: %v", g, c)
		}
	}
}
