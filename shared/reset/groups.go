package reset

import (
	"context"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
)

// GroupSet gathers the group names of a list API's pages the way GroupLister answers them:
// sorted, without duplicates and empty names. The zero value holds none.
type GroupSet struct{ seen map[string]bool }

// Add adds a page's names and reports whether any of them was new (a service that ignores the
// paging answers the same page again, which brings none).
func (g *GroupSet) Add(names []string) (fresh bool) {
	if g.seen == nil {
		g.seen = map[string]bool{}
	}
	for _, n := range names {
		if n != "" && !g.seen[n] {
			g.seen[n], fresh = true, true
		}
	}
	return fresh
}

// Sorted is every name added, sorted (empty, not nil, when there is none).
func (g *GroupSet) Sorted() []string {
	names := slices.AppendSeq(make([]string, 0, len(g.seen)), maps.Keys(g.seen))
	slices.Sort(names)
	return names
}

// DefaultMaxGroups bounds how many groups one `groups` command may expand to.
const DefaultMaxGroups = 50

// Expand turns a command with groups (names or path.Match globs) into one command per matching
// group, in name order, through the backend's group list. A pattern matching no group, or more
// than maxGroups groups in all, is invalid; a command without groups is returned as is.
func (p *Planner) Expand(ctx context.Context, cmd Command, maxGroups int) ([]Command, error) {
	if len(cmd.Groups) == 0 {
		return []Command{cmd}, nil
	}
	if _, err := cmd.Validate(); err != nil {
		return nil, Invalid("%v", err)
	}
	if maxGroups <= 0 {
		maxGroups = DefaultMaxGroups
	}
	prov, err := p.Targets.Provider(cmd.Target)
	if err != nil {
		return nil, err
	}
	gl, ok := prov.(GroupLister)
	if !ok {
		return nil, Invalid("%s targets cannot list their consumer groups, so groups cannot be expanded; name each group in its own command", prov.Kind())
	}
	all, err := gl.ListGroups(ctx)
	if err != nil {
		return nil, err
	}
	var matched GroupSet
	for _, pat := range cmd.Groups {
		n := 0
		for _, g := range all {
			if ok, _ := path.Match(pat, g); ok {
				matched.Add([]string{g})
				n++
			}
		}
		if n == 0 {
			hint := ""
			if close := Closest(pat, all, 3); len(close) > 0 {
				hint = "; did you mean " + strings.Join(close, " or ") + "?"
			}
			return nil, Invalid("groups pattern %q matches no group on target %s%s (groups there: %s)", pat, cmd.Target, hint, GroupNames(all, 5))
		}
	}
	names := matched.Sorted()
	if len(names) > maxGroups {
		return nil, Invalid("groups %s match %d groups on target %s, more than maxGroups %d; narrow the patterns or raise maxGroups in the configuration",
			strings.Join(cmd.Groups, ", "), len(names), cmd.Target, maxGroups)
	}
	out := make([]Command, len(names))
	for i, g := range names {
		c := cmd
		c.Group, c.Groups = g, nil
		out[i] = c
	}
	return out, nil
}

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
	return strings.Join(FirstN(groups, n), ", ")
}
