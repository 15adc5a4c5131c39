package main

import (
	"strings"
	"testing"

	"offsetreset/shared/config"
)

// The banner's Try: lines name what is served: with a configuration its first target and a group
// to fill in, with the token left to the operator's environment.
func TestTryLinesOfAConfiguration(t *testing.T) {
	t.Setenv("OFFSETRESET_API_TOKEN", demoSecrets["OFFSETRESET_API_TOKEN"])
	cfg := &config.File{Targets: map[string]config.Target{"prod-kafka": {Provider: "kafka"}, "staging": {Provider: "kafka"}}}
	got := tryLines(cfg, false)
	want := `  offsetreset plan -remote http://ADDR prod-kafka GROUP latest   (with OFFSETRESET_API_TOKEN set)
  offsetreset status -remote http://ADDR prod-kafka GROUP
  curl -s -H 'Content-Type: application/json' -d '{"target":"prod-kafka","group":"GROUP","to":"latest","dryRun":true}' http://ADDR/invoke
`
	if got != want {
		t.Fatalf("Try: lines\n%s\nwant\n%s", got, want)
	}
	if strings.Contains(got, "demo-api-token") {
		t.Fatal("a configuration's banner prints the demo token")
	}
}
