package cloudeye

import (
	"testing"

	"offsetreset/shared/trigger/alert/hostile"
)

// decodeAndRead is what the cloudeye route does with a body.
func decodeAndRead(body []byte) {
	m, err := Decode(body)
	if err != nil {
		return
	}
	if a, err := ParseAlarm(m); err == nil {
		_, _ = a.Group(), a.Topic()
		_ = a.Describe(8)
	}
}

// TestHostileCost bounds what a 1 MiB body of every hostile shape allocates.
func TestHostileCost(t *testing.T) {
	hostile.Check(t, hostile.CloudEye, decodeAndRead)
}

// BenchmarkDecodeHostile decodes every hostile shape at 1 MiB.
func BenchmarkDecodeHostile(b *testing.B) {
	for _, s := range hostile.CloudEye {
		body := s.Build(hostile.MiB)
		b.Run(s.Name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				decodeAndRead(body)
			}
		})
	}
}
