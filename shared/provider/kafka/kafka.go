// Package kafka is the provider for any Apache-Kafka-protocol cluster (self-managed, AWS MSK,
// Confluent, the Kafka endpoints of Alibaba and Huawei instances), built on franz-go's kadm.
package kafka

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"offsetreset/shared/config"
	"offsetreset/shared/reset"
)

// Provider talks the Kafka protocol to one cluster. The client is built on first use.
type Provider struct {
	name string
	cfg  config.Target
	// Opts are extra client options (tests count requests through a hook).
	Opts []kgo.Opt

	mu  sync.Mutex
	adm *kadm.Client
}

// New checks a kafka target's config: brokers, and SASL when given.
func New(name string, t config.Target) (reset.Provider, error) {
	if len(t.Brokers) == 0 {
		return nil, errors.New("brokers is empty; list at least one host:port")
	}
	for _, b := range t.Brokers {
		if !strings.Contains(b, ":") {
			return nil, fmt.Errorf("broker %q has no port; write host:port", b)
		}
	}
	if s := t.SASL; s != nil {
		switch strings.ToUpper(s.Mechanism) {
		case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		default:
			return nil, fmt.Errorf("sasl.mechanism %q is not supported; use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.Mechanism)
		}
		if s.Username == "" || s.PasswordEnv == "" {
			return nil, errors.New("sasl needs username and passwordEnv (the name of the variable holding the password)")
		}
	}
	if t.Region != "" || t.Instance != "" || t.Project != "" || t.Engine != "" || t.API != "" {
		return nil, errors.New("region, instance, project, engine and api do not apply to provider kafka; give brokers instead")
	}
	return &Provider{name: name, cfg: t}, nil
}

// Kind implements reset.Provider.
func (p *Provider) Kind() string { return "kafka" }

// Capabilities implements reset.Provider: every form, partition subsets, exact offsets, and the
// empty-group rule of the Kafka protocol.
func (p *Provider) Capabilities() reset.Capabilities {
	return reset.Capabilities{
		Forms:        reset.AllForms,
		Partitions:   true,
		ExactOffsets: true,
		Guard:        reset.GuardEmpty,
		Marks:        true,
		Describe:     "Kafka supports every target",
	}
}

func (p *Provider) client() (*kadm.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.adm != nil {
		return p.adm, nil
	}
	opts := []kgo.Opt{kgo.SeedBrokers(p.cfg.Brokers...), kgo.RequestRetries(2), kgo.RetryTimeout(10 * time.Second)}
	if p.cfg.TLS {
		opts = append(opts, kgo.DialTLSConfig(&tls.Config{MinVersion: tls.VersionTLS12}))
	}
	if s := p.cfg.SASL; s != nil {
		pass, ok := os.LookupEnv(s.PasswordEnv)
		if !ok || pass == "" {
			return nil, fmt.Errorf("target %s: the SASL password variable %s is not set", p.name, s.PasswordEnv)
		}
		switch strings.ToUpper(s.Mechanism) {
		case "PLAIN":
			opts = append(opts, kgo.SASL(plain.Auth{User: s.Username, Pass: pass}.AsMechanism()))
		case "SCRAM-SHA-256":
			opts = append(opts, kgo.SASL(scram.Auth{User: s.Username, Pass: pass}.AsSha256Mechanism()))
		case "SCRAM-SHA-512":
			opts = append(opts, kgo.SASL(scram.Auth{User: s.Username, Pass: pass}.AsSha512Mechanism()))
		}
	}
	cl, err := kgo.NewClient(append(opts, p.Opts...)...)
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", p.name, err)
	}
	p.adm = kadm.NewClient(cl)
	return p.adm, nil
}

// Close releases the client.
func (p *Provider) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.adm != nil {
		p.adm.Close()
		p.adm = nil
	}
}

// Snapshot implements reset.Provider: DescribeGroups, OffsetFetch, Metadata and ListOffsets for
// the log start and end of every partition. With no topics named, the rows are the partitions
// the group has committed offsets for.
func (p *Provider) Snapshot(ctx context.Context, q reset.Query) (*reset.Snapshot, error) {
	adm, err := p.client()
	if err != nil {
		return nil, err
	}
	described, err := adm.DescribeGroups(ctx, q.Group)
	if err != nil {
		return nil, p.wireErr("describe group "+q.Group, err)
	}
	snap := &reset.Snapshot{}
	if g, ok := described[q.Group]; ok {
		if g.Err != nil && !errors.Is(g.Err, kerr.GroupIDNotFound) {
			return nil, p.wireErr("describe group "+q.Group, g.Err)
		}
		snap.State = g.State
		for _, m := range g.Members {
			snap.Members = append(snap.Members, reset.Member{ID: m.MemberID, ClientID: m.ClientID, Host: strings.TrimPrefix(m.ClientHost, "/")})
		}
	}
	fetched, err := adm.FetchOffsets(ctx, q.Group)
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		return nil, p.wireErr("fetch the committed offsets of "+q.Group, err)
	}
	topics := q.Topics
	if len(topics) == 0 {
		for t, ps := range fetched {
			for _, r := range ps {
				if r.Err == nil && r.At >= 0 {
					topics = append(topics, t)
					break
				}
			}
		}
		sort.Strings(topics)
		if len(topics) == 0 {
			return snap, nil
		}
	}
	starts, ends, err := p.bounds(ctx, adm, topics)
	if err != nil {
		return nil, err
	}
	for _, t := range topics {
		parts := make([]int32, 0, len(ends[t]))
		for part := range ends[t] {
			parts = append(parts, part)
		}
		sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
		for _, part := range parts {
			row := reset.PartitionState{Topic: t, Partition: part}
			if c, ok := fetched.Lookup(t, part); ok && c.Err == nil && c.At >= 0 {
				row.Committed = reset.Int64(c.At)
				row.Marks = reset.ParseMarks(c.Metadata)
			} else if len(q.Topics) == 0 {
				continue // all topics = the partitions the group has committed (as kafka-consumer-groups --all-topics)
			}
			s, e := starts[t][part], ends[t][part]
			switch {
			case s.Err != nil:
				row.Err = fmt.Errorf("log start of %s/%d could not be read: %v", t, part, s.Err)
			case e.Err != nil:
				row.Err = fmt.Errorf("log end of %s/%d could not be read: %v", t, part, e.Err)
			default:
				row.Start, row.End = reset.Int64(s.Offset), reset.Int64(e.Offset)
			}
			snap.Rows = append(snap.Rows, row)
		}
	}
	return snap, nil
}

// bounds lists start and end offsets; an unknown topic is the caller's mistake.
func (p *Provider) bounds(ctx context.Context, adm *kadm.Client, topics []string) (kadm.ListedOffsets, kadm.ListedOffsets, error) {
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return nil, nil, p.wireErr("list log start offsets", err)
	}
	for _, t := range topics {
		if r, ok := starts[t][-1]; ok && r.Err != nil {
			if errors.Is(r.Err, kerr.UnknownTopicOrPartition) {
				return nil, nil, reset.Invalid("topic %q does not exist on target %s; check the name", t, p.name)
			}
			return nil, nil, p.wireErr("read topic "+t, r.Err)
		}
	}
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, nil, p.wireErr("list log end offsets", err)
	}
	return starts, ends, nil
}

// OffsetsAfter implements reset.TimeResolver with ListOffsets by timestamp; a partition with no
// message at or after the time resolves to its log end.
func (p *Provider) OffsetsAfter(ctx context.Context, q reset.Query, millis int64) (map[reset.TopicPartition]int64, error) {
	adm, err := p.client()
	if err != nil {
		return nil, err
	}
	topics := q.Topics
	if len(topics) == 0 {
		fetched, err := adm.FetchOffsets(ctx, q.Group)
		if err != nil {
			return nil, p.wireErr("fetch the committed offsets of "+q.Group, err)
		}
		for t := range fetched {
			topics = append(topics, t)
		}
	}
	listed, err := adm.ListOffsetsAfterMilli(ctx, millis, topics...)
	if err != nil {
		return nil, p.wireErr("list offsets by time", err)
	}
	out := map[reset.TopicPartition]int64{}
	listed.Each(func(l kadm.ListedOffset) {
		if l.Err == nil && l.Partition >= 0 && l.Offset >= 0 {
			out[reset.TopicPartition{Topic: l.Topic, Partition: l.Partition}] = l.Offset
		}
	})
	return out, nil
}

// Committed implements reset.CommittedReader: one OffsetFetch after the commit.
func (p *Provider) Committed(ctx context.Context, q reset.Query) (map[reset.TopicPartition]int64, error) {
	adm, err := p.client()
	if err != nil {
		return nil, err
	}
	fetched, err := adm.FetchOffsets(ctx, q.Group)
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		return nil, p.wireErr("read the committed offsets of "+q.Group, err)
	}
	out := map[reset.TopicPartition]int64{}
	fetched.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.At >= 0 {
			out[reset.TopicPartition{Topic: o.Topic, Partition: o.Partition}] = o.At
		}
	})
	return out, nil
}

// Apply implements reset.Provider: one OffsetCommit for every move, and a check of every
// per-partition error (a broker answers UNKNOWN_MEMBER_ID per partition for an active group
// without failing the call).
func (p *Provider) Apply(ctx context.Context, a *reset.Apply) ([]reset.Outcome, error) {
	adm, err := p.client()
	if err != nil {
		return nil, err
	}
	offsets := make(kadm.Offsets)
	for _, m := range a.Moves {
		if m.Offset == nil {
			return nil, fmt.Errorf("internal error: no resolved offset for %s/%d", m.Topic, m.Partition)
		}
		offsets.Add(kadm.Offset{Topic: m.Topic, Partition: m.Partition, At: *m.Offset, LeaderEpoch: -1, Metadata: m.Metadata})
	}
	resp, err := adm.CommitOffsets(ctx, a.Group, offsets)
	if err != nil {
		return nil, p.wireErr("commit offsets for "+a.Group, err)
	}
	out := make([]reset.Outcome, len(a.Moves))
	for i, m := range a.Moves {
		r, ok := resp.Lookup(m.Topic, m.Partition)
		switch {
		case !ok:
			out[i].Err = errors.New("the broker did not answer for this partition; nothing is known to be committed")
		case r.Err != nil:
			out[i].Err = commitErr(a.Group, r.Err)
		}
	}
	return out, nil
}

func commitErr(group string, err error) error {
	switch {
	case errors.Is(err, kerr.UnknownMemberID), errors.Is(err, kerr.IllegalGeneration), errors.Is(err, kerr.RebalanceInProgress):
		return fmt.Errorf("the broker refused the commit (%v): group %s became active after the check; stop its consumers and retry", err, group)
	case errors.Is(err, kerr.GroupAuthorizationFailed), errors.Is(err, kerr.TopicAuthorizationFailed):
		return fmt.Errorf("not authorized to commit offsets for group %s (%v); grant the principal READ on the group and topic", group, err)
	}
	return fmt.Errorf("commit failed: %v", err)
}

func (p *Provider) wireErr(what string, err error) error {
	var ke *kerr.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return fmt.Errorf("could not %s on target %s before the deadline (brokers %s): is the cluster reachable?", what, p.name, strings.Join(p.cfg.Brokers, ", "))
	case errors.As(err, &ke) && (errors.Is(err, kerr.GroupAuthorizationFailed) || errors.Is(err, kerr.TopicAuthorizationFailed) || errors.Is(err, kerr.ClusterAuthorizationFailed)):
		return fmt.Errorf("could not %s on target %s: %v; grant the principal DESCRIBE/READ on the group and topics", what, p.name, err)
	}
	return fmt.Errorf("could not %s on target %s: %v", what, p.name, err)
}
