// Package kafka is the provider for any Apache-Kafka-protocol cluster (self-managed, AWS MSK,
// Confluent, the Kafka endpoints of Alibaba and Huawei instances), built on franz-go's kadm.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

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
	// answered: a request of this client was answered, so the brokers speak its protocol (TLS,
	// SASL) and a connection closed later is a dropped connection.
	answered atomic.Bool
}

// New checks a kafka target's config: brokers, and tls and sasl when given. Files and
// variables they name are read when the client is built, on first use.
func New(name string, t config.Target) (reset.Provider, error) {
	if len(t.Brokers) == 0 {
		return nil, errors.New("brokers is empty; list at least one host:port")
	}
	for _, b := range t.Brokers {
		if !strings.Contains(b, ":") {
			return nil, fmt.Errorf("broker %q has no port; write host:port", b)
		}
	}
	if t.Instance != "" || t.Project != "" || t.Engine != "" || t.API != "" {
		return nil, errors.New("instance, project, engine and api do not apply to provider kafka; give brokers instead")
	}
	if err := checkConnect(t); err != nil { // tls, sasl, and region (AWS_MSK_IAM only)
		return nil, err
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
		CommitsAcked: true,
		Describe:     "Kafka supports every target",
	}
}

func (p *Provider) client() (*kadm.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.adm != nil {
		return p.adm, nil
	}
	opts, err := p.connectOpts() // reads the CA, client certificate and secrets (connect.go)
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", p.name, err)
	}
	opts = append(opts, kgo.RequestRetries(2), kgo.RetryTimeout(10*time.Second))
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
// the log end and start of every partition. With no topics named, the rows are the partitions
// the group has committed offsets for.
//
// Memory: a 50,000-partition group answers maps of 50,000 entries per call. The rows are built
// from the committed offsets and the log ends, which are then dropped before the log starts are
// listed, so no more than two of those maps (and the rows) are alive at once; the rows' offsets
// share one allocation.
func (p *Provider) Snapshot(ctx context.Context, q reset.Query) (*reset.Snapshot, error) {
	adm, err := p.client()
	if err != nil {
		return nil, err
	}
	described, err := adm.DescribeGroups(ctx, q.Group)
	if err != nil {
		return nil, p.wireErr("describe group "+q.Group, err)
	}
	p.answered.Store(true)
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
	ends, err := p.bounds(ctx, adm.ListEndOffsets, "list log end offsets", topics)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, t := range topics {
		n += len(ends[t])
	}
	snap.Rows = make([]reset.PartitionState, 0, n)
	vals := make([]int64, 0, 3*n) // every row's Committed, End and Start
	ptr := func(v int64) *int64 {
		vals = append(vals, v)
		return &vals[len(vals)-1]
	}
	var parts []int32
	var ids interner
	for _, t := range topics {
		parts = parts[:0]
		for part := range ends[t] {
			parts = append(parts, part)
		}
		slices.Sort(parts)
		committed := fetched[t]
		for _, part := range parts {
			row := reset.PartitionState{Topic: t, Partition: part}
			if c, ok := committed[part]; ok && c.Err == nil && c.At >= 0 {
				row.Committed = ptr(c.At)
				row.Marks = reset.ParseMarks(c.Metadata)
				for i, m := range row.Marks {
					row.Marks[i].ID = ids.intern(m.ID)
				}
			} else if len(q.Topics) == 0 {
				continue // all topics = the partitions the group has committed (as kafka-consumer-groups --all-topics)
			}
			if e := ends[t][part]; e.Err != nil {
				row.Err = fmt.Errorf("log end of %s/%d could not be read: %v", t, part, e.Err)
			} else {
				row.End = ptr(e.Offset)
			}
			snap.Rows = append(snap.Rows, row)
		}
	}
	if q.SkipStart {
		return snap, nil
	}
	// fetched and ends are dead from here: the collector may have them while the starts are listed.
	starts, err := p.bounds(ctx, adm.ListStartOffsets, "list log start offsets", topics)
	if err != nil {
		return nil, err
	}
	for i := range snap.Rows {
		row := &snap.Rows[i]
		s := starts[row.Topic][row.Partition]
		switch {
		case s.Err != nil: // a row has both bounds or neither; the start's error is the one reported
			row.Err, row.End = fmt.Errorf("log start of %s/%d could not be read: %v", row.Topic, row.Partition, s.Err), nil
		case row.Err == nil:
			row.Start = ptr(s.Offset)
		}
	}
	return snap, nil
}

// interner keeps one copy of each mark id. A reset writes the same id on every partition it
// moves, and a parsed id is a substring of its partition's whole metadata string (up to four
// marks): holding one shared copy instead lets 50,000 metadata strings go after parsing.
type interner map[string]string

func (in *interner) intern(s string) string {
	if v, ok := (*in)[s]; ok {
		return v
	}
	if *in == nil {
		*in = interner{}
	}
	v := strings.Clone(s)
	(*in)[v] = v
	return v
}

// bounds lists the start or the end offsets of the topics; an unknown topic is the caller's
// mistake.
func (p *Provider) bounds(ctx context.Context, list func(context.Context, ...string) (kadm.ListedOffsets, error), what string, topics []string) (kadm.ListedOffsets, error) {
	listed, err := list(ctx, topics...)
	if err != nil {
		return nil, p.wireErr(what, err)
	}
	for _, t := range topics {
		if r, ok := listed[t][-1]; ok && r.Err != nil {
			if errors.Is(r.Err, kerr.UnknownTopicOrPartition) {
				return nil, reset.Invalid("topic %q does not exist on target %s; check the name", t, p.name)
			}
			return nil, p.wireErr("read topic "+t, r.Err)
		}
	}
	return listed, nil
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
	n := 0
	for _, ps := range fetched {
		n += len(ps)
	}
	out := make(map[reset.TopicPartition]int64, n)
	fetched.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.At >= 0 {
			out[reset.TopicPartition{Topic: o.Topic, Partition: o.Partition}] = o.At
		}
	})
	return out, nil
}

// commitBatch bounds the partitions of one OffsetCommit request. A reset of more partitions
// commits in batches, one after another, so that the request, its encoding and kadm's answer
// are alive for one batch at a time (a 50,000-partition commit in one request holds ~20 MB of
// them at once, in five batches ~4 MB). A reset of up to 10,000 partitions is one request.
// A variable only so that tests can make it small.
var commitBatch = 10000

// Apply implements reset.Provider: one OffsetCommit for every commitBatch moves, and a check of
// every per-partition error (a broker answers UNKNOWN_MEMBER_ID per partition for an active
// group without failing the call). When a batch fails as a whole after an earlier one was
// written, the moves of that batch carry its error and the later ones are not sent; the planner
// reads everything back either way.
func (p *Provider) Apply(ctx context.Context, a *reset.Apply) ([]reset.Outcome, error) {
	adm, err := p.client()
	if err != nil {
		return nil, err
	}
	for _, m := range a.Moves {
		if m.Offset == nil {
			return nil, fmt.Errorf("internal error: no resolved offset for %s/%d", m.Topic, m.Partition)
		}
	}
	out := make([]reset.Outcome, len(a.Moves))
	for lo := 0; lo < len(a.Moves); lo += commitBatch {
		batch := a.Moves[lo:min(lo+commitBatch, len(a.Moves))]
		resp, err := adm.CommitOffsets(ctx, a.Group, commitOffsets(batch))
		if err != nil {
			var ke *kerr.Error
			noAnswer := !errors.As(err, &ke) // a dropped connection or a deadline, not the broker's word
			err = p.wireErr("commit offsets for "+a.Group, err)
			if noAnswer {
				err = reset.NoAnswer(err)
			}
			if lo == 0 {
				return nil, err
			}
			for i := range batch {
				out[lo+i].Err = err
			}
			for i := lo + len(batch); i < len(out); i++ {
				out[i].Err = fmt.Errorf("not sent, because an earlier batch of this commit failed: %v", err)
			}
			return out, nil
		}
		for i, m := range batch {
			r, ok := resp.Lookup(m.Topic, m.Partition)
			switch {
			case !ok:
				out[lo+i].Err = errors.New("the broker did not answer for this partition; nothing is known to be committed")
			case r.Err != nil:
				out[lo+i].Err = commitErr(a.Group, r.Err)
			}
		}
	}
	return out, nil
}

// commitOffsets is the kadm form of moves, which come grouped by topic: one map per topic, sized
// once.
func commitOffsets(moves []reset.Move) kadm.Offsets {
	offsets := make(kadm.Offsets)
	for i := 0; i < len(moves); {
		t, j := moves[i].Topic, i+1
		for j < len(moves) && moves[j].Topic == t {
			j++
		}
		ps := offsets[t]
		if ps == nil {
			ps = make(map[int32]kadm.Offset, j-i)
			offsets[t] = ps
		}
		for _, m := range moves[i:j] {
			ps[m.Partition] = kadm.Offset{Topic: m.Topic, Partition: m.Partition, At: *m.Offset, LeaderEpoch: -1, Metadata: m.Metadata()}
		}
		i = j
	}
	return offsets
}

func commitErr(group string, err error) error {
	switch {
	case errors.Is(err, kerr.UnknownMemberID), errors.Is(err, kerr.IllegalGeneration), errors.Is(err, kerr.RebalanceInProgress):
		return fmt.Errorf("the broker refused the commit (%v): group %s became active after the check; stop its consumers and retry", err, group)
	case errors.Is(err, kerr.GroupAuthorizationFailed):
		return fmt.Errorf("the broker refused the commit (GROUP_AUTHORIZATION_FAILED): the client's principal needs Read on group %s (MSK IAM: kafka-cluster:AlterGroup); grant it with an ACL or the role's policy", group)
	case errors.Is(err, kerr.TopicAuthorizationFailed):
		return errors.New("the broker refused the commit (TOPIC_AUTHORIZATION_FAILED): the client's principal needs Read on this partition's topic (MSK IAM: kafka-cluster:ReadData); grant it with an ACL or the role's policy")
	}
	return fmt.Errorf("commit failed: %v", err)
}

// wireErr says what could not be done on the target and, where the cause is known, what to
// change: certificates, authentication and the network (explain, connect.go), ACLs, or the
// deadline. Secrets never appear: the messages name variables, not their values.
func (p *Provider) wireErr(what string, err error) error {
	if s := p.explain(err); s != "" {
		return fmt.Errorf("could not %s on target %s: %s", what, p.name, s)
	}
	switch {
	case isACL(err):
		return fmt.Errorf("could not %s on target %s: the broker answered %s; %s", what, p.name, kerrName(err), p.aclNeed(what, err))
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("could not %s on target %s before the deadline: %s did not answer in time; if the cluster is reachable only inside its VPC, the function must run there (vpcConfig in s.yaml, VpcConfig in deploy/aws/template.yaml)", what, p.name, p.brokers())
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("could not %s on target %s: the command was cancelled", what, p.name)
	}
	return fmt.Errorf("could not %s on target %s: %v", what, p.name, err)
}
