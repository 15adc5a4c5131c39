package alert

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestCommon(t *testing.T) {
	common := map[string]string{"consumergroup": "billing", "topic": "orders", "Team": "payments", "zz": "last"}
	a := Alert{Labels: map[string]string{"topic": "payments", "consumer_group": "", "alertname": "lag"}, Common: common}
	if a.Group() != "billing" || a.Topic() != "payments" {
		t.Fatalf("group %q topic %q: own labels win, blank values are skipped", a.Group(), a.Topic())
	}
	if v, ok := a.Lookup("team"); !ok || v != "payments" {
		t.Fatalf("case-insensitive lookup in Common: %q %v", v, ok)
	}
	if v, ok := a.Label("topic"); !ok || v != "payments" {
		t.Fatalf("Label: %q %v", v, ok)
	}
	if n := a.NumLabels(); n != 6 {
		t.Fatalf("NumLabels = %d", n)
	}
	if got := a.Describe(3); got != "Team=payments, alertname=lag, consumer_group=, and 3 more" {
		t.Fatalf("Describe(3) = %q", got)
	}
	if got := a.Describe(10); got != "Team=payments, alertname=lag, consumer_group=, consumergroup=billing, topic=payments, zz=last" {
		t.Fatalf("Describe(10) = %q", got)
	}
	if got := (Alert{Labels: map[string]string{"k": strings.Repeat("é", 40)}}).Describe(1); got != "k="+strings.Repeat("é", 32)+"…" {
		t.Fatalf("long values are cut: %q", got)
	}
	// The consumer-group key order: consumergroup before groupid before group; then the name.
	b := Alert{Labels: map[string]string{"group": "g", "groupId": "GID", "Consumer Group": "cg2", "consumerGroup": "cg1"}}
	if b.Group() != "cg2" {
		t.Fatalf("Group = %q", b.Group())
	}
}

func TestCountJSON(t *testing.T) {
	for in, want := range map[string]int{
		`[]`: 0, ` { } `: 0, `null`: 0, `"x"`: 0, `[1]`: 1, `[1,2,3]`: 3, `{"a":1,"b":[1,2,{"c":3}]}`: 2,
		`["a,b","c\",d",{"e":",,,"}]`: 3, `[[],[],[]]`: 3, `{"a\\":"b,c"}`: 1, `[`: 0, `[1,`: 2,
	} {
		if got := CountJSON([]byte(in)); got != want {
			t.Errorf("CountJSON(%s) = %d, want %d", in, got, want)
		}
	}
	if got := CountEntries(`{"a":"x,y","b":[1,2],"c":{"d":1}}`); got != 4 {
		t.Errorf("CountEntries = %d", got)
	}
}

func TestLabelSet(t *testing.T) {
	for in, want := range map[string]map[string]string{
		`{"a":"b","c":"d"}`:              {"a": "b", "c": "d"},
		` { "a" : "b" , "a" : "c" } `:    {"a": "c"},
		`{"e\u0301":"\u00e9\n","x":"ü"}`: {"e\u0301": "é\n", "x": "ü"},
		"{\"bad\":\"\xff\"}":             {"bad": "\ufffd"},
		`{"n":null}`:                     {"n": ""},
		`{}`:                             {},
	} {
		var v struct{ L LabelSet }
		if err := json.Unmarshal([]byte(`{"L":`+in+`}`), &v); err != nil || !reflect.DeepEqual(map[string]string(v.L), want) {
			t.Errorf("%s: %q %v; want %q", in, v.L, err, want)
		}
		// The fast path gives what encoding/json gives.
		var plain map[string]string
		json.Unmarshal([]byte(in), &plain)
		if !reflect.DeepEqual(map[string]string(v.L), plain) {
			t.Errorf("%s: %q, encoding/json %q", in, v.L, plain)
		}
	}
	var v struct{ L LabelSet }
	if err := json.Unmarshal([]byte(`{"L":null}`), &v); err != nil || v.L != nil {
		t.Fatalf("null: %v %v", v.L, err)
	}
	err := DecodeJSON([]byte(`{"L":{"a":1}}`), &v)
	if err == nil || err.Error() != `field "L.a" has the wrong type (number, expected string)` && err.Error() != `field "L" has the wrong type (number, expected string)` {
		t.Fatalf("wrong type: %v", err)
	}
}

func TestKeyHelpers(t *testing.T) {
	for in, want := range map[string]string{
		"2026-11-21T18:52:30.000Z":     "2026-11-21T18:52:30Z",
		"2026-11-21T19:52:30+01:00":    "2026-11-21T18:52:30Z",
		"2026-11-21T19:03:10.114+0000": "2026-11-21T19:03:10.114Z",
		"1795287600":                   "2026-11-21T19:00:00Z",
		"1795287600000":                "2026-11-21T19:00:00Z",
		" 2026-11-21T18:52:30Z ":       "2026-11-21T18:52:30Z",
		"soon":                         "soon",
		"":                             "",
	} {
		if got := KeyTime(in); got != want {
			t.Errorf("KeyTime(%q) = %q, want %q", in, got, want)
		}
	}
	short := strings.Repeat("k", MaxKeyLen)
	if BoundKey(short) != short {
		t.Fatal("a key of MaxKeyLen bytes is kept")
	}
	if k := BoundKey(short + "k"); len(k) != len("sha256:")+64 || !strings.HasPrefix(k, "sha256:") || k == BoundKey(short+"j") {
		t.Fatalf("long key: %q", k)
	}
}

// FuzzLabelSet checks that LabelSet decodes exactly what encoding/json decodes into a
// map[string]string (or fails where it fails), and that CountJSON counts what it decodes.
func FuzzLabelSet(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, `{"a":"\u00e9","b":"c\"d"}`, `{"a":1}`, `{}`, `null`, `{"a":"b",}`, "{\"\xff\":\"\"}", `[{"a":"b"}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want map[string]string
		wantErr := json.Unmarshal(b, &want)
		var got LabelSet
		gotErr := json.Unmarshal(b, &got)
		if wantErr != nil {
			if gotErr == nil {
				t.Fatalf("%q: LabelSet decoded %q where encoding/json failed: %v", b, got, wantErr)
			}
			return
		}
		if CountJSON(b) > MaxLabels { // members, duplicates included
			if gotErr == nil {
				t.Fatalf("%q: %d members accepted", b, CountJSON(b))
			}
			return
		}
		if gotErr != nil || !reflect.DeepEqual(map[string]string(got), want) {
			t.Fatalf("%q: LabelSet %q, %v; encoding/json %q", b, got, gotErr, want)
		}
		var members map[string]json.RawMessage
		if json.Unmarshal(b, &members) == nil && members != nil && CountJSON(b) < len(members) {
			t.Fatalf("%q: CountJSON %d < %d members", b, CountJSON(b), len(members))
		}
	})
}
