package aliyun

import "slices"

// ListPages collects every name of a list API paged by page number (CurrentPage, pageNumber; the
// first page is 1), as reset.GroupLister wants them: sorted, without duplicates. fetch reads one
// page and the total the service reports (0 when it reports none); size is the page size asked
// for. Paging stops at an empty page, once total entries have come, at a short page when there
// is no total, and at a page that brings no new name (a service that ignores the page number
// answers the same page again).
func ListPages(size int, fetch func(page int) (names []string, total int64, err error)) ([]string, error) {
	seen := map[string]bool{}
	var all []string
	var received int64
	for page := 1; ; page++ {
		names, total, err := fetch(page)
		if err != nil {
			return nil, err
		}
		fresh := false
		for _, n := range names {
			if n != "" && !seen[n] {
				seen[n], fresh = true, true
				all = append(all, n)
			}
		}
		received += int64(len(names))
		more := total > 0 && received < total || total <= 0 && len(names) >= size
		if !fresh || !more {
			return SortedNames(all), nil
		}
	}
}

// SortedNames is names sorted, without duplicates and empty names: the shape reset.GroupLister
// answers in, for list APIs that answer in one page.
func SortedNames(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n != "" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
