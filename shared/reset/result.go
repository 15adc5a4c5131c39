package reset

import (
	"encoding/json"
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
	StatusFailed  Status = "failed"  // nothing changed because of an error
	StatusInvalid Status = "invalid" // bad input; nothing changed
)

// Per-partition statuses (planned and applied are shared with the whole).
const (
	StatusUnchanged Status = "unchanged" // already at the target
	StatusError     Status = "error"
)

// IsError reports whether a whole-command status should count as a failed invocation on a
// platform (FC's x-fc-status, Lambda's error return): the operator must look at it.
func (s Status) IsError() bool {
	return s == StatusFailed || s == StatusPartial || s == StatusInvalid
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
	Undo       Undo              `json:"undo,omitempty"`
	Error      string            `json:"error"`
	// RefusedBy says who refused: "guard" (the backend's state, HTTP 409) or "policy" (HTTP 403).
	RefusedBy string `json:"refusedBy,omitempty"`
	// Members lists the active members when a group guard refused.
	Members []Member `json:"members,omitempty"`
	// Notes are facts worth knowing that are not errors (e.g. why undo is missing).
	Notes []string `json:"notes,omitempty"`
	// At is the resolved instant in Unix ms for time: and ago: targets.
	At *int64 `json:"at,omitempty"`
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

// Undo is the command (or commands) that restores the before offsets. It encodes as one object
// when there is one command and as an array otherwise.
type Undo []Command

// MarshalJSON writes one command as an object and several as an array.
func (u Undo) MarshalJSON() ([]byte, error) {
	if len(u) == 1 {
		return json.Marshal(u[0])
	}
	return json.Marshal([]Command(u))
}

// UnmarshalJSON accepts both shapes.
func (u *Undo) UnmarshalJSON(b []byte) error {
	cmds, _, err := DecodeCommands(b)
	if err != nil {
		return err
	}
	*u = cmds
	return nil
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

// Int64 returns a pointer to v, for building rows and snapshots.
func Int64(v int64) *int64 { return &v }
