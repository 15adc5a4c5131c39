package reset

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Targets finds the provider behind a target name.
type Targets interface {
	// Provider returns the named target's provider, or an Invalid error naming the known targets.
	Provider(name string) (Provider, error)
}

// Planner runs commands: read, resolve, check, (apply, read back). It holds no state between calls.
type Planner struct {
	Targets Targets
	// Now is the clock for ago: targets; time.Now when nil.
	Now func() time.Time
}

// Options change how one command runs.
type Options struct {
	// Pinned holds exact offsets from a confirmed plan: every planned row must be in it, and it is
	// applied as is instead of re-resolving `to`.
	Pinned map[TopicPartition]int64
	// Check runs on the finished plan before anything is written (also on dry runs). A non-nil
	// error stops the command with the error's status (Refused/PolicyRefused → refused).
	Check func(*Result) error
}

// Run executes one command and always returns a Result; it never panics on bad input.
func (p *Planner) Run(ctx context.Context, cmd Command, opts Options) *Result {
	ctx, sink := withNotes(ctx)
	res := p.run(ctx, cmd, opts)
	res.Notes = append(res.Notes, sink.take()...)
	return res
}

// ErrorResult is the result of a command stopped before planning (policy, bad request).
func ErrorResult(cmd Command, err error) *Result {
	return newResult(cmd).fail(err)
}

func newResult(cmd Command) *Result {
	return &Result{Target: cmd.Target, Group: cmd.Group, To: cmd.To, DryRun: cmd.DryRun, Partitions: []PartitionResult{}}
}

func (p *Planner) run(ctx context.Context, cmd Command, opts Options) *Result {
	res := newResult(cmd)
	to, err := cmd.Validate()
	if err != nil {
		return res.fail(Invalid("%v", err))
	}
	res.To = to.String()
	prov, err := p.Targets.Provider(cmd.Target)
	if err != nil {
		return res.fail(err)
	}
	res.Provider = prov.Kind()
	caps := prov.Capabilities()
	if !caps.Supports(to.Form) {
		return res.fail(Invalid("%s targets cannot be reset to %s: %s", prov.Kind(), to.Form, caps.Describe))
	}
	if len(cmd.Partitions) > 0 && !caps.Partitions {
		return res.fail(Invalid("%s targets cannot reset single partitions or queues: %s; leave partitions out to move the whole topic", prov.Kind(), caps.Describe))
	}
	if len(cmd.Partitions) > 0 && to.IsTime() && caps.TimeWholeTopics {
		return res.fail(Invalid("%s", caps.TimeSubset))
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	var millis int64
	if to.IsTime() {
		millis = to.Millis(now())
		res.At = &millis
	}

	q := Query{Group: cmd.Group, Topics: cmd.Topics}
	snap, err := prov.Snapshot(ctx, q)
	if err != nil {
		return res.fail(err)
	}
	if err := checkGuard(prov.Kind(), cmd.Group, caps.Guard, snap); err != nil {
		return res.fail(err)
	}
	rows, err := selectRows(cmd, snap)
	if err != nil {
		return res.fail(err)
	}

	var byTime map[TopicPartition]int64
	if to.IsTime() && opts.Pinned == nil {
		if tr, ok := prov.(TimeResolver); ok {
			byTime, err = tr.OffsetsAfter(ctx, q, millis)
			if err != nil {
				return res.fail(err)
			}
		}
	}

	targets := make([]*int64, len(rows))
	inputErrs, clamped := 0, 0
	for i, st := range rows {
		pr := PartitionResult{Topic: st.Topic, Partition: st.Partition, Before: st.Committed, LogStart: st.Start, LogEnd: st.End, Lag: lagOf(st)}
		if st.Err != nil {
			pr.Status, pr.Error = StatusError, st.Err.Error()
			res.Partitions = append(res.Partitions, pr)
			continue
		}
		target, wasClamped, rowErr := resolve(to, st, opts.Pinned, byTime)
		if rowErr != nil {
			inputErrs++
			pr.Status, pr.Error = StatusError, rowErr.Error()
			res.Partitions = append(res.Partitions, pr)
			continue
		}
		if wasClamped {
			clamped++
		}
		targets[i] = target
		pr.After = target
		pr.Skipped = skippedOf(to, pr)
		pr.Status = StatusPlanned
		if target != nil && st.Committed != nil && *target == *st.Committed {
			pr.Status = StatusUnchanged
		}
		res.Partitions = append(res.Partitions, pr)
	}
	if clamped > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d partition(s) clamped into [logStart, logEnd]: the requested offset lay outside the log", clamped))
	}
	res.Skipped = sumSkipped(res.Partitions)

	planned, errored := 0, 0
	for _, pr := range res.Partitions {
		switch pr.Status {
		case StatusPlanned, StatusUnchanged:
			planned++
		case StatusError:
			errored++
		}
	}
	if planned == 0 {
		st := StatusFailed
		if inputErrs == errored {
			st = StatusInvalid
		}
		res.Status = st
		res.Error = fmt.Sprintf("no partition can be moved: %s", firstRowError(res.Partitions))
		return res
	}
	if errored > 0 {
		res.Error = fmt.Sprintf("%d of %d partitions cannot be moved: %s", errored, len(res.Partitions), firstRowError(res.Partitions))
	}
	if opts.Check != nil {
		if err := opts.Check(res); err != nil {
			return res.fail(err)
		}
	}
	if cmd.DryRun {
		res.Status = StatusPlanned
		return res
	}
	return p.apply(ctx, prov, caps, cmd, to, millis, q, rows, targets, opts, res)
}

func (p *Planner) apply(ctx context.Context, prov Provider, caps Capabilities, cmd Command, to To, millis int64,
	q Query, rows []PartitionState, targets []*int64, opts Options, res *Result) *Result {
	a := &Apply{
		Group:         cmd.Group,
		To:            to,
		Millis:        millis,
		AllTopics:     len(cmd.Topics) == 0,
		AllPartitions: len(cmd.Partitions) == 0,
		// A pinned plan is written as exact offsets where the backend takes them; a backend that
		// only takes a time or latest applies the confirmed target in its own terms (the pins
		// then served the "moved since the plan" check).
		InOwnTerms: (opts.Pinned == nil || !caps.ExactOffsets) && (to.Form == FormLatest || to.Form == FormEarliest || to.IsTime()),
	}
	var idx []int // res.Partitions index of each move
	for i, pr := range res.Partitions {
		if pr.Status != StatusPlanned {
			if pr.Status == StatusError {
				a.AllPartitions, a.AllTopics = false, false
			}
			continue
		}
		a.Moves = append(a.Moves, Move{Topic: pr.Topic, Partition: pr.Partition, Offset: targets[i]})
		idx = append(idx, i)
	}
	if len(a.Moves) == 0 {
		res.Status = StatusApplied
		if res.Error != "" {
			res.Status = StatusPartial
		}
		return res
	}
	outcomes, err := prov.Apply(ctx, a)
	if err != nil {
		for _, i := range idx {
			res.Partitions[i].Status = StatusError
			res.Partitions[i].After = nil
			res.Partitions[i].Skipped = nil
			res.Partitions[i].Error = "not applied"
		}
		res.Skipped = nil
		return res.fail(err)
	}
	if len(outcomes) != len(a.Moves) {
		outcomes = append(outcomes, make([]Outcome, max(0, len(a.Moves)-len(outcomes)))...)
	}
	committed, backErr := readBack(ctx, prov, q)
	if backErr != nil {
		res.Notes = append(res.Notes, "the committed offsets could not be read back after the reset: "+backErr.Error())
	}
	applied, failed := 0, 0
	for k, i := range idx {
		pr := &res.Partitions[i]
		o := outcomes[k]
		after := o.After
		if after == nil {
			after = committed[TopicPartition{pr.Topic, pr.Partition}]
		}
		want := targets[i]
		pr.After = after
		pr.Skipped = skippedOf(to, *pr)
		switch {
		case o.Err != nil:
			pr.Status, pr.Error = StatusError, o.Err.Error()
			failed++
		case !a.InOwnTerms && want != nil && backErr == nil && (after == nil || *after != *want):
			pr.Status = StatusError
			pr.Error = fmt.Sprintf("the backend accepted the commit of offset %d but reports %s afterwards; check the group and retry", *want, fmtOpt(after))
			failed++
		default:
			pr.Status = StatusApplied
			applied++
		}
	}
	res.Skipped = sumSkipped(res.Partitions)
	switch {
	case failed == 0 && res.Error == "":
		res.Status = StatusApplied
	case applied == 0 && res.Error == "":
		res.Status = StatusFailed
		res.Error = fmt.Sprintf("nothing was applied: %s", firstRowError(res.Partitions))
	default:
		res.Status = StatusPartial
		n := 0
		for _, pr := range res.Partitions {
			if pr.Status == StatusError {
				n++
			}
		}
		res.Error = fmt.Sprintf("%d of %d partitions failed: %s", n, len(res.Partitions), firstRowError(res.Partitions))
	}
	if caps.ExactOffsets {
		res.Undo, res.Notes = undoOf(cmd, res.Partitions, res.Notes)
	}
	return res
}

// readBack reads what is committed after a write: CommittedReader where the provider has it,
// otherwise a fresh Snapshot.
func readBack(ctx context.Context, prov Provider, q Query) (map[TopicPartition]*int64, error) {
	out := map[TopicPartition]*int64{}
	if cr, ok := prov.(CommittedReader); ok {
		m, err := cr.Committed(ctx, q)
		if err != nil {
			return nil, err
		}
		for tp, v := range m {
			out[tp] = Int64(v)
		}
		return out, nil
	}
	back, err := prov.Snapshot(ctx, q)
	if err != nil {
		return nil, err
	}
	for _, st := range back.Rows {
		out[TopicPartition{st.Topic, st.Partition}] = st.Committed
	}
	return out, nil
}

func (r *Result) fail(err error) *Result {
	r.Status = StatusOf(err)
	r.Error = err.Error()
	if e, ok := err.(*Error); ok {
		r.RefusedBy = e.RefusedBy
		r.Members = e.Members
	}
	return r
}

func selectRows(cmd Command, snap *Snapshot) ([]PartitionState, error) {
	byTopic := map[string][]int32{}
	for _, st := range snap.Rows {
		byTopic[st.Topic] = append(byTopic[st.Topic], st.Partition)
	}
	for _, t := range cmd.Topics {
		if _, ok := byTopic[t]; !ok {
			return nil, Invalid("topic %q does not exist on target %s (or has no partitions); check the name", t, cmd.Target)
		}
	}
	if len(snap.Rows) == 0 {
		return nil, Invalid("group %q has no committed offsets on target %s; name the topics to reset", cmd.Group, cmd.Target)
	}
	if len(cmd.Partitions) == 0 {
		return snap.Rows, nil
	}
	want := map[int32]bool{}
	for _, p := range cmd.Partitions {
		want[p] = true
	}
	var rows []PartitionState
	for _, st := range snap.Rows {
		if want[st.Partition] {
			rows = append(rows, st)
			delete(want, st.Partition)
		}
	}
	if len(want) > 0 {
		var missing []int
		for p := range want {
			missing = append(missing, int(p))
		}
		sort.Ints(missing)
		return nil, Invalid("topic %q has no partition %s (it has %d partitions, 0 to %d); check the partition numbers",
			cmd.Topics[0], joinInts(missing), len(byTopic[cmd.Topics[0]]), len(byTopic[cmd.Topics[0]])-1)
	}
	return rows, nil
}

func checkGuard(kind, group string, g Guard, snap *Snapshot) error {
	switch g {
	case GuardEmpty:
		state := snap.State
		if len(snap.Members) == 0 && (state == "" || state == "Empty" || state == "Dead") {
			return nil
		}
		names := make([]string, 0, len(snap.Members))
		for i, m := range snap.Members {
			if i == 5 {
				names = append(names, fmt.Sprintf("and %d more", len(snap.Members)-5))
				break
			}
			names = append(names, m.String())
		}
		desc := fmt.Sprintf("is %s", state)
		if len(snap.Members) > 0 {
			desc = fmt.Sprintf("has %d active member(s) (%s)", len(snap.Members), strings.Join(names, ", "))
		}
		return &Error{Status: StatusRefused, RefusedBy: "guard", Members: snap.Members,
			Msg: fmt.Sprintf("group %s %s; Kafka offsets can only be reset while the group is empty: stop the consumers, wait for their session to expire and retry", group, desc)}
	case GuardOnline:
		if snap.Online != nil && !*snap.Online {
			return Refused("no consumer of group %s is online; %s resets offsets only while a consumer is online: start one consumer of the group and retry", group, kind)
		}
	}
	return nil
}

// resolve turns `to` into an absolute target for one row, clamped into [start, end].
// A nil target means the backend resolves it itself.
func resolve(to To, st PartitionState, pinned map[TopicPartition]int64, byTime map[TopicPartition]int64) (*int64, bool, error) {
	tp := TopicPartition{st.Topic, st.Partition}
	if pinned != nil {
		v, ok := pinned[tp]
		if !ok {
			return nil, false, fmt.Errorf("partition %s/%d is not in the confirmed plan; plan again", st.Topic, st.Partition)
		}
		return clampOpt(v, st)
	}
	switch to.Form {
	case FormLatest:
		return st.End, false, nil
	case FormEarliest:
		return st.Start, false, nil
	case FormOffset:
		if st.Start == nil || st.End == nil {
			return nil, false, fmt.Errorf("the log bounds of %s/%d are unknown, so offset:%d cannot be clamped safely", st.Topic, st.Partition, to.N)
		}
		return clampOpt(to.N, st)
	case FormShift:
		if st.Committed == nil {
			return nil, false, fmt.Errorf("partition %s/%d has no committed offset to shift from; use offset:N, earliest, latest or time:T for it", st.Topic, st.Partition)
		}
		if st.Start == nil || st.End == nil {
			return nil, false, fmt.Errorf("the log bounds of %s/%d are unknown, so the shift cannot be clamped safely", st.Topic, st.Partition)
		}
		return clampOpt(*st.Committed+to.N, st)
	case FormTime, FormAgo:
		if v, ok := byTime[tp]; ok {
			return clampOpt(v, st)
		}
		return nil, false, nil
	}
	return nil, false, fmt.Errorf("unsupported target %s", to)
}

func clampOpt(v int64, st PartitionState) (*int64, bool, error) {
	c := v
	if st.Start != nil && c < *st.Start {
		c = *st.Start
	}
	if st.End != nil && c > *st.End {
		c = *st.End
	}
	return &c, c != v, nil
}

func lagOf(st PartitionState) *int64 {
	if st.Lag != nil {
		return st.Lag
	}
	if st.Committed != nil && st.End != nil {
		return Int64(max(0, *st.End-*st.Committed))
	}
	return nil
}

// skippedOf is after − before where both are known. Where the backend gives no offsets but a lag
// (RocketMQ topic rows), a move to latest skips exactly that lag.
func skippedOf(to To, pr PartitionResult) *int64 {
	if pr.After != nil && pr.Before != nil {
		return Int64(*pr.After - *pr.Before)
	}
	if to.Form == FormLatest && pr.Before == nil && pr.Lag != nil && pr.Partition == -1 {
		return pr.Lag
	}
	return nil
}

func sumSkipped(rows []PartitionResult) *int64 {
	var sum int64
	for _, pr := range rows {
		if pr.Status != StatusPlanned && pr.Status != StatusApplied && pr.Status != StatusUnchanged {
			continue
		}
		if pr.Skipped == nil {
			if pr.Status == StatusUnchanged {
				continue
			}
			return nil
		}
		sum += *pr.Skipped
	}
	return &sum
}

func undoOf(cmd Command, rows []PartitionResult, notes []string) (Undo, []string) {
	type key struct {
		topic  string
		offset int64
	}
	groups := map[key][]int32{}
	var keys []key
	var noBefore []string
	for _, pr := range rows {
		if pr.Status != StatusApplied || pr.Partition < 0 {
			continue
		}
		if pr.Before == nil {
			noBefore = append(noBefore, fmt.Sprintf("%s/%d", pr.Topic, pr.Partition))
			continue
		}
		k := key{pr.Topic, *pr.Before}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], pr.Partition)
	}
	var undo Undo
	for _, k := range keys {
		reason := "undo"
		if cmd.Reason != "" {
			reason = "undo: " + cmd.Reason
		}
		undo = append(undo, Command{Target: cmd.Target, Group: cmd.Group, Topics: []string{k.topic},
			Partitions: groups[k], To: fmt.Sprintf("offset:%d", k.offset), Reason: reason})
	}
	if len(noBefore) > 0 {
		notes = append(notes, fmt.Sprintf("%d partition(s) had no committed offset before the reset and are not in undo: %s",
			len(noBefore), strings.Join(FirstN(noBefore, 10), ", ")))
	}
	return undo, notes
}

func firstRowError(rows []PartitionResult) string {
	for _, pr := range rows {
		if pr.Status == StatusError && pr.Error != "" {
			return pr.Error
		}
	}
	return "see the partition rows"
}

func fmtOpt(v *int64) string {
	if v == nil {
		return "no committed offset"
	}
	return fmt.Sprintf("offset %d", *v)
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}

// FirstN keeps the first n entries of s and says how many more there were, for sentences that
// list partitions or differences.
func FirstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("and %d more", len(s)-n))
	}
	return s
}
