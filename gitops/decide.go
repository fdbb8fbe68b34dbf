package gitops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// Action is a kind of decision (mirrors session.ReviewAction).
type Action string

const (
	ActionAccept Action = "accept"
	ActionReject Action = "reject"
	ActionModify Action = "modify"
	ActionUndo   Action = "undo"
)

// Decision is one applied decision, as recorded in the journal: what an event
// (ChangeStaged, feedback to the model) needs.
type Decision struct {
	Seq     int // 1, 2, 3… in the order decisions were made
	Action  Action
	Path    string
	OldPath string     // the old path of a rename
	Kind    ChangeKind // the kind of change decided (empty for UndoAll)
	Binary  bool
	HunkIDs []string // the decided hunks; empty when the whole file was decided
	// Hunks are the decided hunks as they were shown, State set. For a
	// modification they are the user's edit against the agent's version.
	Hunks  []Hunk
	Reason string
	Time   time.Time
	// Undoes is, for an Undo, the Seq of the decision taken back and
	// UndoneAction that decision's action (both zero otherwise, and for
	// UndoAll).
	Undoes       int
	UndoneAction Action
	// states holds the decided paths' states before and after, for Undo
	// (undo.go). Not journaled: Undo rebuilds it from the journal after Open.
	states *undoStep
}

// ErrUnknownProposal is wrapped by decisions naming a hunk id or path that
// has no pending proposal (already decided, or never proposed).
var ErrUnknownProposal = errors.New("gitops: no such pending proposal")

// ConflictError is a decision that cannot apply cleanly because the user
// changed the same lines meanwhile. Nothing was changed.
type ConflictError struct {
	Action Action
	Path   string
	Where  string      // "working tree" or "index"
	Lines  []LineRange // lines of Where that conflict; empty when Reason says why
	Reason string
}

func (e *ConflictError) Error() string {
	why := e.Reason
	if why == "" {
		why = fmt.Sprintf("%s of the %s changed since the agent's version", rangesString(e.Lines), e.Where)
	}
	return fmt.Sprintf("gitops: cannot %s %q: %s; nothing was changed", e.Action, e.Path, why)
}

// plan is a decision computed without side effects: new index entries, files
// to write and the path states that result. It is applied only when every
// part of it is free of conflicts.
type plan struct {
	action Action
	index  map[string]Entry
	disk   []diskWrite
	states []pathState
	// idx holds the index entries of the paths involved, read once from
	// ix (nil when git had to read them).
	idx map[string]Entry
	ix  *indexFile
}

type diskWrite struct {
	path, mode string
	data       []byte
	perm       fs.FileMode // 0: a new file's default
	// What the path held when the plan read it, for the intent (recover.go).
	oldMode string
	oldData []byte
	oldPerm fs.FileMode
}

func (s *Session) newPlan(ctx context.Context, a Action, pss []*pathState, needIndex bool) (*plan, error) {
	pl := &plan{action: a, index: map[string]Entry{}}
	if needIndex {
		paths := make([]string, len(pss))
		for i, ps := range pss {
			paths[i] = ps.Path
		}
		ix, err := s.ixCache, error(nil)
		if !ix.unchanged(s.r.index) {
			ix, err = s.r.readIndexFile(s.r.index)
		}
		var idx map[string]Entry
		if err == nil {
			pl.ix = ix
			idx, err = ix.lookup(paths)
		} else if errors.Is(err, errIndexFormat) {
			idx, err = s.r.indexEntries(ctx, "", paths)
		}
		if err != nil {
			return nil, err
		}
		pl.idx = idx
	}
	return pl, nil
}

// stage plans moving the index entry of ps by the change Base → newBase, on
// top of whatever the user has staged there.
func (s *Session) stage(ctx context.Context, pl *plan, ps *pathState, newBase Entry) error {
	from, cur := ps.Base, pl.idx[ps.Path]
	conflict := func(where, reason string, lines []LineRange) error {
		return &ConflictError{Action: pl.action, Path: ps.Path, Where: where, Reason: reason, Lines: lines}
	}
	switch {
	case cur == newBase:
		return nil // already there: a decision replayed after a crash
	case cur == from, !newBase.Exists():
		pl.index[ps.Path] = newBase
		return nil
	case !cur.Exists():
		return conflict("index", "the file is not in your index (untracked); stage it yourself first", nil)
	case !from.Exists():
		return conflict("index", "your index has a different file at this path", nil)
	}
	if err := s.content(ctx, cur, from, newBase); err != nil {
		return err
	}
	c, f, n := s.blobs[cur.OID], s.blobs[from.OID], s.blobs[newBase.OID]
	if isBinary(c) || isBinary(f) || isBinary(n) || cur.Mode == "120000" || newBase.Mode == "120000" {
		return conflict("index", "your staged version differs and the file is binary", nil)
	}
	out, bad := transfer(splitLines(f), splitLines(c), splitLines(n))
	if len(bad) > 0 {
		return conflict("index", "", bad)
	}
	mode := cur.Mode
	if newBase.Mode != from.Mode {
		mode = newBase.Mode
	}
	es, err := s.newBlobs(ctx, []string{mode}, [][]byte{joinLines(out)})
	if err != nil {
		return err
	}
	pl.index[ps.Path] = es[0]
	return nil
}

// restore plans moving the working-tree file of ps by the change Agent →
// newAgent, only where the file still holds the agent's lines.
//
// Every file a decision writes gets the permission recorded before the
// agent's first write (OrigPerm), so an agent that widened it (chmod in a
// command) does not keep that; without a record the file keeps its own.
func (s *Session) restore(ctx context.Context, pl *plan, ps *pathState, newAgent Entry) error {
	mode, disk, diskPerm, err := s.r.readDisk(ps.Path)
	if err != nil {
		return err
	}
	perm := diskPerm
	if ps.OrigPerm != 0 {
		perm = ps.OrigPerm
	}
	if err := s.content(ctx, ps.Agent, newAgent); err != nil {
		return err
	}
	a, n := s.blobs[ps.Agent.OID], s.blobs[newAgent.OID]
	conflict := func(reason string, lines []LineRange) error {
		return &ConflictError{Action: pl.action, Path: ps.Path, Where: "working tree", Reason: reason, Lines: lines}
	}
	switch {
	case mode == newAgent.Mode && (mode == "" || bytes.Equal(disk, n)):
		if ps.OrigPerm != 0 && (mode == "100644" || mode == "100755") && diskPerm != fitPerm(mode, perm) {
			pl.disk = append(pl.disk, diskWrite{ps.Path, mode, n, perm, mode, disk, diskPerm}) // only the permission differs
		}
		return nil
	case mode == ps.Agent.Mode && (mode == "" || bytes.Equal(disk, a)):
		pl.disk = append(pl.disk, diskWrite{ps.Path, newAgent.Mode, n, perm, mode, disk, diskPerm})
		return nil
	case mode == "":
		return conflict("the file was deleted since the agent's version", nil)
	case !ps.Agent.Exists():
		return conflict("the file was created again since the agent deleted it", nil)
	case !newAgent.Exists():
		return conflict("the file was changed since the agent wrote it", nil)
	case isBinary(disk) || isBinary(a) || isBinary(n) || mode == "120000" || newAgent.Mode == "120000":
		return conflict("the binary file was changed since the agent wrote it", nil)
	}
	out, bad := transfer(splitLines(a), splitLines(disk), splitLines(n))
	if len(bad) > 0 {
		return conflict("", bad)
	}
	newMode := mode
	if newAgent.Mode != ps.Agent.Mode {
		newMode = newAgent.Mode
	}
	pl.disk = append(pl.disk, diskWrite{ps.Path, newMode, joinLines(out), perm, mode, disk, diskPerm})
	return nil
}

// commit applies a plan crash-atomically (recover.go): an intent naming its
// writes and the resulting decision is journaled first, then the index is
// written (in one update), then the files, then "done". A failure takes the
// writes made so far back and journals "abort".
func (s *Session) commit(ctx context.Context, pl *plan, d Decision) (Decision, error) {
	for i := range pl.states {
		st := &pl.states[i]
		if pl.idx == nil || pl.action == ActionUndo {
			continue
		}
		if !st.Indexed {
			st.Indexed, st.UserIndex = true, pl.idx[st.Path]
		}
		if e, ok := pl.index[st.Path]; ok {
			st.OurIndex = e
		} else {
			st.OurIndex = pl.idx[st.Path]
		}
	}
	d.Seq = len(s.decisions) + 1
	d.Time = time.Now().UTC()
	op, err := s.intentOf(ctx, pl)
	if err != nil {
		return Decision{}, err
	}
	if s.mirror != nil {
		if op.User, err = s.userIntent(ctx, s.mirror); err != nil {
			return Decision{}, err
		}
	}
	in := &record{Kind: "intent", Paths: pl.states, Decision: &d, Op: op}
	if err := s.persist(ctx, *in); err != nil {
		return Decision{}, err
	}
	s.r.crashPoint("intent")
	if s.mirror != nil {
		if err := s.writeUser(ctx, s.mirror); err != nil {
			return Decision{}, s.abortIntent(ctx, in, err)
		}
	}
	if err := s.writeIndex(ctx, pl); err != nil {
		return Decision{}, s.abortIntent(ctx, in, err)
	}
	s.r.crashPoint("index")
	for _, w := range pl.disk {
		if err := s.r.writeDisk(w.path, w.mode, w.data, w.perm); err != nil {
			return Decision{}, s.abortIntent(ctx, in, fmt.Errorf("gitops: %s %q: %w", pl.action, w.path, err))
		}
		s.r.crashPoint("disk")
		s.dirty[w.path] = true
	}
	if err := s.j.appendDone(); err != nil {
		// Everything is written: the next operation rolls it forward.
		s.pending = in
		return Decision{}, err
	}
	s.r.crashPoint("done")
	d.states = s.undoStepOf(pl.states) // before s.paths moves on (undo.go)
	for _, st := range pl.states {
		p := st
		s.paths[p.Path] = &p
	}
	s.decisions = append(s.decisions, d)
	return d, nil
}

// writeIndex applies the plan's index entries, in-process when the index
// format allows (see index.go), else with `git update-index`. Either way a
// plan made on entries the user has changed since is refused.
func (s *Session) writeIndex(ctx context.Context, pl *plan) error {
	if len(pl.index) == 0 {
		return nil
	}
	check := func(cur map[string]Entry) error {
		for p := range pl.index {
			if cur[p] != pl.idx[p] {
				return &ConflictError{Action: pl.action, Path: p, Where: "index",
					Reason: "you staged a change to this file while the decision was being made; try again"}
			}
		}
		return nil
	}
	written, err := s.r.updateIndexInProcess(s.r.index, pl.ix, pl.index, check)
	s.ixCache = written
	if !errors.Is(err, errIndexFormat) {
		return err
	}
	cur, err := s.r.indexEntries(ctx, "", slices.Collect(maps.Keys(pl.index)))
	if err != nil {
		return err
	}
	if err := check(cur); err != nil {
		return err
	}
	return s.r.updateIndex(ctx, "", pl.index)
}

func (s *Session) findHunk(ctx context.Context, id string) (*change, *textHunk, error) {
	cs, err := s.changes(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range cs {
		for i := range c.hunks {
			if c.hunks[i].ID == id {
				return c, &c.hunks[i], nil
			}
		}
	}
	return nil, nil, fmt.Errorf("%w: hunk %s", ErrUnknownProposal, id)
}

func (s *Session) findFile(ctx context.Context, path string) (*change, error) {
	cs, err := s.changes(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.fc.Path == path || (c.fc.OldPath != "" && c.fc.OldPath == path) {
			return c, nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownProposal, path)
}

// AcceptHunk stages one hunk in git's index, on top of what the user has
// staged. The working tree is not touched. A hunk of a Whole file accepts the
// file. A *ConflictError means the user staged other content on those lines.
func (s *Session) AcceptHunk(ctx context.Context, id, reason string) (Decision, error) {
	end, err := s.begin(ctx, "deciding")
	if err != nil {
		return Decision{}, err
	}
	defer end()
	c, h, err := s.findHunk(ctx, id)
	if err != nil {
		return Decision{}, err
	}
	return s.decide(ctx, ActionAccept, c, h, reason)
}

// RejectHunk puts the baseline's lines back in the working tree for one hunk,
// only where the file still has the agent's lines; otherwise it returns a
// *ConflictError naming the lines the user changed, and changes nothing.
func (s *Session) RejectHunk(ctx context.Context, id, reason string) (Decision, error) {
	end, err := s.begin(ctx, "deciding")
	if err != nil {
		return Decision{}, err
	}
	defer end()
	c, h, err := s.findHunk(ctx, id)
	if err != nil {
		return Decision{}, err
	}
	return s.decide(ctx, ActionReject, c, h, reason)
}

// AcceptFile stages every pending change of a file (content, mode, creation,
// deletion; both paths of a rename). path may be either side of a rename.
func (s *Session) AcceptFile(ctx context.Context, path, reason string) (Decision, error) {
	end, err := s.begin(ctx, "deciding")
	if err != nil {
		return Decision{}, err
	}
	defer end()
	c, err := s.findFile(ctx, path)
	if err != nil {
		return Decision{}, err
	}
	return s.decide(ctx, ActionAccept, c, nil, reason)
}

// RejectFile returns a file to its decided state in the working tree: a file
// the agent created is removed, one it deleted is restored, a rename is undone.
func (s *Session) RejectFile(ctx context.Context, path, reason string) (Decision, error) {
	end, err := s.begin(ctx, "deciding")
	if err != nil {
		return Decision{}, err
	}
	defer end()
	c, err := s.findFile(ctx, path)
	if err != nil {
		return Decision{}, err
	}
	return s.decide(ctx, ActionReject, c, nil, reason)
}

func (s *Session) decide(ctx context.Context, a Action, c *change, h *textHunk, reason string) (Decision, error) {
	if a == ActionReject {
		if err := refuseUncertain(c.ps...); err != nil {
			return Decision{}, err
		}
	}
	pl, err := s.newPlan(ctx, a, c.ps, a == ActionAccept)
	if err != nil {
		return Decision{}, err
	}
	d := Decision{Action: a, Path: c.fc.Path, OldPath: c.fc.OldPath, Kind: c.fc.Kind, Binary: c.fc.Binary, Reason: reason}
	state := HunkAccepted
	if a == ActionReject {
		state = HunkRejected
	}
	if h != nil && !c.fc.Whole {
		ps := c.ps[0]
		if err := s.content(ctx, ps.Base, ps.Agent); err != nil {
			return Decision{}, err
		}
		base, agent := splitLines(s.blobs[ps.Base.OID]), splitLines(s.blobs[ps.Agent.OID])
		next := *ps
		if a == ActionAccept {
			es, err := s.newBlobs(ctx, []string{ps.Base.Mode}, [][]byte{joinLines(applyRegions(base, agent, h.Regions))})
			if err != nil {
				return Decision{}, err
			}
			next.Base = es[0]
			if err := s.stage(ctx, pl, ps, next.Base); err != nil {
				return Decision{}, err
			}
		} else {
			es, err := s.newBlobs(ctx, []string{ps.Agent.Mode}, [][]byte{joinLines(revertRegions(base, agent, h.Regions))})
			if err != nil {
				return Decision{}, err
			}
			next.Agent = es[0]
			if err := s.restore(ctx, pl, ps, next.Agent); err != nil {
				return Decision{}, err
			}
		}
		pl.states = append(pl.states, next)
		d.HunkIDs = []string{h.ID}
		d.Hunks = []Hunk{h.public(state)}
		return s.commit(ctx, pl, d)
	}
	for _, ps := range c.ps {
		next := *ps
		if a == ActionAccept {
			next.Base = ps.Agent
			err = s.stage(ctx, pl, ps, ps.Agent)
		} else {
			next.Agent = ps.Base
			err = s.restore(ctx, pl, ps, ps.Base)
		}
		if err != nil {
			return Decision{}, err
		}
		pl.states = append(pl.states, next)
	}
	for _, h := range c.hunks {
		d.Hunks = append(d.Hunks, h.public(state))
	}
	return s.commit(ctx, pl, d)
}

// Modify makes content the agent's version of path: it stays a proposal, and
// the user's change against the agent's version is recorded as feedback for
// the model. content should be an edit of AgentVersion (not of the working
// file, which may hold the user's own unrelated edits). The working tree gets
// the change AgentVersion → content merged onto whatever it holds now.
func (s *Session) Modify(ctx context.Context, path string, content []byte, reason string) (Decision, error) {
	end, err := s.begin(ctx, "recording a modification")
	if err != nil {
		return Decision{}, err
	}
	defer end()
	ps, ok := s.paths[path]
	if !ok {
		return Decision{}, fmt.Errorf("%w: %q", ErrUnknownProposal, path)
	}
	mode := ps.Agent.Mode
	if mode == "" {
		mode = ps.Base.Mode
	}
	if mode == "" || mode == "120000" {
		mode = "100644"
	}
	es, err := s.newBlobs(ctx, []string{mode}, [][]byte{content})
	if err != nil {
		return Decision{}, err
	}
	if err := s.content(ctx, ps.Agent); err != nil {
		return Decision{}, err
	}
	pl, _ := s.newPlan(ctx, ActionModify, nil, false)
	if err := s.restore(ctx, pl, ps, es[0]); err != nil {
		return Decision{}, err
	}
	next := *ps
	next.Agent = es[0]
	pl.states = []pathState{next}
	d := Decision{Action: ActionModify, Path: path, Kind: ChangeModified, Reason: reason}
	for _, h := range makeHunks(path, splitLines(s.blobs[ps.Agent.OID]), splitLines(content)) {
		d.Hunks = append(d.Hunks, h.public(HunkModified))
	}
	return s.commit(ctx, pl, d)
}

// AgentVersion returns the agent's current version of a touched path (nil
// when the agent deleted it): what an editor for Modify should start from.
func (s *Session) AgentVersion(ctx context.Context, path string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps, ok := s.paths[path]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownProposal, path)
	}
	if !ps.Agent.Exists() {
		return nil, nil
	}
	if err := s.content(ctx, ps.Agent); err != nil {
		return nil, err
	}
	return append([]byte(nil), s.blobs[ps.Agent.OID]...), nil
}

// AcceptAll accepts every pending file. Each file is its own decision: a
// file that conflicts is left pending and reported in the joined error while
// the others are accepted.
func (s *Session) AcceptAll(ctx context.Context, reason string) ([]Decision, error) {
	return s.all(ctx, ActionAccept, reason)
}

// RejectAll rejects every pending file, file by file like AcceptAll.
func (s *Session) RejectAll(ctx context.Context, reason string) ([]Decision, error) {
	return s.all(ctx, ActionReject, reason)
}

func (s *Session) all(ctx context.Context, a Action, reason string) ([]Decision, error) {
	end, err := s.begin(ctx, "deciding")
	if err != nil {
		return nil, err
	}
	defer end()
	cs, err := s.changes(ctx)
	if err != nil {
		return nil, err
	}
	var ds []Decision
	var errs []error
	for _, c := range cs {
		d, err := s.decide(ctx, a, c, nil, reason)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ds = append(ds, d)
	}
	return ds, errors.Join(errs...)
}

// UndoAll returns every path the agent touched to what it was before the
// agent's first change (with the user's own edits kept): pending hunks leave
// the working tree and accepted hunks leave the index too. Paths whose lines
// the user changed meanwhile are left alone and reported in the joined error.
func (s *Session) UndoAll(ctx context.Context, reason string) ([]Decision, error) {
	end, err := s.begin(ctx, "undoing")
	if err != nil {
		return nil, err
	}
	defer end()
	paths := make([]string, 0, len(s.paths))
	for p, ps := range s.paths {
		if ps.Agent != ps.Orig || ps.Base != ps.Orig {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	var ds []Decision
	var errs []error
	for _, p := range paths {
		ps := s.paths[p]
		if err := refuseUncertain(ps); err != nil {
			errs = append(errs, err)
			continue
		}
		pl, err := s.newPlan(ctx, ActionUndo, []*pathState{ps}, ps.Base != ps.Orig || ps.Indexed)
		switch {
		case err != nil:
		case ps.Indexed && pl.idx[p] == ps.OurIndex:
			if ps.UserIndex != ps.OurIndex {
				pl.index[p] = ps.UserIndex
			}
		case ps.Base != ps.Orig:
			// The user changed the entry since: take the accepted change out.
			err = s.stage(ctx, pl, ps, ps.Orig)
		}
		if err == nil {
			err = s.restore(ctx, pl, ps, ps.Orig)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pl.states = []pathState{{Path: p, Orig: ps.Orig, Base: ps.Orig, Agent: ps.Orig, OrigPerm: ps.OrigPerm}}
		d, err := s.commit(ctx, pl, Decision{Action: ActionUndo, Path: p, Reason: reason})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ds = append(ds, d)
	}
	return ds, errors.Join(errs...)
}

// Decisions returns every decision so far, oldest first.
func (s *Session) Decisions() []Decision {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Decision(nil), s.decisions...)
}

// Feedback returns the rejections, modifications and undos the model has not
// been told about yet, oldest first. It survives restarts until AckFeedback.
func (s *Session) Feedback() []Decision {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Decision
	for _, d := range s.decisions {
		if d.Seq > s.acked && d.Action != ActionAccept {
			out = append(out, d)
		}
	}
	return dropUndone(out, s.acked) // undo.go
}

// AckFeedback records (durably) that the model was told about every decision
// up to and including seq.
func (s *Session) AckFeedback(ctx context.Context, seq int) error {
	end, err := s.begin(ctx, "recording feedback")
	if err != nil {
		return err
	}
	defer end()
	if seq <= s.acked {
		return nil
	}
	if err := s.persist(ctx, record{Kind: "ack", Acked: seq}); err != nil {
		return err
	}
	s.acked = seq
	return nil
}

// FeedbackText renders decisions as a message for the model.
func FeedbackText(ds []Decision) string {
	var b strings.Builder
	for _, d := range ds {
		what := "your change to " + d.Path
		if len(d.HunkIDs) > 0 {
			what = fmt.Sprintf("a hunk of your change to %s", d.Path)
		}
		switch d.Action {
		case ActionReject:
			fmt.Fprintf(&b, "The user rejected %s; the file is back to its previous content there.", what)
		case ActionModify:
			fmt.Fprintf(&b, "The user edited your change to %s; their version is now in the file.", d.Path)
		case ActionUndo:
			if d.Undoes > 0 {
				b.WriteString(undoText(d, what)) // undo.go
				break
			}
			fmt.Fprintf(&b, "The user undid all your changes to %s.", d.Path)
		default:
			fmt.Fprintf(&b, "The user accepted %s.", what)
		}
		if d.Reason != "" {
			fmt.Fprintf(&b, " Reason: %s", d.Reason)
		}
		b.WriteString("\n")
		for _, h := range d.Hunks {
			b.WriteString(h.Header + "\n")
			for _, l := range h.Lines {
				b.WriteString(l + "\n")
			}
		}
	}
	return b.String()
}
