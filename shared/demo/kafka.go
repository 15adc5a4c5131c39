package demo

import (
	"context"
	"fmt"
	"time"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/kafka/kafkatest"
)

// The demo Kafka data: three topics with 24 h of messages, one every 12 minutes per partition,
// placed half a slot off the hour (message i at now − 24h + 6m + i·12m) so that ago:Nh lands on
// a known offset, OffsetAgo(N); and groups with lag. StartKafka seeds a broker with it; the
// embedded demo adds group "dashboard" with a live member, so resetting it is refused.
var (
	Topics  = map[string]int32{"orders": 6, "clickstream": 4, "payments": 3}
	Commits = []struct {
		Group, Topic string
		At           func(p int32) int64
	}{
		{"billing", "orders", func(p int32) int64 { return 20 + int64(p)*5 }},
		{"analytics-web", "clickstream", func(int32) int64 { return 10 }},
		{"analytics-batch", "clickstream", func(int32) int64 { return 30 }},
		{"orders-etl", "orders", func(int32) int64 { return 100 }},
		{"orders-etl", "payments", func(int32) int64 { return 50 }},
	}
)

// DemoMessages is how many messages each demo partition holds.
const DemoMessages = 120

// OffsetAgo is the offset ago:<hours>h resolves to on the demo data.
func OffsetAgo(hours int) int64 { return DemoMessages - 5*int64(hours) }

// StartKafka starts an in-process broker with the demo topics, messages and committed offsets.
func StartKafka(ctx context.Context, now time.Time) (*kafkatest.Cluster, error) {
	k, err := kafkatest.Start(Topics)
	if err != nil {
		return nil, err
	}
	start := now.Add(-24*time.Hour + 6*time.Minute)
	for t, n := range Topics {
		for p := int32(0); p < n; p++ {
			if err := k.Produce(ctx, t, p, DemoMessages, func(i int) time.Time { return start.Add(time.Duration(i) * 12 * time.Minute) }); err != nil {
				k.Close()
				return nil, err
			}
		}
	}
	for _, c := range Commits {
		for p := int32(0); p < Topics[c.Topic]; p++ {
			if err := k.Commit(ctx, c.Group, c.Topic, p, c.At(p)); err != nil {
				k.Close()
				return nil, err
			}
		}
	}
	return k, nil
}

func init() { register("kafka", startKafka) }

func startKafka(ctx context.Context, e *Env) error {
	k, err := StartKafka(ctx, time.Now())
	if err != nil {
		return err
	}
	e.OnClose(k.Close)
	e.Kafka = k
	for p := int32(0); p < Topics["clickstream"]; p++ {
		if err := k.Commit(ctx, "dashboard", "clickstream", p, 110); err != nil {
			return err
		}
	}
	m, err := k.Join(ctx, "dashboard", "clickstream", "dashboard-1")
	if err != nil {
		return err
	}
	e.OnClose(m.Leave)
	e.AddTarget("demo", config.Target{Provider: "kafka", Brokers: k.Addrs},
		fmt.Sprintf("embedded Kafka at %s: groups billing, analytics-web, analytics-batch, orders-etl, dashboard (live member)", k.Addrs[0]))
	return nil
}
