// Package kafkatest runs an in-process Kafka-protocol broker (franz-go's kfake) and seeds it with
// topics, timestamped messages, committed offsets and live group members, for tests and the demo.
package kafkatest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Cluster is a running kfake broker with an admin client.
type Cluster struct {
	*kfake.Cluster
	Addrs []string
	cl    *kgo.Client
	adm   *kadm.Client
}

// Start starts a one-broker cluster with the given topics (name → partitions).
func Start(topics map[string]int32, opts ...kfake.Opt) (*Cluster, error) {
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(0))
	if err != nil {
		c.Close()
		return nil, err
	}
	k := &Cluster{Cluster: c, Addrs: c.ListenAddrs(), cl: cl, adm: kadm.NewClient(cl)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for t, n := range topics {
		if _, err := k.adm.CreateTopic(ctx, n, 1, nil, t); err != nil {
			k.Close()
			return nil, fmt.Errorf("create topic %s: %w", t, err)
		}
	}
	return k, nil
}

// Close stops the client and the broker.
func (k *Cluster) Close() {
	k.cl.Close()
	k.Cluster.Close()
}

// Produce appends n messages to one partition; message i gets timestamp ts(i).
func (k *Cluster) Produce(ctx context.Context, topic string, partition int32, n int, ts func(i int) time.Time) error {
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: topic, Partition: partition, Value: fmt.Appendf(nil, "m%d", i), Timestamp: ts(i)}
	}
	return k.cl.ProduceSync(ctx, recs...).FirstErr()
}

// Commit sets a group's committed offset for one partition (the group must be empty).
func (k *Cluster) Commit(ctx context.Context, group, topic string, partition int32, offset int64) error {
	return k.CommitOffsets(ctx, group, map[string]map[int32]int64{topic: {partition: offset}})
}

// CommitOffsets sets a group's committed offsets, topic → partition → offset, in one commit (the
// group must be empty).
func (k *Cluster) CommitOffsets(ctx context.Context, group string, offsets map[string]map[int32]int64) error {
	o := make(kadm.Offsets)
	for topic, parts := range offsets {
		for p, at := range parts {
			o.AddOffset(topic, p, at, -1)
		}
	}
	return k.adm.CommitAllOffsets(ctx, group, o)
}

// Committed reads a group's committed offsets: topic → partition → offset.
func (k *Cluster) Committed(ctx context.Context, group string) (map[string]map[int32]int64, error) {
	r, err := k.adm.FetchOffsets(ctx, group)
	if err != nil {
		return nil, err
	}
	out := map[string]map[int32]int64{}
	r.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.At >= 0 {
			if out[o.Topic] == nil {
				out[o.Topic] = map[int32]int64{}
			}
			out[o.Topic][o.Partition] = o.At
		}
	})
	return out, nil
}

// Member is a live consumer-group member.
type Member struct {
	cl   *kgo.Client
	stop context.CancelFunc
}

// Leave stops the member; it leaves the group, which becomes Empty.
func (m *Member) Leave() {
	m.stop()
	m.cl.Close()
}

// CommitAndJoin commits offset on partition 0 of topic for group, then joins the member clientID
// (see Join): a group with a committed offset and a live member, as tests of refused resets want.
func (k *Cluster) CommitAndJoin(ctx context.Context, group, topic string, offset int64, clientID string) (*Member, error) {
	if err := k.Commit(ctx, group, topic, 0, offset); err != nil {
		return nil, err
	}
	return k.Join(ctx, group, topic, clientID)
}

// Join starts a consumer in group on topic and returns once it has its assignment, so the group
// is Stable when Join returns.
func (k *Cluster) Join(ctx context.Context, group, topic, clientID string) (*Member, error) {
	assigned := make(chan struct{}, 1)
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.Addrs...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ClientID(clientID), kgo.DisableAutoCommit(),
		kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
			select {
			case assigned <- struct{}{}:
			default:
			}
		}))
	if err != nil {
		return nil, err
	}
	pollCtx, stop := context.WithCancel(context.Background())
	go func() {
		for pollCtx.Err() == nil {
			cl.PollFetches(pollCtx)
		}
	}()
	select {
	case <-assigned:
		return &Member{cl: cl, stop: stop}, nil
	case <-ctx.Done():
		stop()
		cl.Close()
		return nil, errors.New("member did not join the group in time")
	}
}
