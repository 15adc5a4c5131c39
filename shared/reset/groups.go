package reset

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// didYouMean lists the existing groups closest to a group name that has no committed offsets
// (" did you mean billing?"), from the backend's group list; "" when none is close or the
// backend cannot list groups. It never fails the command: a listing error is only a note.
func (p *Planner) didYouMean(ctx context.Context, prov Provider, group string) string {
	gl, ok := prov.(GroupLister)
	if !ok {
		return ""
	}
	groups, err := gl.ListGroups(ctx)
	if err != nil {
		AddNote(ctx, "the group list could not be read to suggest a name: %v", err)
		return ""
	}
	close := Closest(group, groups, 3)
	if len(close) == 0 {
		return ""
	}
	return "; did you mean " + strings.Join(close, " or ") + "?"
}

// Closest returns up to n names within a small edit distance of name (about a third of its
// length, at least 2), nearest first; name itself is never among them.
func Closest(name string, names []string, n int) []string {
	limit := max(2, len(name)/3)
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, g := range names {
		if g == name || abs(len(g)-len(name)) > limit {
			continue
		}
		if d := editDistance(strings.ToLower(name), strings.ToLower(g), limit); d <= limit {
			cs = append(cs, cand{g, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].name < cs[j].name
	})
	var out []string
	for i := 0; i < len(cs) && i < n; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

// editDistance is the Levenshtein distance of a and b, stopping early past limit (names are at
// most MaxNameLen long, and most pairs are far apart).
func editDistance(a, b string, limit int) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// GroupNames formats a few group names for a sentence.
func GroupNames(groups []string, n int) string {
	if len(groups) == 0 {
		return "none"
	}
	return fmt.Sprint(strings.Join(FirstN(groups, n), ", "))
}
