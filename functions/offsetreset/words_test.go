package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"offsetreset/shared/reset"
)

// The words of plan, apply and status become the command the API would get.
func TestResetCommand(t *testing.T) {
	for _, c := range []struct {
		verb  string
		words string
		want  reset.Command
	}{
		{"plan", "prod billing latest", reset.Command{Target: "prod", Group: "billing", To: "latest"}},
		{"apply", "prod billing orders:0,2 shift:-500", reset.Command{Target: "prod", Group: "billing", Topics: []string{"orders"}, Partitions: []int32{0, 2}, To: "shift:-500"}},
		{"plan", "prod billing orders payments ago:1d", reset.Command{Target: "prod", Group: "billing", Topics: []string{"orders", "payments"}, To: "ago:1d"}},
		{"plan", "prod analytics-* clickstream latest", reset.Command{Target: "prod", Groups: []string{"analytics-*"}, Topics: []string{"clickstream"}, To: "latest"}},
		{"plan", "prod etl-[ab] group:etl-main", reset.Command{Target: "prod", Groups: []string{"etl-[ab]"}, To: "group:etl-main"}},
		{"apply", "prod billing orders:0=120,orders:1=95", reset.Command{Target: "prod", Group: "billing",
			Offsets: []reset.PartitionOffset{{Topic: "orders", Partition: 0, Offset: 120}, {Topic: "orders", Partition: 1, Offset: 95}}}},
		{"status", "prod billing", reset.Command{Target: "prod", Group: "billing", To: "current", DryRun: true}},
		{"status", "prod billing orders payments", reset.Command{Target: "prod", Group: "billing", Topics: []string{"orders", "payments"}, To: "current", DryRun: true}},
	} {
		got, err := resetCommand(c.verb, strings.Fields(c.words), "")
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %s = %+v, %v\nwant %+v", c.verb, c.words, got, err, c.want)
		}
	}
	for words, want := range map[string]string{
		"prod billing":                           "plan takes a target, a group (or glob), optional topics and a to: offsetreset plan TARGET GROUP [TOPIC[:P,P…]…] TO",
		"prod billing orders:0 payments latest":  `"orders:0" names partitions, which only works with one topic; run one command per topic`,
		"prod billing orders:x latest":           `"orders:x": partitions are numbers separated by commas, such as orders:0,2`,
		"prod billing orders orders:0=1":         "explicit offsets name their own topics: offsetreset plan TARGET GROUP topic:partition=offset,…",
		"prod billing orders:0=x":                `"orders:0=x": partition and offset are whole numbers ≥ 0, such as orders:0=120`,
		"prod billing :1 latest":                 `":1" has no topic name; write topic or topic:0,2`,
		"prod billing orders payments:1,2 lates": `"payments:1,2" names partitions, which only works with one topic; run one command per topic`,
	} {
		if _, err := resetCommand("plan", strings.Fields(words), ""); err == nil || err.Error() != want {
			t.Errorf("plan %s: %v\nwant %s", words, err, want)
		}
	}
	if _, err := resetCommand("status", []string{"prod"}, ""); err == nil || !strings.Contains(err.Error(), "status TARGET GROUP [TOPIC…]") {
		t.Error(err)
	}
}

func TestReadOffsetsFile(t *testing.T) {
	dir := t.TempDir()
	file := func(body string) string {
		p := filepath.Join(dir, "f.csv")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	two := []reset.PartitionOffset{{Topic: "orders", Partition: 0, Offset: 120}, {Topic: "orders", Partition: 1, Offset: 95}}
	for body, group := range map[string]string{
		"orders,0,120\norders,1,95\n":                                                               "billing",
		"Topic,Partition,Offset\n# exported\n orders , 0 , 120\n\norders,1,95":                      "billing",
		"group,topic,partition,offset\nbilling,orders,0,120\nother,orders,0,1\nbilling,orders,1,95": "billing",
	} {
		got, err := readOffsetsFile(file(body), group)
		if err != nil || !reflect.DeepEqual(got, two) {
			t.Errorf("%q: %+v, %v", body, got, err)
		}
	}
	for body, want := range map[string]string{
		"":                           "has no offsets; write one topic,partition,offset per line",
		"orders,0\n":                 "line 1 has 2 fields; write topic,partition,offset (or group,topic,partition,offset)",
		"orders,0,1\norders,x,1\n":   `line 2: partition "x" and offset "1" must be whole numbers ≥ 0`,
		"orders,0,-1\n":              `line 1: partition "0" and offset "-1" must be whole numbers ≥ 0`,
		"other,orders,0,1\n":         "has no rows for group billing (it has rows for other); name one of those groups",
		"\"orders,0,1\n":             "write one topic,partition,offset per line",
		"topic,partition,offset\n\n": "has no offsets",
	} {
		if _, err := readOffsetsFile(file(body), "billing"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v\nwant …%s…", body, err, want)
		}
	}
	if _, err := readOffsetsFile(filepath.Join(dir, "missing.csv"), "g"); err == nil || !strings.HasPrefix(err.Error(), "--from-file: open ") {
		t.Error(err)
	}
}

func TestParseInterspersed(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := fs.String("o", "table", "")
	yes := fs.Bool("yes", false, "")
	words, err := parseInterspersed(fs, []string{"demo", "-o", "json", "billing", "--yes", "orders", "--", "-odd", "latest"})
	if err != nil || *o != "json" || !*yes || !reflect.DeepEqual(words, []string{"demo", "billing", "orders", "-odd", "latest"}) {
		t.Fatalf("%q %v %s %v", words, err, *o, *yes)
	}
}

// The undo line is one shell line: names that need quotes get them, and the words parse back
// into the undo command.
func TestUndoLine(t *testing.T) {
	u := reset.Command{Target: "prod", Group: "billing team", Offsets: []reset.PartitionOffset{{Topic: "orders", Partition: 0, Offset: 20}, {Topic: "pay$", Partition: 2, Offset: 7}},
		Reason: "undo: it's INC-1"}
	got := undoLine(u, []string{"-config", "/etc/offset reset.yaml"})
	want := `offsetreset apply prod 'billing team' orders:0=20,'pay$':2=7 -config '/etc/offset reset.yaml' -reason 'undo: it'\''s INC-1'`
	if got != want {
		t.Fatalf("%s\nwant %s", got, want)
	}
	plain := undoLine(reset.Command{Target: "k", Group: "g", Offsets: []reset.PartitionOffset{{Topic: "t", Partition: 1, Offset: 2}}}, nil)
	cmd, err := resetCommand("apply", strings.Fields(strings.TrimPrefix(plain, "offsetreset apply ")), "")
	if err != nil || !reflect.DeepEqual(cmd, reset.Command{Target: "k", Group: "g", Offsets: []reset.PartitionOffset{{Topic: "t", Partition: 1, Offset: 2}}}) {
		t.Fatalf("%s → %+v %v", plain, cmd, err)
	}
}

func TestExitCode(t *testing.T) {
	r := func(s reset.Status) *reset.Result { return &reset.Result{Status: s} }
	for _, c := range []struct {
		in   []*reset.Result
		want int
	}{
		{[]*reset.Result{r(reset.StatusPlanned), r(reset.StatusApplied)}, exitOK},
		{[]*reset.Result{r(reset.StatusInvalid)}, exitUsage},
		{[]*reset.Result{r(reset.StatusApplied), r(reset.StatusRefused), r(reset.StatusInvalid)}, exitRefused},
		{[]*reset.Result{r(reset.StatusRefused), r(reset.StatusPartial)}, exitPartial},
		{[]*reset.Result{r(reset.StatusPartial), r(reset.StatusUnknown), r(reset.StatusRefused)}, exitFailed},
		{[]*reset.Result{r(reset.StatusFailed)}, exitFailed},
	} {
		if got := exitCode(c.in); got != c.want {
			t.Errorf("%v: %d, want %d", c.in, got, c.want)
		}
	}
}
