package targets

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"offsetreset/shared/config"
)

// TestRecipes loads every connection recipe of deploy/recipes as the function loads its
// configuration, builds its targets, and checks that README.md shows the recipe as it is, so the
// documented snippets are ones that work.
func TestRecipes(t *testing.T) {
	files, err := filepath.Glob("../../deploy/recipes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recipes: %v", err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		cfg, err := config.Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		s, err := Build(cfg)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for _, name := range s.Names() {
			p, _ := s.Provider(name)
			tgt := cfg.Targets[name]
			if p.Kind() != "kafka" || len(tgt.Brokers) == 0 {
				t.Errorf("%s: target %s is %s with brokers %v", f, name, p.Kind(), tgt.Brokers)
			}
			if tgt.TLS.CAFile != "" && tgt.TLS.Path(tgt.TLS.CAFile) != filepath.Join(tgt.TLS.Dir, tgt.TLS.CAFile) {
				t.Errorf("%s: target %s: caFile %s is not read beside the configuration", f, name, tgt.TLS.CAFile)
			}
			names = append(names, name)
		}
		b, _ := os.ReadFile(f)
		if !strings.Contains(string(readme), strings.TrimRight(string(b), "\n")) {
			t.Errorf("README.md does not show %s as it is; copy the file into the section \"Connecting to Kafka clusters\"", f)
		}
	}
	sort.Strings(names)
	want := []string{"ali-sasl", "ali-ssl", "ali-vpc", "confluent", "hw-kafka", "msk-iam", "msk-mtls", "msk-scram"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("recipes define %v, want %v", names, want)
	}
}
