package aliyuntest

import (
	"fmt"
	"strconv"
)

// Groups are an instance's consumer groups by name, remembering the order they were created in:
// the order the emulated list APIs answer in (the services document none; a test that wants
// sorted names must sort them itself). The zero value is empty; the caller holds the emulator's
// lock.
type Groups[G any] struct {
	byName map[string]*G
	order  []string
}

// Get finds a group by name.
func (gs *Groups[G]) Get(name string) (*G, bool) {
	g, ok := gs.byName[name]
	return g, ok
}

// Lazy returns the group, adding the one create makes if there is none.
func (gs *Groups[G]) Lazy(name string, create func() *G) *G {
	if gs.byName == nil {
		gs.byName = map[string]*G{}
	}
	g, ok := gs.byName[name]
	if !ok {
		g = create()
		gs.byName[name] = g
		gs.order = append(gs.order, name)
	}
	return g
}

// Names are the group names in the order they were created.
func (gs *Groups[G]) Names() []string { return append([]string(nil), gs.order...) }

// Paging is how a page-numbered list API reads its page parameters: the names of the page number
// and page size parameters, the size when none is given, and the sizes it accepts.
type Paging struct {
	PageParam, SizeParam string
	DefaultSize          int
	MinSize, MaxSize     int
}

// Page reads the page number (from 1, default 1) and size from params and returns that page of
// items; problem is the sentence of the service's refusal of a bad value ("" when all is well).
func (pg Paging) Page(params map[string]string, items []string) (page, size int, out []string, problem string) {
	page, size = 1, pg.DefaultSize
	if v := params[pg.PageParam]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, nil, fmt.Sprintf("The parameter %s %q is invalid; page numbers start at 1.", pg.PageParam, v)
		}
		page = n
	}
	if v := params[pg.SizeParam]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < pg.MinSize || n > pg.MaxSize {
			return 0, 0, nil, fmt.Sprintf("The parameter %s %q is invalid; valid values are %d to %d.", pg.SizeParam, v, pg.MinSize, pg.MaxSize)
		}
		size = n
	}
	out = []string{}
	if pages := (len(items) + size - 1) / size; page <= pages {
		from := (page - 1) * size
		out = items[from:min(from+size, len(items))]
	}
	return page, size, out, ""
}
