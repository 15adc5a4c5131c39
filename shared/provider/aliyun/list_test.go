package aliyun

import (
	"errors"
	"slices"
	"testing"
)

// pages serves names in pages of size like a page-numbered list API; total is what it reports.
func pages(names []string, size int, total int64, calls *[]int) func(int) ([]string, int64, error) {
	return func(page int) ([]string, int64, error) {
		*calls = append(*calls, page)
		from := min((page-1)*size, len(names))
		return names[from:min(from+size, len(names))], total, nil
	}
}

func TestListPages(t *testing.T) {
	names := []string{"m", "b", "z", "a", "b", "q", "", "c"} // unsorted, one duplicate, one empty
	want := []string{"a", "b", "c", "m", "q", "z"}
	for _, c := range []struct {
		name  string
		size  int
		total int64
		calls []int
	}{
		{"total reported", 3, 8, []int{1, 2, 3}},
		{"no total: stops at the short page", 3, 0, []int{1, 2, 3}},
		{"no total, full last page: stops at the empty page", 4, 0, []int{1, 2, 3}},
		{"one page holds all", 100, 8, []int{1}},
	} {
		var calls []int
		got, err := ListPages(c.size, pages(names, c.size, c.total, &calls))
		if err != nil || !slices.Equal(got, want) || !slices.Equal(calls, c.calls) {
			t.Errorf("%s: %q %v after pages %v, want %q after %v", c.name, got, err, calls, want, c.calls)
		}
	}

	// A service that ignores the page number answers page 1 again: paging stops there.
	var calls []int
	got, err := ListPages(2, func(page int) ([]string, int64, error) {
		calls = append(calls, page)
		return []string{"y", "x"}, 10, nil
	})
	if err != nil || !slices.Equal(got, []string{"x", "y"}) || len(calls) != 2 {
		t.Errorf("page number ignored: %q %v after pages %v", got, err, calls)
	}

	boom := errors.New("boom")
	if _, err := ListPages(2, func(page int) ([]string, int64, error) {
		if page == 2 {
			return nil, 0, boom
		}
		return []string{"a", "b"}, 4, nil
	}); !errors.Is(err, boom) {
		t.Errorf("a failed page: %v", err)
	}
}

func TestSortedNames(t *testing.T) {
	if got := SortedNames([]string{"b", "", "a", "b"}); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("%q", got)
	}
	if got := SortedNames(nil); got == nil || len(got) != 0 {
		t.Errorf("no names: %#v, want an empty list", got)
	}
}
