package targets

import (
	"testing"

	"offsetreset/shared/config"
)

func TestBuildErrors(t *testing.T) {
	_, err := Build(&config.File{Targets: map[string]config.Target{"x": {Provider: "kafak"}}})
	if err == nil || err.Error()[:43] != `targets.x: unknown provider "kafak"; use on` {
		t.Fatalf("%v", err)
	}
	_, err = Build(&config.File{Targets: map[string]config.Target{"x": {Provider: "kafka"}}})
	if err == nil || err.Error() != "targets.x (kafka): brokers is empty; list at least one host:port" {
		t.Fatalf("%v", err)
	}
	s, err := Build(&config.File{Targets: map[string]config.Target{"x": {Provider: "kafka", Brokers: []string{"h:1"}}, "y": {Provider: "kafka", Brokers: []string{"h:1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Provider("z"); err == nil || err.Error() != `unknown target "z"; configured targets: x, y` {
		t.Fatalf("%v", err)
	}
}
