package alertmanager

import (
	"testing"

	"offsetreset/shared/trigger/alert/hostile"
)

// decodeAndRead is what the alert route does with a body: decode it, then read every alert's
// group, topic, name and label summary.
func decodeAndRead(body []byte) {
	alerts, _ := Decode(body)
	for _, a := range alerts {
		_, _ = a.Group(), a.Topic()
		_, _ = a.Lookup("alertname")
		_ = a.Describe(8)
	}
}

// TestHostileCost bounds what a 1 MiB body of every hostile shape allocates (not how long it
// takes: BenchmarkDecodeHostile shows that).
func TestHostileCost(t *testing.T) {
	hostile.Check(t, hostile.Alertmanager, decodeAndRead)
}

// BenchmarkDecodeHostile decodes every hostile shape at 1 MiB.
func BenchmarkDecodeHostile(b *testing.B) {
	for _, s := range hostile.Alertmanager {
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
