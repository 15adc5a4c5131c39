package reset

import (
	"encoding/base64"
	"strings"
	"testing"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestMarksRoundTrip(t *testing.T) {
	b := int64(120)
	older := ParseMarks(b64(Mark{ID: "old", At: 5}.String() + " junk offsetreset:v1:bad " + Mark{ID: "x", Before: &b, At: 7}.String()))
	if len(older) != 2 || older[0].ID != "old" || older[0].Before != nil || older[1].ID != "x" || *older[1].Before != 120 || older[1].At != 7 {
		t.Fatalf("%+v", older)
	}
	m := Mark{ID: "new", Before: &b, At: 9}
	enc := EncodeMarks(m, append(older, Mark{ID: "new", At: 1}, Mark{ID: "a", At: 2}, Mark{ID: "b", At: 3}))
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || string(raw) != "offsetreset:v1:new:120:9 offsetreset:v1:old:-:5" {
		t.Fatalf("%q %v", raw, err)
	}
	// Decoded, the metadata does not start with Kafka Streams' version byte (1), so Streams
	// ignores it instead of reading a timestamp.
	if raw[0] == 1 || !strings.HasPrefix(enc, markB64) {
		t.Fatalf("%q", enc)
	}
	if got := ParseMarks(enc); len(got) != MaxMarks || got[0].ID != "new" {
		t.Fatalf("%+v", got)
	}
	// A consumer's own metadata, plain marks, and hostile metadata are not marks / cost little.
	for _, md := range []string{"", "consumer-meta", m.String(), "AQAAAYxyz==", markB64 + "!!!", strings.Repeat(markB64, 1000)} {
		if got := ParseMarks(md); got != nil {
			t.Errorf("ParseMarks(%.40q) = %+v", md, got)
		}
	}
	if got := ParseMarks(b64(strings.Repeat(m.String()+" ", 30))); len(got) != MaxMarks {
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
