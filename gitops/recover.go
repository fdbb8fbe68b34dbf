package gitops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
)

// Crash-atomic operations. An operation that writes to git's index or the
// working tree journals an intent (the writes it is about to make, each with
// what it replaces, and the states and decision that result), makes the
// writes, then journals "done" (journal.go). Whoever next holds the session
// lock (session.go begin, which Open and every changing method call) settles
// an intent that has neither "done" nor "abort" after it:
//
//   - A decision (accept, reject, modify, undo, undo-all) rolls forward when
//     every write is either made or not made yet (the usual crash): the rest
//     is made and the decision counts, as if the command had finished. The
//     user asked for it, and it applies exactly as planned. When the user
//     changed one of its paths (index entry or file) between the crash and
//     the reopen, it rolls back instead: the writes already made are taken
//     back, in a file the user edited by a line merge that keeps their edit,
//     and the change is pending again. When taking a write back would undo
//     lines the user wrote over it, it completes instead and that file stays
//     as the user has it (settleForward).
//   - An agent write rolls forward only when its temporary file is complete
//     (the rename is made) or the file already holds the new content; else it
//     rolls back: the agent's tool call never returned, so there is no
//     proposal, and the temporary file is removed.
//
// Either way the session's temporary files left in the directories of the
// paths involved are removed.

// intentOp is the writes of an operation, journaled before they are made.
type intentOp struct {
	Index []indexWrite
	Disk  []diskChange
	// Agent marks an agent write (one Disk change through the temporary
	// file Tmp, in the path's directory; empty Tmp for a removal).
	Agent bool
	Tmp   string
	// User is the user's own index and working tree, which a mirrored
	// (--worktree) accept writes in the same operation (mirror.go).
	User *userSide
}

// indexWrite is one index entry going from Old to New (zero: absent).
type indexWrite struct {
	Path     string
	Old, New Entry
}

// diskChange is one working-tree path going from Old to New (zero: absent),
// New getting the permission Perm and Old having had OldPerm.
type diskChange struct {
	Path          string
	Old, New      Entry
	Perm, OldPerm fs.FileMode
}

// intentOf journals what pl is about to write: the index entries (from what
// the plan read) and the files, both sides stored as blobs so that recovery
// can go either way.
func (s *Session) intentOf(ctx context.Context, pl *plan) (*intentOp, error) {
	op := &intentOp{}
	for _, p := range slices.Sorted(maps.Keys(pl.index)) {
		op.Index = append(op.Index, indexWrite{Path: p, Old: pl.idx[p], New: pl.index[p]})
	}
	for _, w := range pl.disk {
		dc, err := s.diskChangeOf(ctx, w.path, w.oldMode, w.oldData, w.mode, w.data, w.perm, w.oldPerm)
		if err != nil {
			return nil, err
		}
		op.Disk = append(op.Disk, dc)
	}
	return op, nil
}

// diskChangeOf stores both sides of one file write as blobs (a side whose mode
// is "" is absent), so recovery can go either way.
func (s *Session) diskChangeOf(ctx context.Context, path, oldMode string, oldData []byte, newMode string, newData []byte, perm, oldPerm fs.FileMode) (diskChange, error) {
	var modes []string
	var datas [][]byte
	if oldMode != "" {
		modes, datas = append(modes, oldMode), append(datas, oldData)
	}
	if newMode != "" {
		modes, datas = append(modes, newMode), append(datas, newData)
	}
	es, err := s.newBlobs(ctx, modes, datas)
	if err != nil {
		return diskChange{}, err
	}
	dc := diskChange{Path: path, Perm: perm, OldPerm: oldPerm}
	if oldMode != "" {
		dc.Old, es = es[0], es[1:]
	}
	if newMode != "" {
		dc.New = es[0]
	}
	return dc, nil
}

// diskIs reports whether a working-tree path holds e (zero: absent).
func (s *Session) diskIs(ctx context.Context, path string, e Entry) (bool, error) {
	return s.diskIsIn(s.r, path, e)
}

// diskIsIn is diskIs in the working tree of r (the session's, or the user's
// for a mirrored session: both share the object format).
func (s *Session) diskIsIn(r *repo, path string, e Entry) (bool, error) {
	mode, data, _, err := r.readDisk(path)
	if err != nil || mode != e.Mode {
		return false, err
	}
	if mode == "" {
		return true, nil
	}
	return s.r.objectID("blob", data) == e.OID, nil
}

// setDisk writes e (zero: removes the path) with perm in r's working tree.
func (s *Session) setDisk(ctx context.Context, r *repo, path string, e Entry, perm fs.FileMode) error {
	if !e.Exists() {
		return r.writeDisk(path, "", nil, 0)
	}
	if err := s.content(ctx, e); err != nil {
		return err
	}
	return r.writeDisk(path, e.Mode, s.blobs[e.OID], perm)
}

// writeSide is one repository's share of an operation's writes: the
// session's own, or the user's for a mirrored accept (mirror.go).
type writeSide struct {
	r     *repo
	user  bool // the user's index is written through git, with a check
	index []indexWrite
	disk  []diskChange
}

// sides lists op's writes by repository. The returned func releases what
// was opened for the user's side.
func (s *Session) sides(op *intentOp) ([]writeSide, func()) {
	out := []writeSide{{r: s.r, index: op.Index, disk: op.Disk}}
	if op.User == nil {
		return out, func() {}
	}
	u, done := s.userRepo(op.User.Root)
	return append(out, writeSide{r: u, user: true, index: op.User.Index, disk: op.User.Disk}), done
}

// indexNow reads the current index entries of a side's writes.
func (s *Session) indexNow(ctx context.Context, sd writeSide) (map[string]Entry, error) {
	paths := make([]string, len(sd.index))
	for i, w := range sd.index {
		paths[i] = w.Path
	}
	return sd.r.indexEntries(ctx, "", paths)
}

// moveWrites makes the op's writes go forward (to New, where they still hold
// Old) or back (to Old, where they still hold New). It reports whether every
// write was in one of those two states; the ones that were not are left
// alone.
func (s *Session) moveWrites(ctx context.Context, op *intentOp, forward bool) (clean bool, err error) {
	sides, done := s.sides(op)
	defer done()
	clean = true
	for _, sd := range sides {
		ok, err := s.moveSide(ctx, sd, forward)
		if err != nil {
			return false, err
		}
		clean = clean && ok
	}
	return clean, nil
}

// moveSide is moveWrites for one repository.
func (s *Session) moveSide(ctx context.Context, sd writeSide, forward bool) (clean bool, err error) {
	clean = true
	if len(sd.index) > 0 {
		cur, err := s.indexNow(ctx, sd)
		if err != nil {
			return false, err
		}
		pl := &plan{action: "recover", index: map[string]Entry{}, idx: map[string]Entry{}}
		for _, w := range sd.index {
			from, to := w.New, w.Old
			if forward {
				from, to = w.Old, w.New
			}
			switch cur[w.Path] {
			case to:
			case from:
				pl.index[w.Path], pl.idx[w.Path] = to, from
			default:
				clean = false
			}
		}
		if sd.user {
			err = sd.r.updateIndex(ctx, "", pl.index)
		} else {
			err = s.writeIndex(ctx, pl)
		}
		if err != nil {
			return false, err
		}
	}
	for _, d := range sd.disk {
		from, to, perm := d.New, d.Old, d.OldPerm
		if forward {
			from, to, perm = d.Old, d.New, d.Perm
		}
		if ok, err := s.diskIsIn(sd.r, d.Path, to); err != nil || ok {
			if err != nil {
				return false, err
			}
			continue
		}
		ok, err := s.diskIsIn(sd.r, d.Path, from)
		if err != nil {
			return false, err
		}
		if !ok {
			clean = false
			if _, err := s.mergeMove(ctx, sd.r, d, forward, true); err != nil {
				return false, err
			}
			continue
		}
		if err := s.setDisk(ctx, sd.r, d.Path, to, perm); err != nil {
			return false, err
		}
		if !sd.user {
			s.dirty[d.Path] = true
		}
	}
	return clean, nil
}

// mergeMove moves a write forward (Old → New) or back (New → Old) in a file
// the user changed since the write was made or about to be made. The file
// sits on the side it is closer to, line by line (a tie: New, the write
// made); when that is the side asked for, nothing is written (a merge would
// apply the change twice). Else the change is merged onto the file as it is,
// as decisions merge, so the file keeps the user's edit. It reports false,
// and writes nothing, where the user changed the write's own lines, or for
// files that are not text on both sides; apply false only checks.
func (s *Session) mergeMove(ctx context.Context, r *repo, d diskChange, forward, apply bool) (bool, error) {
	if !d.Old.Exists() || !d.New.Exists() || d.Old.Mode == "120000" || d.New.Mode == "120000" {
		return false, nil
	}
	mode, cur, perm, err := r.readDisk(d.Path)
	if err != nil || mode != d.New.Mode && mode != d.Old.Mode {
		return false, err
	}
	if err := s.content(ctx, d.Old, d.New); err != nil {
		return false, err
	}
	from, to, toPerm := d.New, d.Old, d.OldPerm
	if forward {
		from, to, toPerm = d.Old, d.New, d.Perm
	}
	f, n := s.blobs[from.OID], s.blobs[to.OID]
	if isBinary(cur) || isBinary(f) || isBinary(n) {
		return false, nil
	}
	lc, lf, ln := splitLines(cur), splitLines(f), splitLines(n)
	if dt, df := distance(lc, ln), distance(lc, lf); dt < df || dt == df && forward {
		return true, nil // already on the side asked for, with the user's edit
	}
	out, bad := transfer(lf, lc, ln)
	if len(bad) > 0 {
		return false, nil
	}
	data := joinLines(out)
	if mode == from.Mode && from.Mode != to.Mode {
		mode, perm = to.Mode, toPerm
	}
	if !apply || bytes.Equal(data, cur) && mode == to.Mode {
		return true, nil
	}
	if err := r.writeDisk(d.Path, mode, data, perm); err != nil {
		return false, err
	}
	if r == s.r {
		s.dirty[d.Path] = true
	}
	return true, nil
}

// distance counts the lines a diff of a and b removes and adds.
func distance(a, b []string) int {
	n := 0
	for _, r := range diffRegions(a, b) {
		n += r.A1 - r.A0 + r.B1 - r.B0
	}
	return n
}

// mergeable reports whether every write of op can move in the direction
// asked: index entries hold either side, files hold either side, sit on the
// side asked for, or take the change by a clean merge (mergeMove).
func (s *Session) mergeable(ctx context.Context, op *intentOp, forward bool) (bool, error) {
	return s.settles(ctx, op, func(r *repo, d diskChange) (bool, error) { return s.mergeMove(ctx, r, d, forward, false) })
}

// isClean reports whether every write of op is either made or not yet made.
func (s *Session) isClean(ctx context.Context, op *intentOp) (bool, error) {
	return s.settles(ctx, op, func(*repo, diskChange) (bool, error) { return false, nil })
}

// settles walks op's writes: every index entry must hold either side, and
// every file either side or, failing that, pass other.
func (s *Session) settles(ctx context.Context, op *intentOp, other func(*repo, diskChange) (bool, error)) (bool, error) {
	sides, done := s.sides(op)
	defer done()
	for _, sd := range sides {
		if len(sd.index) > 0 {
			cur, err := s.indexNow(ctx, sd)
			if err != nil {
				return false, err
			}
			for _, w := range sd.index {
				if c := cur[w.Path]; c != w.Old && c != w.New {
					return false, nil
				}
			}
		}
		for _, d := range sd.disk {
			either := false
			for _, e := range []Entry{d.Old, d.New} {
				ok, err := s.diskIsIn(sd.r, d.Path, e)
				if err != nil {
					return false, err
				}
				if ok {
					either = true
					break
				}
			}
			if either {
				continue
			}
			if ok, err := other(sd.r, d); err != nil || !ok {
				return false, err
			}
		}
	}
	return true, nil
}

// recoverIntent settles an interrupted operation (see the top of the file).
func (s *Session) recoverIntent(ctx context.Context, in *record) error {
	op := in.Op
	if op == nil {
		return s.j.append(record{Kind: "abort"})
	}
	defer s.removeTmps(op)
	forward := false
	var err error
	if op.Agent {
		forward, err = s.finishAgentWrite(ctx, op)
	} else if forward, err = s.settleForward(ctx, op); err == nil {
		_, err = s.moveWrites(ctx, op, forward)
	}
	if err != nil {
		return fmt.Errorf("gitops: session %s: settling an operation a crash interrupted: %w", s.id, err)
	}
	if !forward {
		return s.j.append(record{Kind: "abort"})
	}
	if err := s.j.append(record{Kind: "done"}); err != nil {
		return err
	}
	eff, _ := settle([]record{*in, {Kind: "done"}}, nil)
	s.apply(eff)
	return nil
}

// settleForward decides which way an interrupted decision goes: forward
// when every write is made or not made yet. When the user changed one of its
// files since, back, the user's edit kept (mergeMove). When taking a made
// write back would undo lines the user wrote over it, forward: their lines
// then sit on the decided version the journal records, so later agent writes
// fold the edit into the user's baseline and an undo keeps it. (Back would
// leave the user's lines inside the agent's hunk, where an undo takes them
// away.) When neither merges, back, and such a file stays as the user has it.
func (s *Session) settleForward(ctx context.Context, op *intentOp) (bool, error) {
	if clean, err := s.isClean(ctx, op); err != nil || clean {
		return clean, err
	}
	if back, err := s.mergeable(ctx, op, false); err != nil || back {
		return false, err
	}
	return s.mergeable(ctx, op, true)
}

// finishAgentWrite reports whether an interrupted agent write took effect:
// the file holds the new version already, or its complete temporary file is
// renamed into place now.
func (s *Session) finishAgentWrite(ctx context.Context, op *intentOp) (bool, error) {
	if len(op.Disk) != 1 {
		return false, nil
	}
	d := op.Disk[0]
	if ok, err := s.diskIs(ctx, d.Path, d.New); err != nil || ok {
		return ok, err
	}
	if op.Tmp == "" || !d.New.Exists() {
		return false, nil
	}
	if ok, err := s.diskIs(ctx, d.Path, d.Old); err != nil || !ok {
		return false, err // the user changed the file since: theirs
	}
	if err := s.content(ctx, d.New); err != nil {
		return false, err
	}
	return s.r.finishTmp(d.Path, op.Tmp, d.New.Mode, s.blobs[d.New.OID])
}

// removeTmps removes the session's temporary files in the directories of the
// op's paths.
func (s *Session) removeTmps(op *intentOp) {
	sides, done := s.sides(op)
	defer done()
	for _, sd := range sides {
		for _, d := range sd.disk {
			sd.r.removeTmps(d.Path, s.r.tmpPrefix)
		}
	}
}

// abortIntent takes back the writes an operation made before it failed and
// journals that it did not happen. If that fails too, the intent stays
// pending and the next operation settles it.
func (s *Session) abortIntent(ctx context.Context, in *record, cause error) error {
	defer s.removeTmps(in.Op)
	if _, err := s.moveWrites(ctx, in.Op, false); err != nil {
		s.pending = in
		return errors.Join(cause, err)
	}
	if err := s.j.append(record{Kind: "abort"}); err != nil {
		s.pending = in
		return errors.Join(cause, err)
	}
	return cause
}

// begin starts an operation that changes the session: the in-process mutex,
// the per-operation session lock (lock.go), then catching up with what other
// processes journaled meanwhile and settling an interrupted operation. The
// returned func ends it.
func (s *Session) begin(ctx context.Context, activity string) (func(), error) {
	s.mu.Lock()
	if err := s.acquire(activity); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if err := s.catchUp(ctx); err != nil {
		s.release()
		s.mu.Unlock()
		return nil, err
	}
	return func() { s.release(); s.mu.Unlock() }, nil
}

// catchUp applies the journal records appended since this process last read
// it, settles an interrupted operation, and removes an index.lock a dead
// wend left. The session lock is held.
func (s *Session) catchUp(ctx context.Context) error {
	recs, err := s.j.readNew(true)
	if err != nil {
		return fmt.Errorf("gitops: session %s: reading the journal: %w", s.id, err)
	}
	eff, pending := settle(recs, s.pending)
	s.apply(eff)
	s.pending = pending
	if _, err := os.Stat(s.r.index + ".lock"); err == nil {
		if err := clearStaleIndexLock(s.r.index); err != nil {
			return err
		}
	}
	if s.pending != nil {
		in := s.pending
		s.pending = nil
		if err := s.recoverIntent(ctx, in); err != nil {
			s.pending = in
			return err
		}
	}
	return nil
}

// apply replays effective journal records into the session's state.
func (s *Session) apply(recs []record) {
	for _, rec := range recs {
		s.replay(rec)
		for _, ps := range rec.Paths {
			s.dirty[ps.Path] = true
			for _, e := range []Entry{ps.Orig, ps.Base, ps.Agent} {
				if e.Exists() {
					s.kept[e.OID] = true
				}
			}
		}
	}
}
