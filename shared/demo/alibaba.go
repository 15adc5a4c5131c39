package demo

import (
	"context"
	"fmt"
	"os"
	"time"

	"offsetreset/shared/config"
	"offsetreset/shared/provider/alikafka/alikafkatest"
	"offsetreset/shared/provider/alirocketmq/alirocketmqtest"
	"offsetreset/shared/provider/alirocketmq5/alirocketmq5test"
	"offsetreset/shared/provider/aliyun/aliyuntest"
)

// The Alibaba Cloud emulators check signatures, so they need a key: the one in the environment
// if there is one, otherwise these (set into the environment, which the embedded demo only uses
// for its emulators).
const (
	DemoAlibabaKeyID  = "LTAI5tOffsetResetDemo"
	DemoAlibabaSecret = "offsetreset-demo-secret"
)

// Demo Alibaba Cloud instances and their IDs (the CloudMonitor sample alert names the Kafka one).
const (
	demoAliRegion    = "cn-hangzhou"
	demoAliKafka     = "alikafka_post-cn-demo0001"
	demoAliRocketMQ  = "MQ_INST_1270000000000000_BXdemo01"
	demoAliRocketMQ5 = "rmq-cn-demo0001"
)

func init() { register("alibaba", startAlibaba) }

func demoAlibabaKey() aliyuntest.Key {
	id, secret := os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"), os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
	if id == "" || secret == "" {
		id, secret = DemoAlibabaKeyID, DemoAlibabaSecret
		_ = os.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", id)
		_ = os.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret)
		return aliyuntest.Key{ID: id, Secret: secret}
	}
	return aliyuntest.Key{ID: id, Secret: secret, Token: os.Getenv("ALIBABA_CLOUD_SECURITY_TOKEN")}
}

// startAlibaba runs the ApsaraMQ for Kafka, RocketMQ 4.x and RocketMQ 5.x emulators with the
// same story as the Kafka demo: 24 h of messages, one every 12 minutes, and groups with lag.
func startAlibaba(_ context.Context, e *Env) error {
	key := demoAlibabaKey()
	start := time.Now().Add(-24 * time.Hour).Truncate(time.Minute)
	every12m := func(i int) time.Time { return start.Add(time.Duration(i) * 12 * time.Minute) }

	k := alikafkatest.Start()
	e.OnClose(k.Close)
	k.AddKey(key)
	in := k.Instance(demoAliKafka, demoAliRegion)
	for t, n := range Topics {
		in.AddTopic(t, n)
		in.Produce(t, DemoMessages, func(_ int32, i int) time.Time { return every12m(i) })
	}
	for _, c := range Commits {
		in.CommitAll(c.Group, c.Topic, c.At)
	}
	in.CommitAll("dashboard", "clickstream", func(int32) int64 { return 100 })
	in.SetOnline("dashboard", "dashboard-1")
	e.AddTarget("ali-kafka-demo", config.Target{Provider: "alikafka", Region: demoAliRegion, Instance: demoAliKafka, Endpoint: k.URL},
		fmt.Sprintf("ApsaraMQ for Kafka emulator at %s: groups billing, analytics-web, orders-etl, dashboard (consumers online)", k.URL))

	r := alirocketmqtest.Start()
	e.OnClose(r.Close)
	r.AddKey(key)
	rin := r.Instance(demoAliRocketMQ, demoAliRegion)
	for _, t := range []string{"orders", "payments"} {
		rin.AddTopic(t)
		rin.Produce(t, DemoMessages, every12m)
	}
	rin.Subscribe("GID_billing", "orders", 20)
	rin.Subscribe("GID_orders-etl", "orders", 100)
	rin.Subscribe("GID_orders-etl", "payments", 50)
	rin.SetOnline("GID_orders-etl", "10.0.0.7@31337")
	e.AddTarget("ali-rmq-demo", config.Target{Provider: "alirocketmq", Region: demoAliRegion, Instance: demoAliRocketMQ, Endpoint: r.URL},
		fmt.Sprintf("ApsaraMQ for RocketMQ 4.x emulator at %s: groups GID_billing, GID_orders-etl (online)", r.URL))

	r5 := alirocketmq5test.Start()
	e.OnClose(r5.Close)
	r5.AddKey(key)
	r5in := r5.Instance(demoAliRocketMQ5, demoAliRegion)
	for _, t := range []string{"orders", "payments"} {
		r5in.AddTopic(t)
		r5in.Produce(t, DemoMessages, every12m)
	}
	r5in.Subscribe("billing", "orders", 20, 4)
	r5in.Subscribe("orders-etl", "orders", 100, 0)
	r5in.Subscribe("orders-etl", "payments", 50, 2)
	e.AddTarget("ali-rmq5-demo", config.Target{Provider: "alirocketmq5", Region: demoAliRegion, Instance: demoAliRocketMQ5, Endpoint: r5.URL},
		fmt.Sprintf("ApsaraMQ for RocketMQ 5.x emulator at %s: groups billing, orders-etl", r5.URL))
	return nil
}
