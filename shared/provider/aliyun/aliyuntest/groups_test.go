package aliyuntest_test

import (
	"slices"
	"strings"
	"testing"

	"offsetreset/shared/provider/aliyun/aliyuntest"
)

func TestGroupsKeepCreationOrder(t *testing.T) {
	var gs aliyuntest.Groups[int]
	for i, name := range []string{"c", "a", "b", "a"} {
		gs.Lazy(name, func() *int { return &i })
	}
	if got := gs.Names(); !slices.Equal(got, []string{"c", "a", "b"}) {
		t.Errorf("names %q", got)
	}
	if g, ok := gs.Get("a"); !ok || *g != 1 {
		t.Errorf("a is the group created first under that name: %v %v", g, ok)
	}
	if _, ok := gs.Get("z"); ok {
		t.Error("z was never created")
	}
}

func TestPaging(t *testing.T) {
	pg := aliyuntest.Paging{PageParam: "pageNumber", SizeParam: "pageSize", DefaultSize: 10, MinSize: 10, MaxSize: 100}
	items := make([]string, 25)
	for i := range items {
		items[i] = string(rune('a' + i))
	}
	for _, c := range []struct {
		params     map[string]string
		page, size int
		want       string
	}{
		{map[string]string{}, 1, 10, "abcdefghij"},
		{map[string]string{"pageNumber": "3"}, 3, 10, "uvwxy"},
		{map[string]string{"pageNumber": "2", "pageSize": "20"}, 2, 20, "uvwxy"},
		{map[string]string{"pageNumber": "4"}, 4, 10, ""},
		{map[string]string{"pageNumber": "9223372036854775807"}, 9223372036854775807, 10, ""},
	} {
		page, size, out, problem := pg.Page(c.params, items)
		if problem != "" || page != c.page || size != c.size || out == nil || strings.Join(out, "") != c.want {
			t.Errorf("%v: page %d size %d %q %q", c.params, page, size, out, problem)
		}
	}
	for _, bad := range []map[string]string{{"pageNumber": "0"}, {"pageNumber": "x"}, {"pageSize": "9"}, {"pageSize": "101"}} {
		if _, _, _, problem := pg.Page(bad, items); problem == "" {
			t.Errorf("%v was accepted", bad)
		}
	}
}
