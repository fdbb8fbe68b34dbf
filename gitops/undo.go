package gitops

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// This file takes back one decision (Undo). A decision moved a path's Base
// (accept: and the index with it) or its Agent (reject, modify: and the
// working tree with it) from one version to another. Undo applies the reverse
// move to the versions as they are now, by the same line-level three-way
// merge decisions use, so later decisions on other lines of the file and the
// user's own edits elsewhere survive. The index and the working tree then
// follow the new Base and Agent the way a decision moves them: stage and
// restore (decide.go), with their conflicts and crash-replay behaviour.

// ErrNothingToUndo is wrapped by Undo when the target has no decision left to
// take back (never decided, already undone, or reset by UndoAll).
var ErrNothingToUndo = errors.New("gitops: nothing to undo")

// undoStep is the states of the paths a decision changed, just before and
// just after it (same order).
type undoStep struct {
	before, after []pathState
}

// undoStepOf records the step of a decision about to set the states after;
// s.paths still holds the states before.
func (s *Session) undoStepOf(after []pathState) *undoStep {
	st := &undoStep{after: slices.Clone(after)}
	for _, a := range after {
		b := pathState{Path: a.Path}
		if ps := s.paths[a.Path]; ps != nil {
			b = *ps
		}
		st.before = append(st.before, b)
	}
	return st
}

// Undo reverses the most recent decision that decided target (a hunk id or a
// path) and has not been undone: an accepted hunk/file leaves the index (back to
// what the user had staged) and is proposed again; a rejected hunk/file comes back
// into the working tree as the agent wrote it and is proposed again; a modification
// returns to the agent's version. It fails with a ConflictError naming the lines
// when the user changed them meanwhile, and then changes nothing.
//
// A path target matches every decision on that path (either side of a
// rename), so undoing a path again takes back the decision before; a hunk id
// matches the decisions that decided that hunk, whole-file ones included. Undos
// themselves are not undone, and decisions before an UndoAll of their path
// cannot be (ErrNothingToUndo). Later decisions on other lines of the file
// stay; when they (or the agent's later writes) changed the same lines, Undo
// fails with a *ConflictError too. The result is a Decision with Action undo,
// Undoes and UndoneAction set, journaled like any decision.
func (s *Session) Undo(ctx context.Context, target, reason string) (Decision, error) {
	end, err := s.begin(ctx, "undoing")
	if err != nil {
		return Decision{}, err
	}
	defer end()
	i, err := s.lastUndoable(target)
	if err != nil {
		return Decision{}, err
	}
	if s.decisions[i].states == nil { // decided before Open
		if err := s.loadUndoSteps(); err != nil {
			return Decision{}, err
		}
	}
	u := s.decisions[i]
	st := u.states
	if st == nil {
		return Decision{}, fmt.Errorf("gitops: undo %s: decision %d is missing from the journal", target, u.Seq)
	}
	pss := make([]*pathState, len(st.after))
	bases := make([]Entry, len(st.after))
	agents := make([]Entry, len(st.after))
	needIndex := false
	for k, a := range st.after {
		ps := s.paths[a.Path]
		if ps == nil {
			return Decision{}, fmt.Errorf("gitops: undo %s: %q is not a touched path", target, a.Path)
		}
		pss[k] = ps
		b := st.before[k]
		if bases[k], err = s.revert(ctx, ps.Path, "accepted", b.Base, a.Base, ps.Base); err != nil {
			return Decision{}, err
		}
		if agents[k], err = s.revert(ctx, ps.Path, "agent's", b.Agent, a.Agent, ps.Agent); err != nil {
			return Decision{}, err
		}
		needIndex = needIndex || bases[k] != ps.Base
	}
	pl, err := s.newPlan(ctx, ActionUndo, pss, needIndex)
	if err != nil {
		return Decision{}, err
	}
	for k, ps := range pss {
		next := *ps
		next.Base, next.Agent = bases[k], agents[k]
		if next.Base != ps.Base {
			if err := s.unstage(ctx, pl, ps, st.before[k], st.after[k], next.Base); err != nil {
				return Decision{}, err
			}
			s.noteUndoIndex(pl, &next, ps)
		}
		if next.Agent != ps.Agent {
			if err := s.restore(ctx, pl, ps, next.Agent); err != nil {
				return Decision{}, err
			}
		}
		pl.states = append(pl.states, next)
	}
	d := Decision{Action: ActionUndo, Path: u.Path, OldPath: u.OldPath, Kind: u.Kind, Binary: u.Binary,
		HunkIDs: slices.Clone(u.HunkIDs), Reason: reason, Undoes: u.Seq, UndoneAction: u.Action}
	for _, h := range u.Hunks {
		if u.Action != ActionModify {
			h.State = HunkProposed // pending again
		}
		d.Hunks = append(d.Hunks, h)
	}
	return s.commit(ctx, pl, d)
}

// lastUndoable finds the most recent decision on target that no Undo has taken
// back, scanning back to the first UndoAll of its path.
func (s *Session) lastUndoable(target string) (int, error) {
	undone := map[int]bool{}
	reset := map[string]bool{} // paths UndoAll returned to Orig later on
	for i := len(s.decisions) - 1; i >= 0; i-- {
		d := s.decisions[i]
		if d.Action == ActionUndo {
			if d.Undoes > 0 {
				undone[d.Undoes] = true
			} else {
				reset[d.Path] = true
			}
			continue
		}
		if undone[d.Seq] || !decides(d, target) {
			continue
		}
		if reset[d.Path] || (d.OldPath != "" && reset[d.OldPath]) {
			return -1, fmt.Errorf("%w: %s: undo-all already reset %q", ErrNothingToUndo, target, d.Path)
		}
		return i, nil
	}
	return -1, fmt.Errorf("%w: no decision on %s is left to undo", ErrNothingToUndo, target)
}

// decides reports whether d decided target, a path or a hunk id.
func decides(d Decision, target string) bool {
	if d.Path == target || (d.OldPath != "" && d.OldPath == target) || slices.Contains(d.HunkIDs, target) {
		return true
	}
	return slices.ContainsFunc(d.Hunks, func(h Hunk) bool { return h.ID == target })
}

// revert returns now with the change before → after of one version (the
// accepted or the agent's) taken back: before itself while nothing changed it
// since, else a three-way merge that keeps the later changes. Where those
// touched the same lines, or the file is not text, it is a conflict.
func (s *Session) revert(ctx context.Context, path, which string, before, after, now Entry) (Entry, error) {
	switch {
	case before == after, now == before:
		return now, nil
	case now == after:
		return before, nil
	}
	conflict := func(why string) error {
		return &ConflictError{Action: ActionUndo, Path: path,
			Reason: fmt.Sprintf("the %s version changed since that decision %s", which, why)}
	}
	if !before.Exists() || !after.Exists() || !now.Exists() {
		return Entry{}, conflict("(created or deleted since)")
	}
	if err := s.content(ctx, before, after, now); err != nil {
		return Entry{}, err
	}
	b, a, n := s.blobs[before.OID], s.blobs[after.OID], s.blobs[now.OID]
	if isBinary(b) || isBinary(a) || isBinary(n) || before.Mode == "120000" || now.Mode == "120000" {
		return Entry{}, conflict("and the file is binary")
	}
	// Exact: when a later decision changed the same lines, even the same
	// way (it deleted a line this one added), taking this one back alone
	// would silently take that one's change too, or leave a change that no
	// longer belongs to any decision.
	out, bad := transferExact(splitLines(a), splitLines(n), splitLines(b))
	if len(bad) > 0 {
		return Entry{}, conflict("on the same lines (" + rangesString(bad) + " of it); undo the later decisions first")
	}
	mode := now.Mode
	if before.Mode != after.Mode {
		mode = before.Mode
	}
	es, err := s.newBlobs(ctx, []string{mode}, [][]byte{joinLines(out)})
	if err != nil {
		return Entry{}, err
	}
	return es[0], nil
}

// unstage plans the index entry of ps for the Base newBase. While the index
// still holds what the decision wrote there, it gets back exactly what it held
// before the decision; otherwise the change Base → newBase is merged onto it
// as an accept would (stage), and content the user staged on a file the undo
// takes out of the index is a conflict rather than lost.
func (s *Session) unstage(ctx context.Context, pl *plan, ps *pathState, before, after pathState, newBase Entry) error {
	cur := pl.idx[ps.Path]
	if after.Indexed && cur == after.OurIndex {
		prev := after.UserIndex
		if before.Indexed {
			prev = before.OurIndex
		}
		if prev != cur {
			pl.index[ps.Path] = prev
		}
		return nil
	}
	if !newBase.Exists() && cur.Exists() && cur != ps.Base {
		return &ConflictError{Action: ActionUndo, Path: ps.Path, Where: "index",
			Reason: "you staged other content for this file since; unstage it first"}
	}
	return s.stage(ctx, pl, ps, newBase)
}

// noteUndoIndex keeps the index bookkeeping UndoAll relies on (commit leaves
// an undo's to the undo): UndoAll puts UserIndex back while the index holds
// OurIndex, so OurIndex may only name an index that is UserIndex plus
// accepted changes. When the user staged something since gitops last wrote
// the entry, the new entry holds their change too: it becomes UserIndex when
// no accepted change is left, else OurIndex stays behind so that UndoAll
// merges the accepted changes out instead.
func (s *Session) noteUndoIndex(pl *plan, next, ps *pathState) {
	cur := pl.idx[ps.Path]
	written, ok := pl.index[ps.Path]
	if !ok {
		written = cur
	}
	switch {
	case !ps.Indexed:
		next.Indexed, next.UserIndex, next.OurIndex = true, cur, written
	case cur == ps.OurIndex:
		next.OurIndex = written
	case next.Base == ps.Orig:
		next.UserIndex, next.OurIndex = written, written
	}
}

// loadUndoSteps rebuilds the steps of decisions made before Open from the
// journal: each decision record holds the states after it, and the records
// before it the states before.
func (s *Session) loadUndoSteps() error {
	path := filepath.Join(s.dir, "journal")
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	recs, _, err := decodeRecords(path, data)
	if err != nil {
		return err
	}
	recs, _ = settle(recs, nil) // only completed operations
	cur := map[string]*pathState{}
	for _, rec := range recs {
		if d := rec.Decision; d != nil && d.Seq >= 1 && d.Seq <= len(s.decisions) {
			if sd := &s.decisions[d.Seq-1]; sd.Seq == d.Seq && sd.states == nil {
				st := &undoStep{after: rec.Paths}
				for _, a := range rec.Paths {
					b := pathState{Path: a.Path}
					if ps := cur[a.Path]; ps != nil {
						b = *ps
					}
					st.before = append(st.before, b)
				}
				sd.states = st
			}
		}
		for _, ps := range rec.Paths {
			p := ps
			cur[p.Path] = &p
		}
	}
	return nil
}

// dropUndone leaves out of feedback what the model need not hear: the undo of
// an accept (the model is not told of accepts), and a decision together with
// its undo when the model was told of neither.
func dropUndone(fb []Decision, acked int) []Decision {
	drop := map[int]bool{}
	for _, d := range fb {
		switch {
		case d.Action != ActionUndo || d.Undoes == 0:
		case d.UndoneAction == ActionAccept:
			drop[d.Seq] = true
		case d.Undoes > acked:
			drop[d.Seq], drop[d.Undoes] = true, true
		}
	}
	if len(drop) == 0 {
		return fb
	}
	return slices.DeleteFunc(fb, func(d Decision) bool { return drop[d.Seq] })
}

// undoText is the feedback line for an Undo; what names the change as in
// FeedbackText ("your change to p" or "a hunk of your change to p").
func undoText(d Decision, what string) string {
	switch d.UndoneAction {
	case ActionReject:
		return fmt.Sprintf("The user undid their rejection of %s; your version is back in the file, awaiting review.", what)
	case ActionModify:
		return fmt.Sprintf("The user undid their edit of your change to %s; your version is back in the file, awaiting review.", d.Path)
	default:
		return fmt.Sprintf("The user undid accepting %s; it is no longer staged and awaits review again.", what)
	}
}
