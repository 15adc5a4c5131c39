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

// bigCluster: 200 topics × 50 partitions, one message each, group "big" committed at 0 everywhere.
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
	warm := planner.Run(ctx, reset.Command{Target: "big", Group: "big", Topics: names, To: "earliest"}, reset.Options{})
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

// TestRequestsPerResetAreConstant: a reset costs the same six Kafka requests for 6 partitions as
// for 10,000 (see BenchmarkReset10kPartitions): DescribeGroups, OffsetFetch, two ListOffsets,
// OffsetCommit and the read-back OffsetFetch. Connection set-up is warmed away first.
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
	if n, detail := counter.take(); n != 6 {
		t.Fatalf("%d requests (%s), want 6", n, detail)
	}
}
