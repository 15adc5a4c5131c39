// Package demo starts the embedded default backends of the offsetreset command (functions/offsetreset:
// plan, apply, status and serve with no configuration) and `make demo`: an in-process Kafka broker
// and the cloud API emulators, seeded with topics, groups and lag, plus a configuration pointing
// at them. Each backend registers itself from a file of its own.
package demo

import (
	"context"
	"fmt"
	"sort"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/kafka/kafkatest"
)

// Env is the running embedded default.
type Env struct {
	Config *config.File
	Lines  []string // one line per target, for the startup banner
	// Kafka is the embedded broker of target demo, for tests that read its offsets directly.
	Kafka   *kafkatest.Cluster
	closers []func()
}

type starter struct {
	name string
	fn   func(context.Context, *Env) error
}

var starters []starter

func register(name string, fn func(context.Context, *Env) error) {
	starters = append(starters, starter{name, fn})
}

// Start runs every registered backend. On error everything started so far is stopped.
func Start(ctx context.Context) (*Env, error) {
	e := &Env{Config: &config.File{Targets: map[string]config.Target{}}}
	sort.Slice(starters, func(i, j int) bool { return starters[i].name < starters[j].name })
	for _, s := range starters {
		if err := s.fn(ctx, e); err != nil {
			e.Close()
			return nil, fmt.Errorf("demo %s: %w", s.name, err)
		}
	}
	return e, e.Config.Check()
}

// UsePolicy takes the policy, alert rules and notify sinks of a configuration file (such as
// events/demo.yaml) for the demo targets, and checks the result.
func (e *Env) UsePolicy(p *config.File) error {
	e.Config.Policy, e.Config.Alerts, e.Config.Notify, e.Config.PolicySet = p.Policy, p.Alerts, p.Notify, p.PolicySet
	return e.Config.Check()
}

// AddTarget adds a target to the demo config with a line for the banner.
func (e *Env) AddTarget(name string, t config.Target, line string) {
	e.Config.Targets[name] = t
	e.Lines = append(e.Lines, fmt.Sprintf("%-16s %-15s %s", name, t.Provider, line))
}

// OnClose registers a function run by Close, in reverse order.
func (e *Env) OnClose(fn func()) { e.closers = append(e.closers, fn) }

// Close stops everything.
func (e *Env) Close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
	e.closers = nil
}
