package huaweicloudtest

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"
)

// DMS is what the DMS emulators (huaweikafkatest, huaweirocketmqtest) share: the signing Server,
// the one project and instance they serve, and one lock over the product's model.
type DMS struct {
	*Server
	Project, Instance string
	// Mu guards the product's model; Route handlers run under it.
	Mu sync.Mutex
}

// NewDMS makes an emulator of instance in project with no routes; add them with Route, then Start.
func NewDMS(project, instance string) *DMS {
	return &DMS{Server: NewServer(), Project: project, Instance: instance}
}

// Route adds a route for op whose requests must name the emulator's project (in the path and in
// X-Project-Id) and instance, answering DMS's 403 or 404 otherwise; h runs under Mu.
func (d *DMS) Route(op, pattern string, h Handler) {
	d.Handle(op, pattern, func(r *http.Request, body []byte) Reply {
		if r.PathValue("project_id") != d.Project || r.Header.Get("X-Project-Id") != d.Project {
			return Fail(http.StatusForbidden, "DMS.00403000", "The project %s is not the project of the request's credentials or has no DMS instances.", r.PathValue("project_id"))
		}
		if r.PathValue("instance_id") != d.Instance {
			return Fail(http.StatusNotFound, "DMS.00404022", "The instance %s does not exist.", r.PathValue("instance_id"))
		}
		d.Mu.Lock()
		defer d.Mu.Unlock()
		return h(r, body)
	})
}

// Describe names the emulator of product for banners.
func (d *DMS) Describe(product string) string {
	return fmt.Sprintf("DMS for %s emulator at %s (project %s, instance %s)", product, d.URL, d.Project, d.Instance)
}

// Model is the state a DMS emulator serves: topics made of parts P (partitions, queues) and
// consumer groups G, created on first use. Its methods take the emulator's lock; route handlers
// already hold it and use the fields directly.
type Model[P, G any] struct {
	mu       *sync.Mutex
	Topics   map[string][]P
	Groups   map[string]*G
	newGroup func() *G
	// created numbers the groups in the order they were created, the order the lists answer in.
	created map[string]int
}

// NewModel makes an empty model guarded by mu whose groups newGroup makes.
func NewModel[P, G any](mu *sync.Mutex, newGroup func() *G) Model[P, G] {
	return Model[P, G]{mu: mu, Topics: map[string][]P{}, Groups: map[string]*G{}, newGroup: newGroup, created: map[string]int{}}
}

// AddTopic creates (or replaces) a topic with the given parts.
func (m Model[P, G]) AddTopic(name string, parts ...P) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Topics[name] = append([]P(nil), parts...)
}

// Parts returns a copy of a topic's parts.
func (m Model[P, G]) Parts(topic string) []P {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]P(nil), m.Topics[topic]...)
}

// Group returns a group, creating it; the caller holds the lock.
func (m Model[P, G]) Group(name string) *G {
	g, ok := m.Groups[name]
	if !ok {
		g = m.newGroup()
		m.Groups[name] = g
		m.created[name] = len(m.created)
	}
	return g
}

// AddGroup creates a group with nothing in it, for seeding.
func (m Model[P, G]) AddGroup(name string) { m.UpdateGroup(name, func(*G) {}) }

// GroupNames are the groups' names in the order they were created (the services document no
// order for their lists; a test that wants sorted names must sort them itself); the caller holds
// the lock.
func (m Model[P, G]) GroupNames() []string {
	names := make([]string, 0, len(m.Groups))
	for n := range m.Groups {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return m.created[names[i]] < m.created[names[j]] })
	return names
}

// GroupsCreatedAt is the creation time (Unix ms) the emulated ListInstanceConsumerGroups report
// for every group (createdAt in Kafka's, created_at in RocketMQ's).
var GroupsCreatedAt = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

// GroupPage reads a DMS ListInstanceConsumerGroups request: the groups in creation order, the
// page that the offset and limit query parameters pick (limit 1 to maxLimit, default 10) and the
// total. filter decides whether a name matches the group query parameter; without it that filter
// is not emulated, and a request using it is refused. The caller holds the lock.
func (m Model[P, G]) GroupPage(r *http.Request, maxLimit int, filter func(name, value string) bool) (page []string, offset, limit, total int, bad *Reply) {
	offset, limit, bad = Paging(r, 10, maxLimit)
	if bad != nil {
		return nil, 0, 0, 0, bad
	}
	names := m.GroupNames()
	if v := r.URL.Query().Get("group"); v != "" {
		if filter == nil {
			rep := Fail(http.StatusBadRequest, "DMS.00400001", "The emulator does not filter the consumer group list by group; leave it out.")
			return nil, 0, 0, 0, &rep
		}
		names = slices.DeleteFunc(names, func(n string) bool { return !filter(n, v) })
	}
	page = []string{}
	if offset < len(names) {
		page = names[offset:min(offset+limit, len(names))]
	}
	return page, offset, limit, len(names), nil
}

// UpdateGroup runs f on a group (creating it) under the lock, for seeding.
func (m Model[P, G]) UpdateGroup(name string, f func(g *G)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f(m.Group(name))
}

// Span is messages Start..End−1 where message o was stored at First + (o−Start)·Step ms: the
// DMS emulators' partitions and queues, which can hold offsets far above 2^31 without storing
// messages.
type Span struct{ Start, End, First, Step int64 }

// Time is the store time of message o.
func (s Span) Time(o int64) int64 { return s.First + (o-s.Start)*s.Step }

// OffsetAt is the first offset whose message was stored at or after ms, clamped as the services
// do: Start for a time at or before the first message, End for a time after the newest.
func (s Span) OffsetAt(ms int64) int64 {
	if s.End <= s.Start || ms <= s.First {
		return s.Start
	}
	if ms > s.Time(s.End-1) {
		return s.End
	}
	step := max(s.Step, 1)
	return s.Start + (ms-s.First+step-1)/step
}
