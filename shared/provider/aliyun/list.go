package aliyun

import (
	"fmt"

	"offsetreset/shared/reset"
)

// GroupsPageSize is the page size the ApsaraMQ consumer group lists are read with: the largest
// ListConsumerGroups takes (10 to 100), and as much for GetConsumerList, whose API reference
// documents no limit.
const GroupsPageSize = 100

// ListGroupPages reads the consumer groups of instance with ListPages, GroupsPageSize names a
// page; fetch gets the page number and what names that page in errors ("of instance … (page n)").
func ListGroupPages(instance string, fetch func(page int, what string) (names []string, total int64, err error)) ([]string, error) {
	return ListPages(GroupsPageSize, func(page int) ([]string, int64, error) {
		return fetch(page, fmt.Sprintf("of instance %s (page %d)", instance, page))
	})
}

// ListPages collects every name of a list API paged by page number (CurrentPage, pageNumber; the
// first page is 1), as reset.GroupLister wants them: sorted, without duplicates. fetch reads one
// page and the total the service reports (0 when it reports none); size is the page size asked
// for. Paging stops at an empty page, once total entries have come, at a short page when there
// is no total, and at a page that brings no new name (a service that ignores the page number
// answers the same page again).
func ListPages(size int, fetch func(page int) (names []string, total int64, err error)) ([]string, error) {
	var all reset.GroupSet
	var received int64
	for page := 1; ; page++ {
		names, total, err := fetch(page)
		if err != nil {
			return nil, err
		}
		fresh := all.Add(names)
		received += int64(len(names))
		more := total > 0 && received < total || total <= 0 && len(names) >= size
		if !fresh || !more {
			return all.Sorted(), nil
		}
	}
}

// SortedNames is names sorted, without duplicates and empty names: the shape reset.GroupLister
// answers in, for list APIs that answer in one page.
func SortedNames(names []string) []string {
	var all reset.GroupSet
	all.Add(names)
	return all.Sorted()
}
