package huaweicloud_test

import (
	"errors"
	"slices"
	"testing"

	"offsetreset/shared/provider/huaweicloud"
)

func TestListOffsets(t *testing.T) {
	names := []string{"m", "b", "z", "a", "b", "q", "", "c"} // unsorted, one duplicate, one empty
	want := []string{"a", "b", "c", "m", "q", "z"}
	// limit is what the service gives per call, whatever the provider asked for.
	serve := func(limit, total int, offsets *[]int) func(int) ([]string, int, error) {
		return func(offset int) ([]string, int, error) {
			*offsets = append(*offsets, offset)
			from := min(offset, len(names))
			return names[from:min(from+limit, len(names))], total, nil
		}
	}
	for _, c := range []struct {
		name         string
		limit, total int
		offsets      []int
	}{
		{"total reported", 3, 8, []int{0, 3, 6}},
		{"fewer than asked per page: the next offset follows what came", 2, 8, []int{0, 2, 4, 6}},
		{"no total: stops at the empty page", 5, 0, []int{0, 5, 8}},
	} {
		var offsets []int
		got, err := huaweicloud.ListOffsets(serve(c.limit, c.total, &offsets))
		if err != nil || !slices.Equal(got, want) || !slices.Equal(offsets, c.offsets) {
			t.Errorf("%s: %q %v after offsets %v, want %q after %v", c.name, got, err, offsets, want, c.offsets)
		}
	}

	// A service that ignores offset answers the first page again: paging stops there.
	var offsets []int
	got, err := huaweicloud.ListOffsets(func(offset int) ([]string, int, error) {
		offsets = append(offsets, offset)
		return []string{"y", "x"}, 10, nil
	})
	if err != nil || !slices.Equal(got, []string{"x", "y"}) || len(offsets) != 2 {
		t.Errorf("offset ignored: %q %v after offsets %v", got, err, offsets)
	}

	if got, err := huaweicloud.ListOffsets(func(int) ([]string, int, error) { return nil, 0, nil }); err != nil || got == nil || len(got) != 0 {
		t.Errorf("no groups: %#v %v, want an empty list", got, err)
	}

	boom := errors.New("boom")
	if _, err := huaweicloud.ListOffsets(func(offset int) ([]string, int, error) {
		if offset > 0 {
			return nil, 0, boom
		}
		return []string{"a", "b"}, 4, nil
	}); !errors.Is(err, boom) {
		t.Errorf("a failed page: %v", err)
	}
}
