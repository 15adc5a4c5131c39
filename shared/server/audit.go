package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"

	"offsetreset/shared/policy"
	"offsetreset/shared/reset"
)

// policyCheck judges the command before planning; the returned check judges the finished plan
// (topics of an all-topics command, maxSkip).
func (s *Service) policyCheck(inv Invocation, cmd reset.Command) func(*reset.Result) error {
	var rules = s.Config.Policy
	to, _ := cmd.Validate()
	return func(r *reset.Result) error {
		return policy.Check(rules, policy.Request{Trigger: inv.Trigger, Principal: inv.Principal, Channel: inv.Channel, Command: cmd, Form: to.Form, Plan: r})
	}
}

// Audit lines must stay under the log services' event limits (CloudWatch Logs 256 KB, SLS): a
// reset of many partitions writes its rows, and a long undo, in continuation lines
// (offsetreset.audit.rows, offsetreset.audit.undo) that share the main line's resetId.
const (
	auditRowsPerLine = 1000 // ~100 bytes a row
	auditUndoPerLine = 2000 // ~50 bytes an offset
)

// auditRow is one partition of an audit line.
type auditRow struct {
	Topic     string       `json:"topic"`
	Partition int32        `json:"partition"`
	Before    *int64       `json:"before"`
	After     *int64       `json:"after"`
	Status    reset.Status `json:"status"`
	Error     string       `json:"error,omitempty"`
}

// auditRows encodes result rows as audit rows without copying them or reflecting over them: a
// 50,000-partition reset writes 50,000 of these.
type auditRows []reset.PartitionResult

// MarshalJSON implements json.Marshaler with the field names of auditRow.
func (rs auditRows) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 96*len(rs)+2)
	b = append(b, '[')
	var topic string
	var quoted []byte
	for i, p := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		if p.Topic != topic || quoted == nil {
			topic = p.Topic
			quoted, _ = json.Marshal(p.Topic)
		}
		b = append(append(append(b, `{"topic":`...), quoted...), `,"partition":`...)
		b = strconv.AppendInt(b, int64(p.Partition), 10)
		b = appendOpt(append(b, `,"before":`...), p.Before)
		b = appendOpt(append(b, `,"after":`...), p.After)
		st, _ := json.Marshal(p.Status)
		b = append(append(b, `,"status":`...), st...)
		if p.Error != "" {
			e, _ := json.Marshal(p.Error)
			b = append(append(b, `,"error":`...), e...)
		}
		b = append(b, '}')
	}
	return append(b, ']'), nil
}

func appendOpt(b []byte, v *int64) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, *v, 10)
}

// audit writes one JSON line per applied, partial, failed, unknown or refused reset (dry runs and
// invalid input change nothing and are not audited), plus continuation lines for large resets.
// Commands carry no secrets; tokens and signatures never reach this function.
func (s *Service) audit(inv Invocation, cmd reset.Command, res *reset.Result) {
	if res.DryRun && res.Status != reset.StatusRefused {
		return
	}
	switch res.Status {
	case reset.StatusApplied, reset.StatusPartial, reset.StatusFailed, reset.StatusRefused, reset.StatusUnknown:
	default:
		return
	}
	level := slog.LevelInfo
	if res.Status != reset.StatusApplied {
		level = slog.LevelWarn
	}
	id := reset.RandomMarkID()
	res.ResetID = id
	rows := auditRows(res.Partitions)
	var undoOffs []reset.PartitionOffset
	var undo any
	if res.Undo != nil {
		undoOffs = res.Undo.Offsets
		u := *res.Undo
		if len(undoOffs) > auditUndoPerLine {
			u.Offsets = undoOffs[:auditUndoPerLine]
		}
		undo = u
	}
	if len(cmd.Offsets) > auditUndoPerLine {
		cmd.Offsets = cmd.Offsets[:auditUndoPerLine] // every row is in the rows lines
	}
	first := rows[:min(len(rows), auditRowsPerLine)]
	restRows := (len(rows) - len(first) + auditRowsPerLine - 1) / auditRowsPerLine
	restUndo := (max(0, len(undoOffs)-auditUndoPerLine) + auditUndoPerLine - 1) / auditUndoPerLine
	log := s.log()
	log.LogAttrs(context.Background(), level, "offsetreset.audit",
		slog.String("resetId", id),
		slog.String("trigger", inv.Trigger),
		slog.String("principal", inv.Principal),
		slog.String("requestId", inv.RequestID),
		slog.String("target", res.Target),
		slog.String("provider", res.Provider),
		slog.Any("command", cmd),
		slog.String("status", string(res.Status)),
		slog.Any("skipped", res.Skipped),
		slog.Int("partitionCount", len(rows)),
		slog.Any("partitions", first),
		slog.Any("undo", undo),
		slog.Int("continuationLines", restRows+restUndo),
		slog.String("error", res.Error),
	)
	for i, part := 1, len(first); part < len(rows); i, part = i+1, part+auditRowsPerLine {
		log.LogAttrs(context.Background(), level, "offsetreset.audit.rows", slog.String("resetId", id), slog.Int("line", i),
			slog.Any("partitions", rows[part:min(len(rows), part+auditRowsPerLine)]))
	}
	for i, part := 1, auditUndoPerLine; part < len(undoOffs); i, part = i+1, part+auditUndoPerLine {
		log.LogAttrs(context.Background(), level, "offsetreset.audit.undo", slog.String("resetId", id), slog.Int("line", i),
			slog.Any("offsets", undoOffs[part:min(len(undoOffs), part+auditUndoPerLine)]))
	}
}
