package slack

import (
	"testing"

	"offsetreset/shared/trigger/alert/hostile"
)

// TestHostileCost bounds what a 1 MiB body of every hostile shape allocates.
func TestHostileCost(t *testing.T) {
	hostile.Check(t, hostile.Slack, func(body []byte) { _, _ = Decode(body) })
}

// BenchmarkDecodeHostile decodes every hostile shape at 1 MiB.
func BenchmarkDecodeHostile(b *testing.B) {
	for _, s := range hostile.Slack {
		body := s.Build(hostile.MiB)
		b.Run(s.Name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = Decode(body)
			}
		})
	}
}
