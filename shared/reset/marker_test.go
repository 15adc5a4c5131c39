package reset

import (
	"strings"
	"testing"
)

func TestMarksRoundTrip(t *testing.T) {
	b := int64(120)
	older := ParseMarks("consumer-meta " + Mark{ID: "old", At: 5}.String() + " junk offsetreset:v1:bad " + Mark{ID: "x", Before: &b, At: 7}.String())
	if len(older) != 2 || older[0].ID != "old" || older[0].Before != nil || older[1].ID != "x" || *older[1].Before != 120 || older[1].At != 7 {
		t.Fatalf("%+v", older)
	}
	m := Mark{ID: "new", Before: &b, At: 9}
	enc := EncodeMarks(m, append(older, Mark{ID: "new", At: 1}, Mark{ID: "a", At: 2}, Mark{ID: "b", At: 3}))
	if enc != "offsetreset:v1:new:120:9 offsetreset:v1:old:-:5 offsetreset:v1:x:120:7 offsetreset:v1:a:-:2" {
		t.Fatal(enc)
	}
	if got := ParseMarks(enc); len(got) != MaxMarks || got[0].ID != "new" {
		t.Fatalf("%+v", got)
	}
	// Hostile metadata: many marks, long junk: at most MaxMarks read.
	if got := ParseMarks(strings.Repeat(m.String()+" ", 1000) + strings.Repeat("z", 1<<16)); len(got) != MaxMarks {
		t.Fatalf("%d marks", len(got))
	}
}

func BenchmarkMarks(b *testing.B) {
	before := int64(1_000_000)
	meta := EncodeMarks(Mark{ID: MarkID("a"), Before: &before, At: 1}, []Mark{{ID: MarkID("b"), At: 2}, {ID: MarkID("c"), At: 3}})
	b.ReportAllocs()
	for b.Loop() {
		EncodeMarks(Mark{ID: MarkID("d"), Before: &before, At: 4}, ParseMarks(meta))
	}
}
