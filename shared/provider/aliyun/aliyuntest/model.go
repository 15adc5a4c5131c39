package aliyuntest

import (
	"sort"
	"sync"
	"time"
)

// Log is the store times (Unix ms) of the messages of one partition or topic from position Start
// on, the message model every product emulator keeps; positions before Start were dropped by
// retention.
type Log struct {
	Start int64
	Times []int64
}

// End is the position the next message gets.
func (l *Log) End() int64 { return l.Start + int64(len(l.Times)) }

// At is the first position whose message was stored at or after ms, or End when none was.
func (l *Log) At(ms int64) int64 {
	return l.Start + int64(sort.Search(len(l.Times), func(i int) bool { return l.Times[i] >= ms }))
}

// TimeOf is the store time of the message at pos, or 0 when pos holds no retained message.
func (l *Log) TimeOf(pos int64) int64 {
	if i := pos - l.Start; i >= 0 && i < int64(len(l.Times)) {
		return l.Times[i]
	}
	return 0
}

// Clamp moves pos into [Start, End], as the services do with offsets outside the log.
func (l *Log) Clamp(pos int64) int64 { return max(l.Start, min(pos, l.End())) }

// Append adds n messages; message i was stored at ts(i).
func (l *Log) Append(n int, ts func(i int) time.Time) {
	for i := range n {
		l.Times = append(l.Times, ts(i).UnixMilli())
	}
}

// Trim drops the messages before position start, as retention does.
func (l *Log) Trim(start int64) {
	if drop := min(start-l.Start, int64(len(l.Times))); drop > 0 {
		l.Times = l.Times[drop:]
		l.Start += drop
	}
}

// Emulator is the product-independent half of a product emulator: the gateway in front, one lock
// over the product's model (Serve runs under no lock of the Server) and the instances by ID.
type Emulator[I any] struct {
	*Server
	// Mu guards the instances and everything in them.
	Mu        sync.Mutex
	instances map[string]*I
}

// StartEmulator runs the gateway of api (usually the product emulator that embeds the result)
// with no instances and no keys.
func StartEmulator[I any](style Style, version string, api API) *Emulator[I] {
	return &Emulator[I]{Server: Start(style, version, api), instances: map[string]*I{}}
}

// AddInstance returns the instance with this ID, adding the one create makes if there is none.
func (e *Emulator[I]) AddInstance(id string, create func() *I) *I {
	e.Mu.Lock()
	defer e.Mu.Unlock()
	return Lazy(e.instances, id, create)
}

// Lookup finds an instance by ID; the caller holds Mu.
func (e *Emulator[I]) Lookup(id string) (*I, bool) {
	in, ok := e.instances[id]
	return in, ok
}

// Lazy returns m[key], storing create() there first if it is missing: how the models create
// instances and groups on first use.
func Lazy[K comparable, V any](m map[K]*V, key K, create func() *V) *V {
	v, ok := m[key]
	if !ok {
		v = create()
		m[key] = v
	}
	return v
}

// Topics are an instance's topics as one message log each (the RocketMQ OpenAPIs never tell a
// topic's queues apart), with the seeding calls of tests and the demo; they take the emulator's
// lock, which product code serving a request already holds when it reads Logs.
type Topics struct {
	mu   *sync.Mutex
	Logs map[string]*Log
}

// NewTopics makes an empty set of topics guarded by mu.
func NewTopics(mu *sync.Mutex) Topics { return Topics{mu: mu, Logs: map[string]*Log{}} }

// AddTopic creates an empty topic.
func (t Topics) AddTopic(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.Logs[name] = &Log{}
}

// Produce appends n messages to a topic; message i has store time ts(i).
func (t Topics) Produce(name string, n int, ts func(i int) time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.Logs[name].Append(n, ts)
}

// Trim drops a topic's messages before position start (retention).
func (t Topics) Trim(name string, start int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.Logs[name].Trim(start)
}

// Bounds is the position of a topic's oldest retained message and its end.
func (t Topics) Bounds(name string) (start, end int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.Logs[name]
	return l.Start, l.End()
}

// DeleteTopic removes a topic; subscriptions to it stay.
func (t Topics) DeleteTopic(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.Logs, name)
}
