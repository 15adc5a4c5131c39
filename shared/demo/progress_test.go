package demo_test

import (
	"slices"
	"testing"

	"offsetreset/shared/reset"
)

// A reset on a cloud emulator reports its calls to the context's progress function as they end,
// one per topic of the fan-out (Huawei Cloud's plumbing and Alibaba Cloud's); the offsets are read
// back from the emulator.
func TestCloudProgressPerTopic(t *testing.T) {
	for _, k := range []string{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
		"HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN"} {
		t.Setenv(k, "")
	}
	ctx, _, p := startDemo(t)
	for _, c := range []struct {
		target string
		want   []string // every call reported; a fan-out's calls run concurrently, so compared as a multiset
	}{
		{"hw-kafka-demo", []string{"ShowGroups orders-etl", "ListTopicPartitions orders", "ListTopicPartitions payments",
			"ResetMessageOffsetWithEngine of group orders-etl on topic orders", "ResetMessageOffsetWithEngine of group orders-etl on topic payments", "ShowGroups orders-etl"}},
		{"ali-rmq5-demo", []string{"GetConsumerGroupLag of group orders-etl",
			"ResetConsumeOffset of group orders-etl on topic orders", "ResetConsumeOffset of group orders-etl on topic payments", "GetConsumerGroupLag of group orders-etl"}},
	} {
		var steps []string
		rctx := reset.WithProgress(ctx, func(s reset.Step) {
			if s.Failed {
				t.Errorf("%s: %s failed", c.target, s.What)
			}
			steps = append(steps, s.What)
		})
		r := p.Run(rctx, reset.Command{Target: c.target, Group: "orders-etl", To: "latest"}, reset.Options{})
		if r.Status != reset.StatusApplied || len(r.Partitions) == 0 {
			t.Fatalf("%s: %s %s", c.target, r.Status, r.Error)
		}
		got := slices.Clone(steps)
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: reported %q, want %q", c.target, steps, c.want)
		}

		// On the emulator: every partition of both topics at its end, or no lag left.
		now := p.Run(ctx, reset.Command{Target: c.target, Group: "orders-etl", To: "current", DryRun: true}, reset.Options{})
		topics := map[string]bool{}
		for _, row := range now.Partitions {
			topics[row.Topic] = true
			switch {
			case row.Before != nil && row.LogEnd != nil && *row.Before == *row.LogEnd:
			case row.Before == nil && row.Lag != nil && *row.Lag == 0:
			default:
				t.Errorf("%s: %s/%d not at latest on the emulator: %+v", c.target, row.Topic, row.Partition, row)
			}
		}
		if len(topics) != 2 {
			t.Errorf("%s: topics %v on the emulator", c.target, topics)
		}
	}
}
