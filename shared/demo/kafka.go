package demo

import (
	"context"
	"fmt"
	"time"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/kafka/kafkatest"
)

// Demo Kafka data: three topics with 24 h of messages (one every 12 minutes per partition), and
// groups with lag. Group "dashboard" has a live member, so resetting it is refused.
var (
	demoTopics  = map[string]int32{"orders": 6, "clickstream": 4, "payments": 3}
	demoCommits = []struct {
		group, topic string
		at           func(p int32) int64
	}{
		{"billing", "orders", func(p int32) int64 { return 20 + int64(p)*5 }},
		{"analytics-web", "clickstream", func(int32) int64 { return 10 }},
		{"orders-etl", "orders", func(int32) int64 { return 100 }},
		{"orders-etl", "payments", func(int32) int64 { return 50 }},
		{"dashboard", "clickstream", func(int32) int64 { return 110 }},
	}
)

// DemoMessages is how many messages each demo partition holds.
const DemoMessages = 120

func init() { register("kafka", startKafka) }

func startKafka(ctx context.Context, e *Env) error {
	k, err := kafkatest.Start(demoTopics)
	if err != nil {
		return err
	}
	e.OnClose(k.Close)
	start := time.Now().Add(-24 * time.Hour).Truncate(time.Minute)
	for t, n := range demoTopics {
		for p := int32(0); p < n; p++ {
			if err := k.Produce(ctx, t, p, DemoMessages, func(i int) time.Time { return start.Add(time.Duration(i) * 12 * time.Minute) }); err != nil {
				return err
			}
		}
	}
	for _, c := range demoCommits {
		for p := int32(0); p < demoTopics[c.topic]; p++ {
			if err := k.Commit(ctx, c.group, c.topic, p, c.at(p)); err != nil {
				return err
			}
		}
	}
	m, err := k.Join(ctx, "dashboard", "clickstream", "dashboard-1")
	if err != nil {
		return err
	}
	e.OnClose(m.Leave)
	e.AddTarget("demo", config.Target{Provider: "kafka", Brokers: k.Addrs},
		fmt.Sprintf("embedded Kafka at %s: groups billing, analytics-web, orders-etl, dashboard (live member)", k.Addrs[0]))
	return nil
}
