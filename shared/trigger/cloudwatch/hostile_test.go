package cloudwatch

import (
	"testing"

	"offsetreset/shared/trigger/alert/hostile"
)

// decodeAndRead is what the Lambda handler does with an event.
func decodeAndRead(body []byte) {
	if Detect(body) == "" {
		return
	}
	alerts, _ := Decode(body)
	for _, a := range alerts {
		_, _ = a.Group(), a.Topic()
		_ = a.Describe(8)
	}
}

// TestHostileCost bounds what a 1 MiB event of every hostile shape allocates.
func TestHostileCost(t *testing.T) {
	hostile.Check(t, hostile.CloudWatch, decodeAndRead)
}

// BenchmarkDecodeHostile decodes every hostile shape at 1 MiB.
func BenchmarkDecodeHostile(b *testing.B) {
	for _, s := range hostile.CloudWatch {
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
