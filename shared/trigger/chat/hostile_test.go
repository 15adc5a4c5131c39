package chat

import (
	"testing"

	"offsetreset/shared/trigger/alert/hostile"
)

// TestHostileCost bounds what parsing every hostile shape allocates: at 1 MiB (refused by its
// length) and at MaxText (parsed).
func TestHostileCost(t *testing.T) {
	hostile.Check(t, hostile.Chat, func(body []byte) { _, _ = Parse(string(body)) })
	for _, s := range hostile.Chat {
		text := string(s.Build(MaxText))
		c := hostile.Measure(func() { _, _ = Parse(text) })
		t.Logf("%s at %d bytes: %d bytes in %d allocations", s.Name, len(text), c.Bytes, c.Allocs)
		if c.Bytes > 64*MaxText {
			t.Errorf("%s: parsing %d bytes allocated %d bytes", s.Name, len(text), c.Bytes)
		}
	}
}

// BenchmarkParseHostile parses every hostile shape at 1 MiB and at MaxText.
func BenchmarkParseHostile(b *testing.B) {
	for _, size := range []int{hostile.MiB, MaxText} {
		for _, s := range hostile.Chat {
			text := string(s.Build(size))
			b.Run(s.Name+"-"+itoa(size), func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				b.ReportAllocs()
				for b.Loop() {
					_, _ = Parse(text)
				}
			})
		}
	}
}
