package reset

import (
	"context"
	"errors"
	"fmt"
	"math"
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
	// Identity names this invocation (a platform request id, an alert notification, a confirm
	// token). On backends with commit markers every written partition records it (MarkID), so a
	// later delivery of the same invocation recognises its own earlier write.
	Identity string
	// SameWithin: a mark of Identity older than this was left by another delivery (an alert's
	// re-notification after repeat_interval) and is ignored; 0 = a mark of any age counts.
	SameWithin time.Duration
	// Retry: this delivery is a platform retry (FC's x-fc-retry-count); a shift whose earlier
	// delivery left no commit marker is refused rather than applied again.
	Retry bool
	// NotMarkedSince (Unix ms): refuse when any row's newest commit marker is younger than this
	// (a confirm: another reset since the plan, even one that put the offsets back).
	NotMarkedSince int64
	// At fixes the instant of an ago: target (a confirm applies the instant its plan showed, not
	// now − D), in Unix ms; nil = now − D.
	At *int64
	// OnMarked decides what finding Identity's mark means. nil: the earlier delivery's write is
	// re-targeted from the before it recorded, so a retry converges on the same absolute offsets.
	// A non-nil error stops the command (a used confirm token, an alert already handled).
	OnMarked func(Mark) error
}

// VerifyTime is how long the read-back after a write may take at most; when the invocation has
// a deadline, this much of it (at most a quarter) is kept back from the write for it.
const VerifyTime = 5 * time.Second

// Run executes one command and always returns a Result; it never panics on bad input.
func (p *Planner) Run(ctx context.Context, cmd Command, opts Options) *Result {
	ctx, sink := withNotes(ctx)
	res := p.run(ctx, cmd, opts)
	res.Notes = append(res.Notes, sink.take()...)
	if !res.attempted {
		res.Retryable = true // nothing was written: delivering it again is harmless
	}
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
	if len(cmd.Groups) > 0 {
		return res.fail(Invalid("groups %v must be expanded into one command per group first (Planner.Expand)", cmd.Groups))
	}
	res.To = to.String()
	prov, err := p.Targets.Provider(cmd.Target)
	if err != nil {
		return res.fail(err)
	}
	res.Provider = prov.Kind()
	caps := prov.Capabilities()
	switch {
	case to.Form == FormCurrent: // moves nothing: every backend can show where it is
	case to.Form == FormGroup && !caps.ExactOffsets:
		return res.fail(Invalid("%s targets cannot copy another group's offsets: the backend does not set exact offsets per partition (%s)", prov.Kind(), caps.Describe))
	case to.Form == FormGroup && to.Group == cmd.Group:
		return res.fail(Invalid("to group:%s names the group being moved; name the group to copy offsets from", to.Group))
	case !caps.Supports(to.Form) && to.Form != FormGroup:
		return res.fail(Invalid("%s targets cannot be reset to %s: %s", prov.Kind(), to.Form, caps.Describe))
	}
	if (len(cmd.Partitions) > 0 || to.Explicit) && !caps.Partitions {
		return res.fail(Invalid("%s targets cannot reset single partitions or queues: %s; leave partitions out to move the whole topic", prov.Kind(), caps.Describe))
	}
	if len(cmd.Partitions) > 0 && to.IsTime() && caps.TimeWholeTopics {
		return res.fail(Invalid("%s", caps.TimeSubset))
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	// One instant for the whole run: ago: resolves from it and the commit markers record it, so
	// a retry can resolve ago: from the same instant.
	now0 := now()
	var millis int64
	if to.IsTime() {
		millis = to.Millis(now0)
		if opts.At != nil && to.Form == FormAgo {
			millis = *opts.At
		}
		res.At = &millis
	}

	q := Query{Group: cmd.Group, Topics: cmd.Topics, SkipStart: to.Form == FormLatest && opts.Pinned == nil}
	pinned := opts.Pinned
	if to.Explicit {
		q.Topics = cmd.OffsetTopics()
		pinned = make(map[TopicPartition]int64, len(cmd.Offsets))
		for _, o := range cmd.Offsets {
			pinned[TopicPartition{o.Topic, o.Partition}] = o.Offset
		}
	}
	var source map[TopicPartition]int64
	if to.Form == FormGroup {
		source, err = p.sourceOffsets(ctx, prov, to.Group, q.Topics)
		if err != nil {
			return res.fail(err)
		}
		if len(q.Topics) == 0 {
			q.Topics = topicsOf(source) // clone: the partitions the source group has committed
			if len(q.Topics) == 0 {
				return res.fail(Invalid("group %s has no committed offsets on target %s to copy%s", to.Group, cmd.Target, p.didYouMean(ctx, prov, to.Group)))
			}
		}
	}
	snap, err := prov.Snapshot(ctx, q)
	if err != nil {
		return res.fail(err)
	}
	if to.Form == FormCurrent {
		res.State, res.Members = snap.State, snap.Members
	} else if err := checkGuard(prov.Kind(), cmd.Group, caps.Guard, snap); err != nil {
		return res.fail(err)
	}
	rows, err := selectRows(cmd, snap)
	if err != nil {
		if len(snap.Rows) == 0 && len(cmd.Topics) == 0 && !to.Explicit {
			err = Invalid("%v%s", err, p.didYouMean(ctx, prov, cmd.Group))
		}
		return res.fail(err)
	}
	// Commit markers: find this invocation's own earlier writes.
	var markID string
	if caps.Marks {
		markID = RandomMarkID()
		if opts.Identity != "" {
			markID = MarkID(opts.Identity)
		}
	}
	marked := make([]*Mark, len(rows))
	if caps.Marks && opts.Identity != "" {
		var retarget *Mark
		for i, st := range rows {
			m, ok := FindMark(st.Marks, markID)
			if !ok || (opts.SameWithin > 0 && now0.Sub(m.Time()) > opts.SameWithin) {
				continue
			}
			if opts.OnMarked != nil {
				res.Duplicate, res.DuplicateAt = "already handled at "+m.Time().Format(time.RFC3339), m.At
				return res.fail(opts.OnMarked(m))
			}
			if st.Marks[0].ID != markID {
				// Someone moved the partition after this invocation's earlier delivery (an
				// operator's undo, another reset): re-applying would undo their move.
				res.Duplicate, res.DuplicateAt = "already handled at "+m.Time().Format(time.RFC3339), m.At
				return res.fail(Refused("an earlier delivery of this invocation moved %s/%d at %s, and another reset has moved it since (at %s); this delivery changes nothing, so as not to undo that: read the offsets with a dry run",
					st.Topic, st.Partition, m.Time().Format(time.RFC3339), st.Marks[0].Time().Format(time.RFC3339)))
			}
			marked[i] = &m
			if retarget == nil || m.At < retarget.At {
				retarget = &m
			}
		}
		if retarget != nil && to.Form == FormAgo {
			// ago: means "D before the first delivery", not before this one.
			millis = retarget.At - to.Ago.Milliseconds()
			res.At = &millis
		}
		if retarget == nil && opts.Retry && to.Form == FormShift {
			// A platform retry whose first delivery left no mark: either it wrote nothing, or the
			// platform gave the retry another identity; only the first is safe to shift again.
			return res.fail(Refused("this is a platform retry of %s, but no partition carries this invocation's commit marker, so whether its first delivery moved the group cannot be told; nothing changed: read the offsets with a dry run and send a new command if needed", to))
		}
	}
	if opts.NotMarkedSince > 0 {
		for _, st := range rows {
			if len(st.Marks) > 0 && st.Marks[0].At > opts.NotMarkedSince && st.Marks[0].ID != markID {
				return res.fail(Refused("offsetreset moved %s/%d at %s, after this plan was made; nothing changed: plan again", st.Topic, st.Partition, st.Marks[0].Time().Format(time.RFC3339)))
			}
		}
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
	inputErrs, clamped, earlier := 0, 0, 0
	var earliest int64
	res.Partitions = make([]PartitionResult, 0, len(rows))
	for i, st := range rows {
		pr := PartitionResult{Topic: st.Topic, Partition: st.Partition, Before: st.Committed, LogStart: st.Start, LogEnd: st.End, Lag: lagOf(st)}
		if st.Err != nil {
			pr.Status, pr.Error = StatusError, st.Err.Error()
			res.Partitions = append(res.Partitions, pr)
			continue
		}
		base := st
		if m := marked[i]; m != nil {
			// An earlier delivery of this invocation moved this partition: resolve from the
			// before it found, so the result and undo describe the invocation's whole move.
			base.Committed, pr.Before = m.Before, m.Before
		}
		target, wasClamped, rowErr := resolve(to, base, pinned, byTime, source)
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
		if to.Form == FormCurrent {
			pr.Status, pr.Skipped = StatusUnchanged, Int64(0)
		} else if target != nil && st.Committed != nil && *target == *st.Committed {
			pr.Status = StatusUnchanged
			if m := marked[i]; m != nil {
				if earlier == 0 || m.At < earliest {
					earliest = m.At
				}
				earlier++
			}
		}
		res.Partitions = append(res.Partitions, pr)
	}
	if earlier > 0 {
		at := time.UnixMilli(earliest).UTC().Format(time.RFC3339)
		res.Duplicate, res.DuplicateAt = "already handled at "+at, earliest
		res.Notes = append(res.Notes, fmt.Sprintf("%d partition(s) were already moved by an earlier delivery of this invocation (at %s); they were not written again", earlier, at))
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
	if caps.ExactOffsets && to.Form != FormCurrent && noneCommitted(rows) {
		msg := fmt.Sprintf("group %s has no committed offset on any selected partition of target %s%s", cmd.Group, cmd.Target, p.didYouMean(ctx, prov, cmd.Group))
		switch {
		case cmd.CreateGroup:
			res.Notes = append(res.Notes, msg+"; applying creates the group (createGroup is set)")
		case cmd.DryRun:
			res.Notes = append(res.Notes, "warning: "+msg+"; applying would create a new group, so an apply is refused unless the command sets \"createGroup\": true")
		default:
			return res.fail(Refused("%s; nothing changed. A misspelt group must not be created: check the name, or resend with \"createGroup\": true to create a new group", msg))
		}
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
	var marks []Mark // this write's marker per row, with the row's older ones
	if caps.Marks {
		marks = make([]Mark, len(rows))
		for i := range rows {
			marks[i] = Mark{ID: markID, Before: res.Partitions[i].Before, At: now0.UnixMilli()}
		}
	}
	return p.apply(ctx, prov, caps, cmd, to, millis, q, targets, rows, marks, marked, opts, res)
}

// sourceOffsets reads the committed offsets of the group a group:NAME target copies.
func (p *Planner) sourceOffsets(ctx context.Context, prov Provider, group string, topics []string) (map[TopicPartition]int64, error) {
	q := Query{Group: group, Topics: topics}
	if cr, ok := prov.(CommittedReader); ok {
		return cr.Committed(ctx, q)
	}
	snap, err := prov.Snapshot(ctx, q)
	if err != nil {
		return nil, err
	}
	out := map[TopicPartition]int64{}
	for _, st := range snap.Rows {
		if st.Committed != nil {
			out[TopicPartition{st.Topic, st.Partition}] = *st.Committed
		}
	}
	return out, nil
}

func topicsOf(m map[TopicPartition]int64) []string {
	var topics GroupSet // a set of names, sorted: topics as well as groups
	for tp := range m {
		topics.Add([]string{tp.Topic})
	}
	return topics.Sorted()
}

// noneCommitted reports whether no row has a committed offset: applying would create the group.
func noneCommitted(rows []PartitionState) bool {
	for _, st := range rows {
		if st.Committed != nil {
			return false
		}
	}
	return len(rows) > 0
}

func (p *Planner) apply(ctx context.Context, prov Provider, caps Capabilities, cmd Command, to To, millis int64,
	q Query, targets []*int64, rows []PartitionState, marks []Mark, marked []*Mark, opts Options, res *Result) *Result {
	a := &Apply{
		Group:         cmd.Group,
		To:            to,
		Millis:        millis,
		AllTopics:     len(cmd.Topics) == 0 && !to.Explicit,
		AllPartitions: len(cmd.Partitions) == 0 && !to.Explicit,
		// A pinned plan is written as exact offsets where the backend takes them; a backend that
		// only takes a time or latest applies the confirmed target in its own terms (the pins
		// then served the "moved since the plan" check).
		InOwnTerms: (opts.Pinned == nil || !caps.ExactOffsets) && (to.Form == FormLatest || to.Form == FormEarliest || to.IsTime()),
	}
	a.Moves = make([]Move, 0, len(res.Partitions))
	idx := make([]int, 0, len(res.Partitions)) // res.Partitions index of each move
	for i, pr := range res.Partitions {
		if pr.Status != StatusPlanned {
			if pr.Status == StatusError {
				a.AllPartitions, a.AllTopics = false, false
			}
			continue
		}
		mv := Move{Topic: pr.Topic, Partition: pr.Partition, Offset: targets[i]}
		if marks != nil {
			mv.Mark, mv.Older = &marks[i], rows[i].Marks
		}
		a.Moves = append(a.Moves, mv)
		idx = append(idx, i)
	}
	if len(a.Moves) == 0 {
		res.Status = StatusApplied
		if res.Error != "" {
			res.Status = StatusPartial
		}
		p.finishUndo(caps, cmd, marked, res)
		return res
	}

	// The write gets the invocation's time less a reserve; the read-back that verifies it gets
	// the reserve, even when the write used up its share.
	writeCtx, verifyCtx := ctx, context.WithoutCancel(ctx)
	var cancelW, cancelV context.CancelFunc
	if dl, ok := ctx.Deadline(); ok {
		reserve := min(VerifyTime, time.Until(dl)/4)
		writeCtx, cancelW = context.WithDeadline(ctx, dl.Add(-reserve))
		verifyCtx, cancelV = context.WithDeadline(verifyCtx, dl)
	} else {
		writeCtx, cancelW = context.WithCancel(ctx)
		verifyCtx, cancelV = context.WithTimeout(verifyCtx, VerifyTime)
	}
	defer cancelW()
	defer cancelV()

	outcomes, applyErr := prov.Apply(writeCtx, a)
	if applyErr == nil && writeCtx.Err() != nil {
		applyErr = fmt.Errorf("the write did not finish before the deadline: %w", writeCtx.Err())
	}
	if applyErr != nil && (errors.Is(applyErr, context.DeadlineExceeded) || errors.Is(applyErr, context.Canceled)) {
		applyErr = NoAnswer(applyErr)
	}
	if len(outcomes) != len(a.Moves) {
		outcomes = append(outcomes[:min(len(outcomes), len(a.Moves))], make([]Outcome, max(0, len(a.Moves)-len(outcomes)))...)
	}
	// A clean write on a backend whose per-partition acknowledgement is its own record of the
	// commit (Kafka) needs no read-back; anything else is read back and the read-back decides.
	acked := caps.CommitsAcked && applyErr == nil && firstWriteErr(nil, outcomes) == nil && exact(a.Moves)
	var committed map[TopicPartition]*int64
	var backErr error
	if !acked {
		committed, backErr = readBack(verifyCtx, prov, q)
		if backErr != nil {
			res.Notes = append(res.Notes, "the committed offsets could not be read back after the reset: "+backErr.Error())
		}
	}
	var applied, unchanged, unknown, failed, recovered int
	for k, i := range idx {
		pr := &res.Partitions[i]
		o := outcomes[k]
		wErr := o.Err
		if applyErr != nil {
			wErr = applyErr
		}
		want := targets[i]
		cur, read := committed[TopicPartition{pr.Topic, pr.Partition}]
		if backErr != nil {
			read = false
		}
		switch {
		case wErr == nil:
			after := o.After
			if after == nil && read {
				after = cur
			}
			if after == nil && acked {
				after = want
			}
			pr.After = after
			if !a.InOwnTerms && want != nil && backErr == nil && (after == nil || *after != *want) {
				pr.Status = StatusError
				pr.Error = fmt.Sprintf("the backend accepted the commit of offset %d but reports %s afterwards; check the group and retry", *want, fmtOpt(after))
				failed++
				break
			}
			pr.Status = StatusApplied
			applied++
		case !read:
			pr.Status, pr.After = StatusUnknown, nil
			pr.Error = fmt.Sprintf("%v; the read-back failed too, so this write may or may not have been applied", wErr)
			unknown++
		case want != nil && cur != nil && *cur == *want, want == nil && !sameOpt(cur, pr.Before):
			pr.Status, pr.After = StatusApplied, cur
			recovered++
			applied++
		case sameOpt(cur, pr.Before) && errors.Is(wErr, ErrNoAnswer):
			// The request may have reached the backend and be applied after the read-back.
			pr.Status, pr.After = StatusUnknown, nil
			pr.Error = fmt.Sprintf("%v; the read-back shows %s, as before, but without an answer the write may still be applied", wErr, fmtOpt(cur))
			unknown++
		case sameOpt(cur, pr.Before):
			pr.Status, pr.After = StatusUnchanged, cur
			pr.Error = fmt.Sprintf("not applied: %v; the read-back shows %s, as before", wErr, fmtOpt(cur))
			unchanged++
		default:
			pr.Status, pr.After = StatusError, cur
			pr.Error = fmt.Sprintf("%v; the read-back shows %s, neither the planned %s nor the previous %s: check the group", wErr, fmtOpt(cur), fmtOpt(want), fmtOpt(pr.Before))
			failed++
		}
		pr.Skipped = nil
		if pr.Status == StatusApplied || pr.Status == StatusUnchanged || pr.Status == StatusError {
			pr.Skipped = skippedOf(to, *pr)
		}
	}
	if recovered > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("the backend reported an error for %d partition(s), but reading back shows they were written: they are applied", recovered))
	}
	res.Skipped = sumSkipped(res.Partitions)
	n := len(res.Partitions)
	switch {
	case unknown > 0:
		res.Status = StatusUnknown
		res.Error = fmt.Sprintf("%d of %d partitions may or may not have been written: %s; read the offsets with a dry run before retrying",
			unknown, n, firstRowErrorOf(res.Partitions, StatusUnknown))
	case applied == len(idx) && res.Error == "":
		res.Status = StatusApplied
	case applied == 0 && failed == 0 && res.Error == "" && !movedEarlier(res.Partitions, marked):
		// Proven: nothing moved. A backend's own verdict (refused: consumers online; invalid:
		// no such topic) keeps its status and sentence.
		var e *Error
		if first := firstWriteErr(applyErr, outcomes); errors.As(first, &e) && e.Status != StatusFailed {
			return res.fail(e)
		}
		res.Status = StatusFailed
		res.Error = fmt.Sprintf("nothing was applied (read back: no partition moved): %s", firstRowErrorOf(res.Partitions, StatusUnchanged))
	case applied == 0 && res.Error == "" && !movedEarlier(res.Partitions, marked):
		res.Status = StatusFailed
		res.Error = fmt.Sprintf("nothing was applied: %s", firstRowError(res.Partitions))
	default:
		res.Status = StatusPartial
		bad := 0
		for _, pr := range res.Partitions {
			if pr.Error != "" {
				bad++
			}
		}
		res.Error = fmt.Sprintf("%d of %d partitions were not moved: %s", bad, n, firstRowError(res.Partitions))
	}
	// Delivering the invocation again converges where the backend keeps marks, or where the
	// target is absolute (re-applying it keeps its meaning); a shift would move again — unless
	// the read-back proved that nothing moved.
	res.attempted = true
	res.Retryable = (caps.Marks && opts.Identity != "") || to.Form != FormShift || opts.Pinned != nil ||
		(res.Status == StatusFailed && failed == 0 && unknown == 0)
	p.finishUndo(caps, cmd, marked, res)
	return res
}

// exact reports whether every move names its absolute offset.
func exact(moves []Move) bool {
	for _, m := range moves {
		if m.Offset == nil {
			return false
		}
	}
	return true
}

// movedEarlier reports whether an earlier delivery of this invocation moved some row, which
// makes a delivery that writes nothing more partial rather than failed.
func movedEarlier(rows []PartitionResult, marked []*Mark) bool {
	for i, pr := range rows {
		if i < len(marked) && marked[i] != nil && pr.Status == StatusUnchanged && pr.Error == "" {
			return true
		}
	}
	return false
}

func firstWriteErr(applyErr error, outcomes []Outcome) error {
	if applyErr != nil {
		return applyErr
	}
	for _, o := range outcomes {
		if o.Err != nil {
			return o.Err
		}
	}
	return nil
}

// finishUndo sets the undo of what this invocation moved, where the backend sets exact offsets.
func (p *Planner) finishUndo(caps Capabilities, cmd Command, marked []*Mark, res *Result) {
	if !caps.ExactOffsets {
		return
	}
	res.Undo, res.Notes = undoOf(cmd, res.Partitions, marked, res.Notes)
}

// readBack reads what is committed after a write: CommittedReader where the provider has it,
// otherwise a fresh Snapshot.
func readBack(ctx context.Context, prov Provider, q Query) (map[TopicPartition]*int64, error) {
	if cr, ok := prov.(CommittedReader); ok {
		m, err := cr.Committed(ctx, q)
		if err != nil {
			return nil, err
		}
		out := make(map[TopicPartition]*int64, len(m))
		vals := make([]int64, 0, len(m)) // one allocation for all the offsets
		for tp, v := range m {
			vals = append(vals, v)
			out[tp] = &vals[len(vals)-1]
		}
		return out, nil
	}
	out := map[TopicPartition]*int64{}
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
	byTopic := map[string]int{} // partitions per topic
	for _, st := range snap.Rows {
		byTopic[st.Topic]++
	}
	for _, t := range cmd.Topics {
		if _, ok := byTopic[t]; !ok {
			return nil, Invalid("topic %q does not exist on target %s (or has no partitions); check the name", t, cmd.Target)
		}
	}
	if len(cmd.Offsets) > 0 {
		return selectOffsets(cmd, snap)
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
			cmd.Topics[0], joinInts(missing), byTopic[cmd.Topics[0]], byTopic[cmd.Topics[0]]-1)
	}
	return rows, nil
}

// selectOffsets keeps the rows an explicit offsets list names; a partition that does not exist
// makes the whole command invalid, so a bad row never lets the others be written.
func selectOffsets(cmd Command, snap *Snapshot) ([]PartitionState, error) {
	byTP := make(map[TopicPartition]int, len(snap.Rows))
	count := map[string]int{}
	for i, st := range snap.Rows {
		byTP[TopicPartition{st.Topic, st.Partition}] = i
		count[st.Topic]++
	}
	rows := make([]PartitionState, 0, len(cmd.Offsets))
	var missing []string
	for _, o := range cmd.Offsets {
		i, ok := byTP[TopicPartition{o.Topic, o.Partition}]
		if !ok {
			missing = append(missing, fmt.Sprintf("%s/%d (the topic has %d partitions)", o.Topic, o.Partition, count[o.Topic]))
			continue
		}
		rows = append(rows, snap.Rows[i])
	}
	if len(missing) > 0 {
		return nil, Invalid("offsets name partitions that do not exist on target %s: %s; nothing was written, fix those rows",
			cmd.Target, strings.Join(FirstN(missing, 10), ", "))
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
func resolve(to To, st PartitionState, pinned, byTime, source map[TopicPartition]int64) (*int64, bool, error) {
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
		return clampOpt(addSat(*st.Committed, to.N), st)
	case FormTime, FormAgo:
		if v, ok := byTime[tp]; ok {
			return clampOpt(v, st)
		}
		return nil, false, nil
	case FormGroup:
		v, ok := source[tp]
		if !ok {
			return nil, false, fmt.Errorf("group %s has no committed offset on %s/%d to copy; this partition is not written", to.Group, st.Topic, st.Partition)
		}
		if st.Start == nil || st.End == nil {
			return nil, false, fmt.Errorf("the log bounds of %s/%d are unknown, so the copied offset cannot be clamped safely", st.Topic, st.Partition)
		}
		return clampOpt(v, st)
	case FormCurrent:
		return st.Committed, false, nil
	}
	return nil, false, fmt.Errorf("unsupported target %s", to)
}

// addSat adds without wrapping: shift:+9223372036854775807 means "as far as the log goes", never
// a wrap to a negative offset that would clamp to the log start.
func addSat(a, b int64) int64 {
	c := a + b
	switch {
	case b > 0 && c < a:
		return math.MaxInt64
	case b < 0 && c > a:
		return math.MinInt64
	}
	return c
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

// undoOf is the one command that puts back the before offsets of every partition this
// invocation moved (including those an earlier delivery of it moved).
func undoOf(cmd Command, rows []PartitionResult, marked []*Mark, notes []string) (*Command, []string) {
	offs := make([]PartitionOffset, 0, len(rows))
	var noBefore []string
	for i, pr := range rows {
		byEarlier := i < len(marked) && marked[i] != nil && pr.Status == StatusUnchanged
		if (pr.Status != StatusApplied && !byEarlier) || pr.Partition < 0 {
			continue
		}
		if pr.Before == nil {
			noBefore = append(noBefore, fmt.Sprintf("%s/%d", pr.Topic, pr.Partition))
			continue
		}
		offs = append(offs, PartitionOffset{Topic: pr.Topic, Partition: pr.Partition, Offset: *pr.Before})
	}
	if len(noBefore) > 0 {
		notes = append(notes, fmt.Sprintf("%d partition(s) had no committed offset before the reset and are not in undo: %s",
			len(noBefore), strings.Join(FirstN(noBefore, 10), ", ")))
	}
	if len(offs) == 0 {
		return nil, notes
	}
	reason := "undo"
	if cmd.Reason != "" {
		reason = "undo: " + cmd.Reason
		if len(reason) > MaxReasonLen {
			reason = strings.ToValidUTF8(reason[:MaxReasonLen], "")
		}
	}
	return &Command{Target: cmd.Target, Group: cmd.Group, Offsets: offs, Reason: reason}, notes
}

func firstRowError(rows []PartitionResult) string {
	for _, pr := range rows {
		if pr.Status != StatusApplied && pr.Error != "" {
			return pr.Error
		}
	}
	return "see the partition rows"
}

func firstRowErrorOf(rows []PartitionResult, st Status) string {
	for _, pr := range rows {
		if pr.Status == st && pr.Error != "" {
			return pr.Error
		}
	}
	return firstRowError(rows)
}

func sameOpt(a, b *int64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
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
