package huaweicloudtest_test

import (
	"testing"

	"offsetreset/shared/provider/huaweicloud/huaweicloudtest"
)

func TestSpanOffsetAt(t *testing.T) {
	s := huaweicloudtest.Span{Start: 100, End: 110, First: 1000, Step: 10} // message o at 1000+(o−100)·10
	for ms, want := range map[int64]int64{0: 100, 1000: 100, 1001: 101, 1050: 105, 1090: 109, 1091: 110} {
		if got := s.OffsetAt(ms); got != want {
			t.Errorf("OffsetAt(%d) = %d, want %d", ms, got, want)
		}
	}
	if got := (huaweicloudtest.Span{Start: 7, End: 7, First: 1000, Step: 10}).OffsetAt(5000); got != 7 {
		t.Errorf("empty span: %d, want its start", got)
	}
}
