// Package targets builds one provider per configured target and finds them by name. Each provider
// registers its factory from a file of its own in this package (kafka.go, alikafka.go, …).
package targets

import (
	"fmt"
	"sort"
	"strings"

	"offsetreset/shared/config"
	"offsetreset/shared/reset"
)

// Factory builds a provider from a target's config. It checks the fields the provider needs and
// names the one to fix; it must not contact the backend (clients are built lazily).
type Factory func(name string, t config.Target) (reset.Provider, error)

var factories = map[string]Factory{}

func register(kind string, f Factory) { factories[kind] = f }

// Kinds lists the registered provider kinds.
func Kinds() []string {
	k := make([]string, 0, len(factories))
	for n := range factories {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

// Set is the configured targets, ready to plan against.
type Set struct {
	names     []string
	providers map[string]reset.Provider
}

// Build makes every target's provider; the first error names the target and the field.
func Build(cfg *config.File) (*Set, error) {
	s := &Set{providers: map[string]reset.Provider{}, names: cfg.TargetNames()}
	for _, name := range s.names {
		t := cfg.Targets[name]
		f, ok := factories[t.Provider]
		if !ok {
			return nil, fmt.Errorf("targets.%s: unknown provider %q; use one of %s", name, t.Provider, strings.Join(Kinds(), ", "))
		}
		p, err := f(name, t)
		if err != nil {
			return nil, fmt.Errorf("targets.%s (%s): %w", name, t.Provider, err)
		}
		s.providers[name] = p
	}
	return s, nil
}

// Provider implements reset.Targets.
func (s *Set) Provider(name string) (reset.Provider, error) {
	if p, ok := s.providers[name]; ok {
		return p, nil
	}
	return nil, reset.Invalid("unknown target %q; configured targets: %s", name, strings.Join(s.names, ", "))
}

// Names lists the configured targets.
func (s *Set) Names() []string { return s.names }
