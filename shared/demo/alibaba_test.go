package demo_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"offsetreset/shared/demo"
	"offsetreset/shared/reset"
	"offsetreset/shared/targets"
)

// startDemo starts the demo backends for the test (closed when it ends) under a 30-second
// context, and returns that context, the backends and a planner over their targets.
func startDemo(t *testing.T) (context.Context, *demo.Env, *reset.Planner) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	e, err := demo.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	set, err := targets.Build(e.Config)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, e, &reset.Planner{Targets: set}
}

func TestAlibabaDemoTargets(t *testing.T) {
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")
	t.Setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "")
	ctx, e, p := startDemo(t)
	if os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID") != demo.DemoAlibabaKeyID {
		t.Errorf("the demo key was not put into the environment")
	}
	for _, c := range []struct {
		cmd  reset.Command
		want reset.Status
		rows int
	}{
		{reset.Command{Target: "ali-kafka-demo", Group: "billing", To: "latest", DryRun: true}, reset.StatusPlanned, 6},
		{reset.Command{Target: "ali-kafka-demo", Group: "orders-etl", Topics: []string{"orders"}, To: "ago:2h", DryRun: true}, reset.StatusPlanned, 6},
		{reset.Command{Target: "ali-kafka-demo", Group: "dashboard", To: "latest"}, reset.StatusRefused, 4},
		{reset.Command{Target: "ali-rmq-demo", Group: "GID_orders-etl", To: "ago:2h"}, reset.StatusApplied, 2},
		{reset.Command{Target: "ali-rmq-demo", Group: "GID_billing", To: "offset:3"}, reset.StatusInvalid, 0},
		{reset.Command{Target: "ali-rmq5-demo", Group: "orders-etl", To: "latest", DryRun: true}, reset.StatusPlanned, 2},
	} {
		r := p.Run(ctx, c.cmd, reset.Options{})
		if r.Status != c.want {
			t.Errorf("%s %s %s: %s (%s)", c.cmd.Target, c.cmd.Group, c.cmd.To, r.Status, r.Error)
		}
		if r.Status != reset.StatusRefused && len(r.Partitions) != c.rows {
			t.Errorf("%s %s: %d rows, want %d", c.cmd.Target, c.cmd.Group, len(r.Partitions), c.rows)
		}
	}
	var lines string
	for _, l := range e.Lines {
		lines += l + "\n"
	}
	for _, name := range []string{"ali-kafka-demo", "ali-rmq-demo", "ali-rmq5-demo"} {
		if !strings.Contains(lines, name) {
			t.Errorf("no banner line for %s:\n%s", name, lines)
		}
	}
}
