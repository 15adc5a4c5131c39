package demo

import (
	"context"
	"fmt"
	"os"
	"time"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/huaweikafka/huaweikafkatest"
	"offsetreset/shared/provider/huaweirocketmq/huaweirocketmqtest"
)

// Huawei Cloud demo data: emulators of a DMS for Kafka and a DMS for RocketMQ instance, each with
// 24 h of messages (one every 12 minutes per partition or queue) and groups with lag.
//
//   - hw-kafka-demo: groups billing and orders-etl (orders, payments), analytics-web (clickstream),
//     metrics-sink (metrics, whose offsets are above 2^31) and dashboard, which has a live member so
//     resetting it is refused.
//   - hw-rmq-demo: groups billing (orders, queues on two brokers) and notifier (notifications) with
//     a consumer online, and batch-report, whose consumers are offline so resetting it is refused.
//
// The emulators check signatures: with HUAWEICLOUD_SDK_AK/SK set, those keys are registered;
// otherwise demo keys are put into the environment.
const (
	hwDemoProject   = "0demo0project0000000000000000000"
	hwDemoKafka     = "demo-kafka-5f2c"
	hwDemoRocketMQ  = "demo-rocketmq-8a1d"
	hwDemoMessages  = 120
	hwDemoStep      = 12 * time.Minute
	hwDemoBigOffset = int64(3_000_000_000)
)

func init() { register("huawei", startHuawei) }

func startHuawei(_ context.Context, e *Env) error {
	ak, sk, token := os.Getenv("HUAWEICLOUD_SDK_AK"), os.Getenv("HUAWEICLOUD_SDK_SK"), os.Getenv("HUAWEICLOUD_SDK_SECURITY_TOKEN")
	if ak == "" || sk == "" {
		ak, sk, token = "DEMOHUAWEIAK0000", "demo-huawei-secret-key", ""
		for k, v := range map[string]string{"HUAWEICLOUD_SDK_AK": ak, "HUAWEICLOUD_SDK_SK": sk, "HUAWEICLOUD_SDK_SECURITY_TOKEN": ""} {
			if err := os.Setenv(k, v); err != nil {
				return err
			}
		}
	}
	first := time.Now().Add(-24 * time.Hour).Truncate(time.Minute).UnixMilli()
	step := hwDemoStep.Milliseconds()

	k := huaweikafkatest.Start(hwDemoProject, hwDemoKafka)
	e.OnClose(k.Close)
	k.AddTemporaryKey(ak, sk, token)
	for name, n := range map[string]int{"orders": 6, "clickstream": 4, "payments": 3} {
		parts := make([]huaweikafkatest.Partition, n)
		for i := range parts {
			parts[i] = huaweikafkatest.Partition{Start: 0, End: hwDemoMessages, First: first, Step: step}
		}
		k.AddTopic(name, parts...)
	}
	big := huaweikafkatest.Partition{Start: hwDemoBigOffset, End: hwDemoBigOffset + hwDemoMessages, First: first, Step: step}
	k.AddTopic("metrics", big, big)
	for p := range int32(6) {
		k.Commit("billing", "orders", p, 20+int64(p)*5)
		k.Commit("orders-etl", "orders", p, 100)
	}
	for p := range int32(3) {
		k.Commit("orders-etl", "payments", p, 50)
	}
	for p := range int32(4) {
		k.Commit("analytics-web", "clickstream", p, 10)
		k.Commit("dashboard", "clickstream", p, 110)
	}
	for p := range int32(2) {
		k.Commit("metrics-sink", "metrics", p, hwDemoBigOffset+30)
	}
	k.Join("dashboard", huaweikafkatest.Member{ID: "dashboard-1-5d0b9c", ClientID: "dashboard-1", Host: "/10.0.0.21",
		Assignment: map[string][]int32{"clickstream": {0, 1, 2, 3}}})
	e.AddTarget("hw-kafka-demo", config.Target{Provider: "huaweikafka", Endpoint: k.URL, Project: hwDemoProject, Instance: hwDemoKafka},
		fmt.Sprintf("Huawei DMS for Kafka emulator at %s: groups billing, orders-etl, analytics-web, metrics-sink (offsets > 2^31), dashboard (live member)", k.URL))

	m := huaweirocketmqtest.Start(hwDemoProject, hwDemoRocketMQ)
	e.OnClose(m.Close)
	m.AddTemporaryKey(ak, sk, token)
	queue := func(broker string, id int32) huaweirocketmqtest.Queue {
		return huaweirocketmqtest.Queue{Broker: broker, ID: id, Min: 0, Max: hwDemoMessages, First: first, Step: step}
	}
	m.AddTopic("orders", queue("broker-0", 0), queue("broker-0", 1), queue("broker-0", 2), queue("broker-0", 3),
		queue("broker-1", 0), queue("broker-1", 1), queue("broker-1", 2), queue("broker-1", 3))
	m.AddTopic("notifications", queue("broker-0", 0), queue("broker-0", 1), queue("broker-0", 2))
	m.Subscribe("billing", "orders", func(q huaweirocketmqtest.Queue) int64 { return 20 + int64(q.ID)*5 })
	m.Connect("billing", huaweirocketmqtest.Client{ID: "10.0.0.31@billing-worker", Addr: "10.0.0.31:50412", Topics: []string{"orders"}})
	m.Subscribe("notifier", "notifications", func(huaweirocketmqtest.Queue) int64 { return 60 })
	m.Connect("notifier", huaweirocketmqtest.Client{ID: "10.0.0.32@notifier", Addr: "10.0.0.32:50977", Topics: []string{"notifications"}})
	m.Subscribe("batch-report", "orders", func(huaweirocketmqtest.Queue) int64 { return 5 })
	e.AddTarget("hw-rmq-demo", config.Target{Provider: "huaweirocketmq", Endpoint: m.URL, Project: hwDemoProject, Instance: hwDemoRocketMQ},
		fmt.Sprintf("Huawei DMS for RocketMQ emulator at %s: groups billing, notifier (consumers online), batch-report (offline)", m.URL))
	return nil
}
