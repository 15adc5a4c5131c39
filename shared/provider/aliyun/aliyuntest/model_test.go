package aliyuntest_test

import (
	"testing"
	"time"

	"offsetreset/shared/provider/aliyun/aliyuntest"
)

func TestLog(t *testing.T) {
	var l aliyuntest.Log
	l.Append(5, aliyuntest.EveryMinute) // positions 0..4 at Base+0..4m
	l.Trim(2)
	if l.Start != 2 || l.End() != 5 {
		t.Fatalf("after trim: start %d end %d", l.Start, l.End())
	}
	ms := func(m int) int64 { return aliyuntest.Base.Add(time.Duration(m) * time.Minute).UnixMilli() }
	for _, c := range []struct {
		at   int64
		want int64
	}{{ms(0), 2}, {ms(3), 3}, {ms(3) + 1, 4}, {ms(9), 5}} {
		if got := l.At(c.at); got != c.want {
			t.Errorf("At(%d) = %d, want %d", c.at, got, c.want)
		}
	}
	if l.TimeOf(1) != 0 || l.TimeOf(4) != ms(4) || l.TimeOf(5) != 0 {
		t.Errorf("TimeOf: %d %d %d", l.TimeOf(1), l.TimeOf(4), l.TimeOf(5))
	}
	if l.Clamp(0) != 2 || l.Clamp(3) != 3 || l.Clamp(99) != 5 {
		t.Errorf("Clamp: %d %d %d", l.Clamp(0), l.Clamp(3), l.Clamp(99))
	}
	l.Trim(99)
	if l.Start != 5 || len(l.Times) != 0 {
		t.Errorf("trim past the end: start %d, %d messages", l.Start, len(l.Times))
	}
}
