package kafka_test

import (
	"context"
	"fmt"
	"offsetreset/shared/reset/resettest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/kafka"
	"offsetreset/shared/provider/kafka/kafkatest"
	"offsetreset/shared/reset"
)

// requestCounter counts the Kafka requests a client writes, by API name.
type requestCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *requestCounter) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, _ error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[kmsg.NameForKey(key)]++
}

func (c *requestCounter) take() (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	total := 0
	var parts []string
	for k, v := range c.n {
		total += v
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(parts)
	c.n = map[string]int{}
	return total, strings.Join(parts, " ")
}

// bigCluster: 200 topics × 50 partitions, one message each; the group "big" is created by the
// benchmark's first reset.
func bigCluster(tb testing.TB) (*kafkatest.Cluster, []string) {
	topics := map[string]int32{}
	var names []string
	for i := 0; i < 200; i++ {
		n := fmt.Sprintf("t%03d", i)
		topics[n] = 50
		names = append(names, n)
	}
	k, err := kafkatest.Start(topics)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(k.Close)
	ctx := context.Background()
	for _, n := range names {
		for p := int32(0); p < 50; p++ {
			if err := k.Produce(ctx, n, p, 1, func(int) time.Time { return time.UnixMilli(1_700_000_000_000) }); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return k, names
}

func newCounted(tb testing.TB, k *kafkatest.Cluster) (*reset.Planner, *requestCounter) {
	prov, err := kafka.New("big", config.Target{Provider: "kafka", Brokers: k.Addrs})
	if err != nil {
		tb.Fatal(err)
	}
	c := &requestCounter{n: map[string]int{}}
	prov.(*kafka.Provider).Opts = []kgo.Opt{kgo.WithHooks(c)}
	tb.Cleanup(prov.(*kafka.Provider).Close)
	return &reset.Planner{Targets: resettest.Only("big", prov)}, c
}

// BenchmarkReset10kPartitions resets one group over 10,000 partitions (200 topics × 50),
// alternating earliest and latest so every iteration writes every partition, and reports the
// Kafka requests per reset.
func BenchmarkReset10kPartitions(b *testing.B) {
	k, names := bigCluster(b)
	planner, counter := newCounted(b, k)
	ctx := context.Background()
	// The first reset creates the group (one committed offset on every partition).
	warm := planner.Run(ctx, reset.Command{Target: "big", Group: "big", Topics: names, To: "earliest", CreateGroup: true}, reset.Options{})
	if warm.Status != reset.StatusApplied || len(warm.Partitions) != 10000 {
		b.Fatalf("%s %s", warm.Status, warm.Error)
	}
	counter.take()
	b.ReportAllocs()
	i := 0
	var reqs int
	var detail string
	for b.Loop() {
		to := "latest"
		if i%2 == 1 {
			to = "earliest"
		}
		i++
		res := planner.Run(ctx, reset.Command{Target: "big", Group: "big", To: to}, reset.Options{})
		if res.Status != reset.StatusApplied || len(res.Partitions) != 10000 {
			b.Fatalf("%s %d %s", res.Status, len(res.Partitions), res.Error)
		}
		n, d := counter.take()
		reqs, detail = reqs+n, d
	}
	b.ReportMetric(float64(reqs)/float64(i), "requests/op")
	b.Logf("requests of the last reset: %s", detail)
}

// TestRequestsPerResetAreConstant: a reset costs the same five Kafka requests for 6 partitions as
// for 10,000 (see BenchmarkReset10kPartitions): DescribeGroups, OffsetFetch, two ListOffsets and
// OffsetCommit — a clean commit's per-partition acknowledgement is not read back (any error is).
// Connection set-up is warmed away first.
func TestRequestsPerResetAreConstant(t *testing.T) {
	k, err := kafkatest.Start(map[string]int32{"a": 3, "b": 3})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	ctx := context.Background()
	for _, tp := range []string{"a", "b"} {
		for p := int32(0); p < 3; p++ {
			if err := k.Produce(ctx, tp, p, 4, func(int) time.Time { return time.Now() }); err != nil {
				t.Fatal(err)
			}
			if err := k.Commit(ctx, "big", tp, p, 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	planner, counter := newCounted(t, k)
	planner.Run(ctx, reset.Command{Target: "big", Group: "big", To: "latest", DryRun: true}, reset.Options{})
	counter.take()
	res := planner.Run(ctx, reset.Command{Target: "big", Group: "big", To: "earliest"}, reset.Options{})
	if res.Status != reset.StatusApplied || len(res.Partitions) != 6 {
		t.Fatalf("%s %s", res.Status, res.Error)
	}
	if n, detail := counter.take(); n != 5 {
		t.Fatalf("%d requests (%s), want 5", n, detail)
	}
}

// A reset of more than one batch commits batch after batch: five partitions in batches of two
// are three OffsetCommit requests, and every partition is applied.
func TestCommitInBatches(t *testing.T) {
	defer kafka.SetCommitBatch(2)()
	e := setup(t)
	planner, counter := newCounted(t, e.k)
	ctx := context.Background()
	cmd := reset.Command{Target: "big", Group: "g", Topics: []string{"orders", "payments"}, To: "latest"}
	planner.Run(ctx, reset.Command{Target: "big", Group: "g", To: "latest", DryRun: true}, reset.Options{})
	counter.take()
	r := planner.Run(ctx, cmd, reset.Options{})
	resettest.WantStatus(t, r, reset.StatusApplied)
	// latest needs no log starts: DescribeGroups, OffsetFetch, ListOffsets (ends), 3 commits.
	if n, detail := counter.take(); n != 6 || !strings.Contains(detail, "OffsetCommit=3") {
		t.Fatalf("%d requests (%s), want 6 with 3 commits", n, detail)
	}
	assertCommitted(t, e, map[string]map[int32]int64{"orders": {0: 10, 1: 10, 2: 10}, "payments": {0: 5, 1: 5}})
	if r.Undo == nil || len(r.Undo.Offsets) != 4 {
		t.Fatalf("undo %+v", r.Undo)
	}
}

// The second batch's request loses its connection after the first was written: the first batch
// is applied, the second's partitions are unknown (no answer: they may still be applied), the
// third is not sent; the result is unknown and its undo covers the first batch only.
func TestCommitBatchFailsAfterAnEarlierOneWasWritten(t *testing.T) {
	defer kafka.SetCommitBatch(2)()
	e := setup(t)
	if err := e.k.Commit(context.Background(), "g", "orders", 2, 0); err != nil {
		t.Fatal(err)
	}
	e.dropAfter(kmsg.OffsetCommit, 1)
	r := e.run(t, reset.Command{Group: "g", Topics: []string{"orders", "payments"}, To: "latest"})
	// The dropped batch got no answer: unknown (it may still be applied); the batch never sent
	// is proven unchanged; the whole is unknown.
	resettest.WantStatus(t, r, reset.StatusUnknown)
	want := []struct {
		status reset.Status
		error  string
	}{{reset.StatusApplied, ""}, {reset.StatusApplied, ""}, {reset.StatusUnknown, "could not commit offsets for g"},
		{reset.StatusUnknown, "could not commit offsets for g"}, {reset.StatusUnchanged, "not applied: not sent, because an earlier batch of this commit failed"}}
	for i, p := range r.Partitions {
		if p.Status != want[i].status || !strings.HasPrefix(p.Error, want[i].error) {
			t.Errorf("row %d: %s %q, want %s %q…", i, p.Status, p.Error, want[i].status, want[i].error)
		}
	}
	assertCommitted(t, e, map[string]map[int32]int64{"orders": {0: 10, 1: 10, 2: 0}, "payments": {0: 1, 1: 1}})
	if r.Undo == nil || len(r.Undo.Offsets) != 2 || r.Undo.Offsets[1].Offset != 5 {
		t.Fatalf("undo %+v", r.Undo)
	}
}
