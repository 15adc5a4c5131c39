package chat

import (
	"testing"

	"offsetreset/shared/trigger/alert/hostile"
)

// BenchmarkDecodeHostile decodes every hostile shape at 1 MiB.
func BenchmarkDecodeHostile(b *testing.B) {
	for _, s := range hostile.Chat {
		body := s.Build(hostile.MiB)
		b.Run(s.Name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = Parse(string(body))
			}
		})
	}
}
