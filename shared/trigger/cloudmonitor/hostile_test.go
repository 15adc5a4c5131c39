package cloudmonitor

import (
	"testing"

	"offsetreset/shared/trigger/alert/hostile"
)

func decodeAndRead(body []byte) {
	alerts, _ := Decode(body)
	for _, a := range alerts {
		_, _ = a.Group(), a.Topic()
		_ = a.Describe(8)
	}
}

// TestHostileCost bounds what a 1 MiB body of every hostile shape allocates.
func TestHostileCost(t *testing.T) {
	hostile.Check(t, hostile.CloudMonitor, decodeAndRead)
}

// BenchmarkDecodeHostile decodes every hostile shape at 1 MiB.
func BenchmarkDecodeHostile(b *testing.B) {
	for _, s := range hostile.CloudMonitor {
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
