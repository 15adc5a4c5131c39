package reset

import (
	"errors"
	"fmt"
)

// Status is the outcome of a whole command or of one partition (SPEC §4).
type Status string

// Whole-command statuses.
const (
	StatusPlanned Status = "planned" // dry run: nothing changed
	StatusApplied Status = "applied"
	StatusPartial Status = "partial" // some partitions failed
	StatusRefused Status = "refused" // a guard or policy said no; nothing changed
	StatusFailed  Status = "failed"  // nothing changed because of an error (proven by reading back)
	StatusInvalid Status = "invalid" // bad input; nothing changed
	// StatusUnknown: a write may or may not have taken effect and could not be read back.
	// It is also a per-partition status.
	StatusUnknown Status = "unknown"
)

// Per-partition statuses (planned and applied are shared with the whole).
const (
	StatusUnchanged Status = "unchanged" // already at the target
	StatusError     Status = "error"
)

// IsError reports whether a whole-command status did not do what was asked (invalid, refused,
// failed, partial, unknown): FC marks such an event invocation failed, and an operator must look
// at it. Whether a platform should retry it is Result.Retryable's business.
func (s Status) IsError() bool {
	switch s {
	case StatusFailed, StatusPartial, StatusInvalid, StatusRefused, StatusUnknown:
		return true
	}
	return false
}

// Result is the answer to one command (SPEC §4). Unknown numbers are null, never invented.
type Result struct {
	Status     Status            `json:"status"`
	Target     string            `json:"target"`
	Provider   string            `json:"provider"`
	Group      string            `json:"group"`
	To         string            `json:"to"`
	DryRun     bool              `json:"dryRun"`
	Partitions []PartitionResult `json:"partitions"`
	Skipped    *int64            `json:"skipped"`
	// Undo is the one command that restores the before offsets, where the backend sets exact offsets.
	Undo  *Command `json:"undo,omitempty"`
	Error string   `json:"error"`
	// RefusedBy says who refused: "guard" (the backend's state, HTTP 409) or "policy" (HTTP 403).
	RefusedBy string `json:"refusedBy,omitempty"`
	// Members lists the active members when a group guard refused, or for to "current".
	Members []Member `json:"members,omitempty"`
	// State is the group's state as the backend words it (Kafka: Empty, Stable, …), for to "current".
	State string `json:"state,omitempty"`
	// Notes are facts worth knowing that are not errors (e.g. why undo is missing).
	Notes []string `json:"notes,omitempty"`
	// At is the resolved instant in Unix ms for time: and ago: targets.
	At *int64 `json:"at,omitempty"`
	// Retryable: delivering the same invocation again cannot move any partition further than
	// one delivery would (nothing was written or the read-back proved nothing moved, the backend
	// keeps commit markers, or the target keeps its meaning when re-applied). A platform retry
	// is safe when every result of the event is Retryable, and useful where one did not do what
	// was asked.
	Retryable bool `json:"retryable,omitempty"`
	// attempted: a write was sent to the backend.
	attempted bool
	// Duplicate says this delivery found the invocation already handled by an earlier delivery
	// (a platform retry, a re-sent webhook, a second confirm) and wrote nothing itself.
	Duplicate string `json:"duplicate,omitempty"`
	// DuplicateAt is when the earlier delivery acted, in Unix ms.
	DuplicateAt int64 `json:"duplicateAt,omitempty"`
	// ResetID names the audit lines of this reset (a large reset's rows continue over several).
	ResetID string `json:"resetId,omitempty"`
	// PartitionsOmitted counts rows left out of an answer that would be too large; they are in
	// the audit lines of ResetID.
	PartitionsOmitted int `json:"partitionsOmitted,omitempty"`
}

// PartitionResult is one row of the plan: a partition (Kafka), a queue (RocketMQ) or, where the
// backend gives no per-queue detail, a whole topic with Partition -1.
type PartitionResult struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Before    *int64 `json:"before"`
	After     *int64 `json:"after"`
	LogStart  *int64 `json:"logStart"`
	LogEnd    *int64 `json:"logEnd"`
	Skipped   *int64 `json:"skipped"`
	// Lag is the backlog before the reset as the backend reports or as logEnd − before.
	Lag    *int64 `json:"lag,omitempty"`
	Status Status `json:"status"`
	Error  string `json:"error,omitempty"`
}

// Member is an active consumer of a group, shown when a guard refuses.
type Member struct {
	ID       string `json:"id"`
	ClientID string `json:"clientId,omitempty"`
	Host     string `json:"host,omitempty"`
}

func (m Member) String() string {
	name := m.ClientID
	if name == "" {
		name = m.ID
	}
	if m.Host != "" {
		return name + "@" + m.Host
	}
	return name
}

// Error carries a status with its sentence, so a provider or guard can say "this is the caller's
// input" (invalid), "a guard says no" (refused) or "the backend failed" (failed).
type Error struct {
	Status    Status
	RefusedBy string
	Members   []Member
	Msg       string
}

func (e *Error) Error() string { return e.Msg }

// Invalid is an error about the caller's input.
func Invalid(format string, args ...any) error {
	return &Error{Status: StatusInvalid, Msg: fmt.Sprintf(format, args...)}
}

// Refused is an error from a guard: the backend's state forbids the reset right now.
func Refused(format string, args ...any) error {
	return &Error{Status: StatusRefused, RefusedBy: "guard", Msg: fmt.Sprintf(format, args...)}
}

// PolicyRefused is an error from the policy: this caller may not do this.
func PolicyRefused(format string, args ...any) error {
	return &Error{Status: StatusRefused, RefusedBy: "policy", Msg: fmt.Sprintf(format, args...)}
}

// StatusOf classifies an error: *Error says its own status, anything else is failed.
func StatusOf(err error) Status {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return StatusFailed
}

// ErrNoAnswer marks a write error that came without the backend's answer (a dropped connection,
// a deadline): the request may have reached the backend and be applied after any read-back, so
// a read-back showing nothing moved proves nothing.
var ErrNoAnswer = errors.New("no answer from the backend")

// NoAnswer wraps a write error that came without the backend's answer (see ErrNoAnswer).
func NoAnswer(err error) error { return noAnswer{err} }

type noAnswer struct{ err error }

func (e noAnswer) Error() string   { return e.err.Error() }
func (e noAnswer) Unwrap() []error { return []error{e.err, ErrNoAnswer} }

// Int64 returns a pointer to v, for building rows and snapshots.
func Int64(v int64) *int64 { return &v }
