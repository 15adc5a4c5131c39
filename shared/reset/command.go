package reset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Command is one reset request (SPEC §3): which group on which target moves where.
type Command struct {
	Target string `json:"target"`
	Group  string `json:"group,omitempty"`
	// Groups, instead of Group: names or globs (path.Match) expanded through the backend's group
	// list; each group runs as its own command and answers its own result, in name order.
	Groups     []string `json:"groups,omitempty"`
	Topics     []string `json:"topics,omitempty"`
	Partitions []int32  `json:"partitions,omitempty"`
	To         string   `json:"to"`
	// Offsets is an explicit list of target offsets (kafka-consumer-groups --from-file), used
	// instead of To; Topics and Partitions must then be empty.
	Offsets []PartitionOffset `json:"offsets,omitempty"`
	DryRun  bool              `json:"dryRun,omitempty"`
	Reason  string            `json:"reason,omitempty"`
	// CreateGroup allows applying to a group that has no committed offset on any selected
	// partition; without it such an apply is refused, so a misspelt group is never created.
	CreateGroup bool `json:"createGroup,omitempty"`
}

// PartitionOffset is one row of an explicit offsets list (and of an undo).
type PartitionOffset struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

// Limits on what a command may name, so that a hostile or mistaken request stays small.
const (
	MaxTopics       = 1000
	MaxPartitions   = 10000
	MaxNameLen      = 249 // Kafka's own topic-name limit
	MaxReasonLen    = 1000
	MaxCommands     = 100
	MaxRequestBytes = 1 << 20
)

// Validate checks what can be checked without a backend and parses `to`.
// The error is a sentence that says what to fix.
func (c Command) Validate() (To, error) {
	if strings.TrimSpace(c.Target) == "" {
		return To{}, errors.New("target is missing; name one of the configured targets")
	}
	if len(c.Groups) > 0 {
		if err := c.validateGroups(); err != nil {
			return To{}, err
		}
	} else if strings.TrimSpace(c.Group) == "" {
		return To{}, errors.New("group is empty; name the consumer group (Kafka) or group ID (RocketMQ) to move")
	} else if err := checkName("group", c.Group); err != nil {
		return To{}, err
	}
	if len(c.Topics) > MaxTopics {
		return To{}, fmt.Errorf("%d topics in one command is more than the %d allowed; split the command", len(c.Topics), MaxTopics)
	}
	seen := map[string]bool{}
	for _, t := range c.Topics {
		if strings.TrimSpace(t) == "" {
			return To{}, errors.New("topics contains an empty name; remove it or name the topic")
		}
		if err := checkName("topic", t); err != nil {
			return To{}, err
		}
		if seen[t] {
			return To{}, fmt.Errorf("topic %q is listed twice; list each topic once", t)
		}
		seen[t] = true
	}
	if len(c.Partitions) > 0 {
		if len(c.Topics) != 1 {
			return To{}, fmt.Errorf("partitions %v need exactly one topic, but the command names %d; send one command per topic", c.Partitions, len(c.Topics))
		}
		if len(c.Partitions) > MaxPartitions {
			return To{}, fmt.Errorf("%d partitions is more than the %d allowed", len(c.Partitions), MaxPartitions)
		}
		seenP := map[int32]bool{}
		for _, p := range c.Partitions {
			if p < 0 {
				return To{}, fmt.Errorf("partition %d is negative; partitions are numbered from 0", p)
			}
			if seenP[p] {
				return To{}, fmt.Errorf("partition %d is listed twice; list each partition once", p)
			}
			seenP[p] = true
		}
	}
	if len(c.Reason) > MaxReasonLen {
		return To{}, fmt.Errorf("reason is %d characters; keep it under %d", len(c.Reason), MaxReasonLen)
	}
	if len(c.Offsets) > 0 {
		return c.validateOffsets()
	}
	return ParseTo(c.To)
}

// MaxGroupPatterns bounds the groups list of one command.
const MaxGroupPatterns = 100

// validateGroups checks a groups list: used instead of group, each a name or a path.Match glob.
func (c Command) validateGroups() error {
	if c.Group != "" {
		return errors.New("the command has both group and groups; send group for one group or groups for names and globs")
	}
	if len(c.Groups) > MaxGroupPatterns {
		return fmt.Errorf("groups lists %d patterns, more than the %d allowed", len(c.Groups), MaxGroupPatterns)
	}
	for _, g := range c.Groups {
		if strings.TrimSpace(g) == "" {
			return errors.New("groups contains an empty name; remove it or name the group")
		}
		if err := checkName("group", g); err != nil {
			return err
		}
		if _, err := path.Match(g, ""); err != nil {
			return fmt.Errorf("groups pattern %q is not a valid glob (%v); use * ? and [a-z] as in path.Match", g, err)
		}
	}
	return nil
}

// validateOffsets checks an explicit offsets list: no to, topics or partitions beside it, every
// row named once with a non-negative partition and offset.
func (c Command) validateOffsets() (To, error) {
	if strings.TrimSpace(c.To) != "" {
		return To{}, errors.New("the command has both to and offsets; send one of them: to moves every selected partition the same way, offsets lists each partition's target")
	}
	if len(c.Topics) > 0 || len(c.Partitions) > 0 {
		return To{}, errors.New("offsets name their own topics and partitions; leave topics and partitions out")
	}
	if len(c.Offsets) > MaxPartitions {
		return To{}, fmt.Errorf("%d offsets is more than the %d allowed; split the command", len(c.Offsets), MaxPartitions)
	}
	seen := make(map[TopicPartition]bool, len(c.Offsets))
	topics := map[string]bool{}
	for i, o := range c.Offsets {
		if strings.TrimSpace(o.Topic) == "" {
			return To{}, fmt.Errorf("offsets[%d] has no topic; name the topic of every row", i)
		}
		if !topics[o.Topic] {
			if err := checkName("topic", o.Topic); err != nil {
				return To{}, err
			}
			topics[o.Topic] = true
		}
		if o.Partition < 0 {
			return To{}, fmt.Errorf("offsets[%d]: partition %d is negative; partitions are numbered from 0", i, o.Partition)
		}
		if o.Offset < 0 {
			return To{}, fmt.Errorf("offsets[%d]: offset %d of %s/%d is negative; offsets are never negative", i, o.Offset, o.Topic, o.Partition)
		}
		tp := TopicPartition{o.Topic, o.Partition}
		if seen[tp] {
			return To{}, fmt.Errorf("offsets lists %s/%d twice; list each partition once", o.Topic, o.Partition)
		}
		seen[tp] = true
	}
	if len(topics) > MaxTopics {
		return To{}, fmt.Errorf("offsets name %d topics, more than the %d allowed; split the command", len(topics), MaxTopics)
	}
	return To{Form: FormOffset, Explicit: true, raw: "offsets"}, nil
}

// OffsetTopics lists the distinct topics of an explicit offsets list, in first-seen order.
func (c Command) OffsetTopics() []string {
	var out []string
	seen := map[string]bool{}
	for _, o := range c.Offsets {
		if !seen[o.Topic] {
			seen[o.Topic] = true
			out = append(out, o.Topic)
		}
	}
	return out
}

func checkName(what, s string) error {
	if len(s) > MaxNameLen {
		return fmt.Errorf("%s name is %d characters, longer than the %d any backend accepts", what, len(s), MaxNameLen)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%s name %q contains a control character", what, s)
		}
	}
	return nil
}

// DecodeCommands reads one command object or a JSON array of them. many reports which shape was
// sent, so the answer can take the same shape. Unknown fields are errors: a misspelt "dryrun" must
// not turn a dry run into a real reset.
func DecodeCommands(body []byte) (cmds []Command, many bool, err error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, false, errors.New("the request body is empty; send a command as JSON, e.g. {\"target\":\"prod\",\"group\":\"billing\",\"to\":\"latest\",\"dryRun\":true}")
	}
	if len(trimmed) > MaxRequestBytes {
		return nil, false, fmt.Errorf("the request body is %d bytes, more than the 1 MiB allowed; send fewer commands per request", len(trimmed))
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	switch trimmed[0] {
	case '[':
		many = true
		if err := dec.Decode(&cmds); err != nil {
			return nil, true, jsonError(err)
		}
		if len(cmds) == 0 {
			return nil, true, errors.New("the command array is empty; send at least one command")
		}
		if len(cmds) > MaxCommands {
			return nil, true, fmt.Errorf("%d commands in one request is more than the %d allowed; split the request", len(cmds), MaxCommands)
		}
	case '{':
		var c Command
		if err := dec.Decode(&c); err != nil {
			return nil, false, jsonError(err)
		}
		cmds = []Command{c}
	default:
		return nil, false, errNotObject
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, many, errors.New("the request body has data after the JSON value; send exactly one object or array")
	}
	return cmds, many, nil
}

var errNotObject = errors.New("the body must be a JSON object or an array of objects, e.g. {\"target\":\"prod\",\"group\":\"billing\",\"to\":\"latest\",\"dryRun\":true}")

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("the request body is not valid JSON (at byte %d: %v); fix the JSON and resend", syn.Offset, syn)
	case errors.As(err, &typ) && typ.Field == "":
		return errNotObject
	case errors.As(err, &typ):
		return fmt.Errorf("field %q has the wrong type (%s, expected %s)", typ.Field, typ.Value, typ.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the request body ends in the middle of the JSON; send the whole command")
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		f := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return fmt.Errorf("unknown field %s; the fields are target, group, groups, topics, partitions, to, offsets, dryRun, reason and createGroup", f)
	}
	return fmt.Errorf("the request body could not be read as a command: %v", err)
}
