package reset

import (
	"context"
	"slices"
)

// Provider is one backend (SPEC §5). The planner reads a Snapshot, resolves every row to a target
// itself, and hands the provider only what to write; the provider translates that into its API.
//
// Errors: return Invalid(...) for things the caller named wrong (unknown topic), Refused(...) for
// a state the backend refuses in (consumers online), any other error for backend failures. The
// sentence is shown to the user as is.
type Provider interface {
	// Kind is the provider name from the config ("kafka", "alikafka", …).
	Kind() string
	// Capabilities says what the backend can express, so that the planner refuses the rest as invalid.
	Capabilities() Capabilities
	// Snapshot reads the group's state and one row per partition (or per topic, Partition -1) of
	// the given topics; with no topics, of every topic the group has committed offsets for.
	Snapshot(ctx context.Context, q Query) (*Snapshot, error)
	// Apply writes the moves. It returns one Outcome per move, in order, or a non-nil error when
	// the call as a whole failed. Neither is trusted to mean "nothing was written": after any
	// error the planner reads the committed offsets back and reports what is true.
	Apply(ctx context.Context, a *Apply) ([]Outcome, error)
}

// TimeResolver is implemented by providers that can look up, before writing, the first offset at
// or after a time. Without it, time: and ago: rows plan with an unknown target and the backend
// resolves the time itself.
type TimeResolver interface {
	OffsetsAfter(ctx context.Context, q Query, millis int64) (map[TopicPartition]int64, error)
}

// CommittedReader is implemented by providers that can read back only the committed offsets
// after a write, cheaper than a whole Snapshot (Kafka: one OffsetFetch).
type CommittedReader interface {
	Committed(ctx context.Context, q Query) (map[TopicPartition]int64, error)
}

// Guard is the group-state rule a backend imposes on resets.
type Guard int

const (
	// GuardNone: resets work whatever the consumers do.
	GuardNone Guard = iota
	// GuardEmpty: the group must have no active members (Kafka family).
	GuardEmpty
	// GuardOnline: at least one consumer must be online (Huawei RocketMQ's client-side reset).
	GuardOnline
)

// Capabilities describes what a backend can express.
type Capabilities struct {
	// Forms lists the `to` forms the backend supports.
	Forms []Form
	// Partitions: partition (queue) subsets are supported.
	Partitions bool
	// TimeWholeTopics: a point in time (time:, ago:) applies to whole topics only; with a
	// partition subset the planner answers invalid with TimeSubset, in dry runs too.
	TimeWholeTopics bool
	TimeSubset      string
	// ExactOffsets: the backend commits absolute offsets per partition, so the planner can
	// resolve every target to a number and offer an offset-level undo.
	ExactOffsets bool
	// Guard is the group-state rule checked before applying.
	Guard Guard
	// CommitsAcked: a per-partition success answer is the backend's own record of the write
	// (Kafka's OffsetCommit is acknowledged by the group coordinator once written), so a clean
	// write is not read back; after any error it still is.
	CommitsAcked bool
	// Marks: the backend stores Move.Metadata with every committed offset and returns it in
	// PartitionState.Marks (Kafka's OffsetCommit metadata), so retries recognise their own writes.
	Marks bool
	// Describe is a sentence for the error when a form is not supported, e.g.
	// "ApsaraMQ for RocketMQ 4.x resets to latest, earliest or a point in time".
	Describe string
}

// Supports reports whether the form is among Forms.
func (c Capabilities) Supports(f Form) bool { return slices.Contains(c.Forms, f) }

// Query names what to read.
type Query struct {
	Group string
	// Topics to read; empty = every topic the group has committed offsets for.
	Topics []string
	// SkipStart: the plan does not need log starts (latest moves to the end and clamps nothing),
	// so a provider may leave Start unknown and save a request.
	SkipStart bool
}

// TopicPartition names one partition or queue; Partition -1 means a whole topic.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// Snapshot is the state the planner works from.
type Snapshot struct {
	// State is the backend's word for the group state (Kafka: Empty, Stable, Dead, …); "" if unknown.
	State string
	// Members are the active members, where the backend exposes them.
	Members []Member
	// Online reports whether any consumer is online, where the backend tells (RocketMQ).
	Online *bool
	// Rows is one entry per partition (or per topic with Partition -1).
	Rows []PartitionState
}

// PartitionState is what the backend says about one partition or topic. Unknown values are nil.
type PartitionState struct {
	Topic     string
	Partition int32
	Committed *int64
	Start     *int64
	End       *int64
	// Lag as the backend reports it; the planner uses End − Committed when both are known.
	Lag *int64
	// Err marks a row the backend could not read; it is reported, not planned.
	Err error
	// Marks are the commit markers in the partition's metadata, newest first (Capabilities.Marks).
	Marks []Mark
}

// Apply is what the planner asks a provider to write.
type Apply struct {
	Group string
	To    To
	// Millis is the resolved instant for time: and ago: targets (ago: is resolved once, at planning).
	Millis int64
	// AllTopics: the command named no topics, so a group-wide call may be used.
	AllTopics bool
	// AllPartitions: every partition of every topic moves, so a topic-wide call may be used.
	AllPartitions bool
	// InOwnTerms: the provider may express the target in its own API terms (latest → Time=-1, a
	// time → a timestamp call, a group-wide call when AllTopics) instead of writing Move.Offset;
	// re-applying such a target keeps its meaning. When false (offset:, shift:, or a pinned plan)
	// it must write exactly Move.Offset, so that a retried invocation can never apply a relative
	// move twice.
	InOwnTerms bool
	Moves      []Move
}

// Move is one row to write.
type Move struct {
	Topic     string
	Partition int32
	// Offset is the absolute target; nil when the backend resolves To itself (time or latest on
	// backends without ExactOffsets, or without a TimeResolver).
	Offset *int64
	// Mark is the commit marker to store with the offset (Capabilities.Marks), followed by the
	// partition's Older marks: the provider encodes them (EncodeMarks) when it sends the write,
	// so a 50,000-partition reset does not hold 50,000 encoded strings at once.
	Mark  *Mark
	Older []Mark
}

// Metadata is the encoded commit markers of a move ("" when it carries none).
func (m Move) Metadata() string {
	if m.Mark == nil {
		return ""
	}
	return EncodeMarks(*m.Mark, m.Older)
}

// Outcome is what the provider knows after writing one move.
type Outcome struct {
	// After is the position the backend reported in its answer, if it reported one.
	After *int64
	// Err is this move's failure.
	Err error
}

// GroupLister is implemented by providers that can list the target's consumer groups (Kafka
// ListGroups, alikafka GetConsumerList, ONS OnsGroupList, RocketMQ 5.x ListConsumerGroups,
// Huawei's consumer-group lists): for `groups` globs and for "did you mean" when a group has no
// committed offsets. It returns every group name (all pages), sorted, without duplicates.
type GroupLister interface {
	ListGroups(ctx context.Context) ([]string, error)
}
