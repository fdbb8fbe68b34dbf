package gitops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Isolated mode (--worktree): the agent works in a linked git worktree on its
// own branch, wend/<id>, created at <git common dir>/wend/<id>/worktree, and a
// Session runs there with its journal beside the session log
// (<git common dir>/wend/<id>), not in the worktree's own git dir, so the
// proposals outlive the worktree. The worktree starts as a copy of what the
// user has: HEAD, their staged changes in its index, their working tree
// (tracked changes and untracked files that are not ignored) on disk. The
// user's tree, index and stash are only read.
//
// Accepting mirrors the decided change onto the user's index AND working tree
// (Mirrored): the change Base → new Base is merged line by line onto each, as
// an ordinary accept merges it onto the index, and a clash there refuses the
// accept before anything changes. Rejections and modifications stay in the
// worktree: the user's tree never had the agent's lines.
//
// A worktree.json in the session directory records the process that owns the
// worktree; RecoverWorktrees removes worktrees whose process is gone and
// keeps their journal. After the worktree is gone, Reopen checks out a
// throw-away worktree holding just the touched paths, so `wend accept` keeps
// working on an ended session.

// WorktreeMeta is what worktree.json records about an isolated session.
type WorktreeMeta struct {
	ID       string
	Dir      string // the worktree's root
	Branch   string
	UserRoot string
	// IndexTree is the user's index as a tree when the session started: the
	// worktree's index, rebuilt by Reopen.
	IndexTree string
	PID       int
	Host      string
	Started   time.Time
	// Ended is set once the worktree and branch were removed.
	Ended     bool
	Recovered bool // removed by RecoverWorktrees, not by its own process
}

// Worktree is an isolated session's checkout.
type Worktree struct {
	WorktreeMeta
	StateDir string // <git common dir>/wend/<id>: journal, log, worktree.json
	g        Runner
	user     *repo
	// throwAway is set on a worktree Reopen made for one command.
	throwAway bool
}

// repoDirs returns the top level and git common dir of the repository at dir.
func repoDirs(ctx context.Context, g Runner, dir string) (root, common string, err error) {
	out, err := g.Run(ctx, Git("rev-parse", "--show-toplevel", "--git-common-dir").InDir(dir).Read())
	if err != nil {
		return "", "", fmt.Errorf("gitops: %s is not inside a git working tree: %w", dir, err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != 2 {
		return "", "", fmt.Errorf("gitops: unexpected rev-parse output %q", out)
	}
	common = lines[1]
	if !filepath.IsAbs(common) {
		common = filepath.Join(dir, common)
	}
	return lines[0], filepath.Clean(common), nil
}

func sessionStateDir(common, id string) string { return filepath.Join(common, "wend", id) }

func orRunner(g Runner) Runner {
	if g == nil {
		return ExecRunner{}
	}
	return g
}

// AddWorktree creates the isolated checkout for session id of the repository
// at dir: a new branch wend/<id> at HEAD, checked out under the session's
// directory with the user's staged and unstaged changes and untracked files.
func AddWorktree(ctx context.Context, g Runner, dir, id string) (*Worktree, error) {
	g = orRunner(g)
	if !validID.MatchString(id) {
		return nil, fmt.Errorf("gitops: session id %q: use letters, digits, '-' and '_'", id)
	}
	root, common, err := repoDirs(ctx, g, dir)
	if err != nil {
		return nil, err
	}
	if _, err := g.Run(ctx, Git("rev-parse", "--verify", "--quiet", "HEAD").InDir(root).Read()); err != nil {
		return nil, errors.New("gitops: --worktree needs a commit to branch from; commit once first")
	}
	w := &Worktree{StateDir: sessionStateDir(common, id), g: g}
	w.WorktreeMeta = WorktreeMeta{ID: id, Dir: filepath.Join(w.StateDir, "worktree"), Branch: BranchPrefix + id,
		UserRoot: root, PID: os.Getpid(), Host: hostname(), Started: time.Now().UTC()}
	if err := os.MkdirAll(w.StateDir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(w.StateDir, "seed-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	// Two copies of the user's index: one takes the whole working tree (git
	// add -A), the other gives the staged state as a tree. Neither touches
	// the user's own index.
	userIndex, err := gitPath(ctx, g, root, "index")
	if err != nil {
		return nil, err
	}
	treeOf := func(name string, add bool) (string, error) {
		ix := filepath.Join(tmp, name)
		if err := copyIndex(userIndex, ix); err != nil {
			return "", err
		}
		if add {
			if _, err := g.Run(ctx, Git("add", "-A").InDir(root).Index(ix)); err != nil {
				return "", err
			}
		}
		out, err := g.Run(ctx, Git("write-tree").InDir(root).Index(ix))
		if err != nil {
			return "", fmt.Errorf("gitops: --worktree needs an index without unresolved conflicts: %w", err)
		}
		return strings.TrimSpace(string(out)), nil
	}
	diskTree, err := treeOf("disk", true)
	if err != nil {
		return nil, err
	}
	if w.IndexTree, err = treeOf("staged", false); err != nil {
		return nil, err
	}
	// Recorded before the worktree exists, so a crash from here on leaves
	// something RecoverWorktrees can clean.
	if err := w.save(); err != nil {
		return nil, err
	}
	if _, err := g.Run(ctx, Git("worktree", "add", "--quiet", "--no-checkout", "-b", w.Branch, w.Dir, "HEAD").InDir(root)); err != nil {
		return nil, fmt.Errorf("gitops: creating the worktree: %w", err)
	}
	// The user's working tree on disk, then their staged state in the index:
	// a two-tree read-tree keeps the stat data of entries equal in both.
	for _, c := range []*Cmd{Git("read-tree", "-u", "--reset", diskTree), Git("read-tree", "-m", diskTree, w.IndexTree)} {
		if _, err := g.Run(ctx, c.InDir(w.Dir)); err != nil {
			w.Remove(ctx)
			return nil, fmt.Errorf("gitops: filling the worktree: %w", err)
		}
	}
	return w, nil
}

func gitPath(ctx context.Context, g Runner, dir, name string) (string, error) {
	out, err := g.Run(ctx, Git("rev-parse", "--git-path", name).InDir(dir).Read())
	if err != nil {
		return "", err
	}
	p := strings.TrimSpace(string(out))
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return p, nil
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}

func (w *Worktree) metaPath() string { return filepath.Join(w.StateDir, "worktree.json") }

// save writes worktree.json atomically.
func (w *Worktree) save() error {
	data, err := json.MarshalIndent(w.WorktreeMeta, "", "  ")
	if err != nil {
		return err
	}
	tmp := w.metaPath() + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, w.metaPath())
}

// Start begins the worktree's gitops session, its journal in StateDir.
func (w *Worktree) Start(ctx context.Context, opts ...Option) (*Session, error) {
	return Start(ctx, w.Dir, w.ID, append(opts, w.option())...)
}

func (w *Worktree) option() Option {
	dir, g := w.StateDir, w.g
	return func(s *Session) { s.stateDir = dir; s.r.git = g }
}

// Remove deletes the worktree and its branch (the journal and the session log
// stay) and records that the session's worktree is gone. It is idempotent.
func (w *Worktree) Remove(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx) // an interrupted session still cleans up
	var errs []error
	if _, err := os.Stat(w.Dir); err == nil {
		if _, err := w.g.Run(ctx, Git("worktree", "remove", "--force", "--force", w.Dir).InDir(w.UserRoot)); err != nil {
			// A half-made worktree git does not know: remove the files.
			if err := os.RemoveAll(w.Dir); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if _, err := w.g.Run(ctx, Git("worktree", "prune").InDir(w.UserRoot)); err != nil {
		errs = append(errs, err)
	}
	if w.Branch != "" {
		ref := "refs/heads/" + w.Branch
		if _, err := w.g.Run(ctx, Git("rev-parse", "--verify", "--quiet", ref).InDir(w.UserRoot).Read()); err == nil {
			if _, err := w.g.Run(ctx, Git("branch", "-D", "--quiet", w.Branch).InDir(w.UserRoot)); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if !w.throwAway {
		w.Ended = true
		if err := w.save(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("gitops: removing worktree %s: %w", w.Dir, err)
	}
	return nil
}

// LoadWorktree reads the worktree record of session id in the repository at
// dir; ok is false for a session that did not run in a worktree.
func LoadWorktree(ctx context.Context, g Runner, dir, id string) (w *Worktree, ok bool, err error) {
	g = orRunner(g)
	_, common, err := repoDirs(ctx, g, dir)
	if err != nil {
		return nil, false, err
	}
	return loadWorktree(g, sessionStateDir(common, id))
}

func loadWorktree(g Runner, stateDir string) (*Worktree, bool, error) {
	data, err := os.ReadFile(filepath.Join(stateDir, "worktree.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	w := &Worktree{StateDir: stateDir, g: g}
	if err := json.Unmarshal(data, &w.WorktreeMeta); err != nil {
		return nil, false, fmt.Errorf("gitops: %s: %w", filepath.Join(stateDir, "worktree.json"), err)
	}
	return w, true, nil
}

// Alive reports whether the process that owns the worktree still runs. A
// process on another host is assumed alive: wend cannot tell.
func (m WorktreeMeta) Alive() bool {
	if m.Host != hostname() {
		return true
	}
	if m.PID <= 0 {
		return false
	}
	err := syscall.Kill(m.PID, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// RecoverWorktrees removes the worktrees and branches that sessions of the
// repository at dir (its top level, for speed) left behind when their process
// died (or failed to remove at the end), keeping their journals: their proposals can still be listed
// and decided. It returns what it removed.
func RecoverWorktrees(ctx context.Context, g Runner, dir string) ([]WorktreeMeta, error) {
	g = orRunner(g)
	// It runs at every wend start: at the top of a main worktree the common
	// dir is .git itself, and nothing needs spawning when there is nothing
	// to recover.
	common := filepath.Join(dir, ".git")
	if fi, err := os.Stat(common); err != nil || !fi.IsDir() {
		if _, common, err = repoDirs(ctx, g, dir); err != nil {
			return nil, err
		}
	}
	metas, _ := filepath.Glob(filepath.Join(common, "wend", "*", "worktree.json"))
	sort.Strings(metas)
	var out []WorktreeMeta
	var errs []error
	for _, p := range metas {
		w, ok, err := loadWorktree(g, filepath.Dir(p))
		if err != nil || !ok {
			errs = append(errs, err)
			continue
		}
		// A worktree is left behind when its process is gone and it was never
		// removed, or its removal failed. The owner of a throw-away worktree
		// (Reopen) is the command deciding in it.
		_, statErr := os.Stat(w.Dir)
		if w.Alive() || w.Ended && statErr != nil {
			continue
		}
		w.Recovered = !w.Ended
		if err := w.Remove(ctx); err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, w.WorktreeMeta)
	}
	return out, errors.Join(errs...)
}

// Reopen gives a session whose worktree is gone a throw-away one to decide
// in: detached at HEAD, its index rebuilt from the user's staged tree of the
// start plus what the session staged, and the touched paths holding the
// agent's versions. Only the touched paths matter to decisions. A live or
// still-present worktree is reused as it is. Remove the throw-away worktree
// after the decision (Remove keeps the session ended).
func (w *Worktree) Reopen(ctx context.Context, opts ...Option) (*Session, error) {
	if _, err := os.Stat(filepath.Join(w.Dir, ".git")); err == nil {
		return Open(ctx, w.Dir, w.ID, append(opts, w.option())...)
	}
	w.throwAway, w.Branch = true, ""
	w.PID, w.Host = os.Getpid(), hostname()
	if err := w.save(); err != nil {
		return nil, err
	}
	os.RemoveAll(w.Dir)
	if _, err := w.g.Run(ctx, Git("worktree", "prune").InDir(w.UserRoot)); err != nil {
		return nil, err
	}
	if _, err := w.g.Run(ctx, Git("worktree", "add", "--quiet", "--detach", "--no-checkout", w.Dir, "HEAD").InDir(w.UserRoot)); err != nil {
		return nil, fmt.Errorf("gitops: reopening the worktree: %w", err)
	}
	if _, err := w.g.Run(ctx, Git("read-tree", w.IndexTree).InDir(w.Dir)); err != nil {
		w.Remove(ctx)
		return nil, err
	}
	s, err := Open(ctx, w.Dir, w.ID, append(opts, w.option())...)
	if err != nil {
		w.Remove(ctx)
		return nil, err
	}
	if err := s.materialize(ctx); err != nil {
		s.Close()
		w.Remove(ctx)
		return nil, err
	}
	return s, nil
}

// materialize writes the touched paths' agent versions and staged entries.
func (s *Session) materialize(ctx context.Context) error {
	end, err := s.begin(ctx, "reopening the worktree")
	if err != nil {
		return err
	}
	defer end()
	set := map[string]Entry{}
	for p, ps := range s.paths {
		if ps.Indexed {
			set[p] = ps.OurIndex
		}
		if err := s.content(ctx, ps.Agent); err != nil {
			return err
		}
		if err := s.r.writeDisk(p, ps.Agent.Mode, s.blobs[ps.Agent.OID], ps.OrigPerm); err != nil {
			return err
		}
	}
	return s.r.updateIndex(ctx, "", set)
}

// Mirrored is a worktree session whose accepts (and undo-all) also move the
// user's index and working tree. Every other method is the Session's own.
type Mirrored struct {
	*Session
	user *repo
}

// Mirror wraps the worktree's session s.
func (w *Worktree) Mirror(s *Session) *Mirrored {
	return &Mirrored{Session: s, user: &repo{git: w.g, root: w.UserRoot, format: s.r.format, tmpPrefix: s.r.tmpPrefix}}
}

// Close closes the session and releases the user's working tree's Root.
func (m *Mirrored) Close() error {
	return errors.Join(m.Session.Close(), m.user.closeTree())
}

// move is one path's decided change, to carry over to the user's tree.
type move struct {
	path     string
	from, to Entry
}

// userWrite is the user-side plan for one path: the new index entry and file,
// and what they were, for a rollback.
type userWrite struct {
	path               string
	action             Action
	oldIndex, newIndex Entry
	oldMode, newMode   string
	oldData, newData   []byte
	oldPerm            fs.FileMode // the user's file keeps it
	indexChange, disk  bool
}

// AcceptHunk accepts one hunk in the worktree and in the user's index and
// working tree. When the user's index or file clashes with the hunk, a
// *ConflictError names the lines and nothing changes anywhere.
func (m *Mirrored) AcceptHunk(ctx context.Context, id, reason string) (Decision, error) {
	s := m.Session
	end, err := s.begin(ctx, "deciding")
	if err != nil {
		return Decision{}, err
	}
	defer end()
	c, h, err := s.findHunk(ctx, id)
	if err != nil {
		return Decision{}, err
	}
	return m.acceptChange(ctx, c, h, reason)
}

// AcceptFile accepts a whole file, mirrored like AcceptHunk.
func (m *Mirrored) AcceptFile(ctx context.Context, path, reason string) (Decision, error) {
	s := m.Session
	end, err := s.begin(ctx, "deciding")
	if err != nil {
		return Decision{}, err
	}
	defer end()
	c, err := s.findFile(ctx, path)
	if err != nil {
		return Decision{}, err
	}
	return m.acceptChange(ctx, c, nil, reason)
}

// AcceptAll accepts file by file; a file that clashes stays pending and is
// reported in the joined error.
func (m *Mirrored) AcceptAll(ctx context.Context, reason string) ([]Decision, error) {
	s := m.Session
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
		d, err := m.acceptChange(ctx, c, nil, reason)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ds = append(ds, d)
	}
	return ds, errors.Join(errs...)
}

// acceptChange plans the user's side (a clash refuses the accept before
// anything changes), then accepts in the worktree, whose commit writes the
// user's side too, under the same intent. s.mu is held.
func (m *Mirrored) acceptChange(ctx context.Context, c *change, h *textHunk, reason string) (Decision, error) {
	s := m.Session
	var moves []move
	if h != nil && !c.fc.Whole {
		ps := c.ps[0]
		if err := s.content(ctx, ps.Base, ps.Agent); err != nil {
			return Decision{}, err
		}
		next := applyRegions(splitLines(s.blobs[ps.Base.OID]), splitLines(s.blobs[ps.Agent.OID]), h.Regions)
		es, err := s.newBlobs(ctx, []string{ps.Base.Mode}, [][]byte{joinLines(next)})
		if err != nil {
			return Decision{}, err
		}
		moves = append(moves, move{ps.Path, ps.Base, es[0]})
	} else {
		for _, ps := range c.ps {
			moves = append(moves, move{ps.Path, ps.Base, ps.Agent})
		}
	}
	ws, err := m.planUser(ctx, ActionAccept, moves)
	if err != nil {
		return Decision{}, err
	}
	// The user's writes join the worktree accept's own intent (mirror.go):
	// one crash-atomic operation over both trees.
	s.mirror = &userPlan{r: m.user, ws: ws}
	defer func() { s.mirror = nil }()
	return s.decide(ctx, ActionAccept, c, h, reason)
}

// UndoAll takes the accepted changes back out of the user's index and working
// tree, then undoes every path in the worktree. When the user changed any of
// those lines since, nothing changes and the conflicts are returned.
func (m *Mirrored) UndoAll(ctx context.Context, reason string) ([]Decision, error) {
	s := m.Session
	end, err := s.begin(ctx, "undoing")
	if err != nil {
		return nil, err
	}
	var moves []move
	for p, ps := range s.paths {
		if ps.Base != ps.Orig {
			moves = append(moves, move{p, ps.Base, ps.Orig})
		}
	}
	sort.Slice(moves, func(i, j int) bool { return moves[i].path < moves[j].path })
	ws, err := m.planUser(ctx, ActionUndo, moves)
	if err == nil {
		err = m.applyUser(ctx, ws)
	}
	end()
	if err != nil {
		return nil, err
	}
	ds, err := s.UndoAll(ctx, reason)
	if err != nil {
		// Paths the worktree could not undo keep their accepted change in the
		// user's tree too.
		done := map[string]bool{}
		for _, d := range ds {
			done[d.Path] = true
		}
		var back []userWrite
		for _, w := range ws {
			if !done[w.path] {
				back = append(back, w)
			}
		}
		err = errors.Join(err, m.rollbackUser(ctx, back))
	}
	return ds, err
}

// planUser computes the user-side writes of moves, failing with a
// *ConflictError (and no change) when one does not apply cleanly.
func (m *Mirrored) planUser(ctx context.Context, a Action, moves []move) ([]userWrite, error) {
	s := m.Session
	paths := make([]string, len(moves))
	for i, mv := range moves {
		paths[i] = mv.path
	}
	idx, err := m.user.indexEntries(ctx, "", paths)
	if err != nil {
		return nil, err
	}
	var out []userWrite
	for _, mv := range moves {
		w := userWrite{path: mv.path, action: a, oldIndex: idx[mv.path]}
		if err := s.content(ctx, mv.from, mv.to, w.oldIndex); err != nil {
			return nil, err
		}
		from, to := s.blobs[mv.from.OID], s.blobs[mv.to.OID]
		// The index.
		mode, data, err := s.carry(a, mv, "your index", w.oldIndex.Mode, s.blobs[w.oldIndex.OID], from, to)
		if err != nil {
			return nil, err
		}
		if mode != w.oldIndex.Mode || !bytes.Equal(data, s.blobs[w.oldIndex.OID]) {
			w.indexChange = true
			if mode != "" {
				es, err := s.newBlobs(ctx, []string{mode}, [][]byte{data})
				if err != nil {
					return nil, err
				}
				w.newIndex = es[0]
			}
		}
		// The working tree.
		if w.oldMode, w.oldData, w.oldPerm, err = m.user.readDisk(mv.path); err != nil {
			return nil, err
		}
		if w.newMode, w.newData, err = s.carry(a, mv, "your working tree", w.oldMode, w.oldData, from, to); err != nil {
			return nil, err
		}
		w.disk = w.newMode != w.oldMode || !bytes.Equal(w.newData, w.oldData)
		out = append(out, w)
	}
	return out, nil
}

// carry moves one side (the user's index entry or file, given as mode and
// content) by the change from → to, merging line by line around the user's
// own differences.
func (s *Session) carry(a Action, mv move, where, curMode string, cur, from, to []byte) (string, []byte, error) {
	conflict := func(reason string, lines []LineRange) error {
		return &ConflictError{Action: a, Path: mv.path, Where: where, Reason: reason, Lines: lines}
	}
	same := func(mode string, data []byte, e Entry, content []byte) bool {
		return mode == e.Mode && (mode == "" || bytes.Equal(data, content))
	}
	switch {
	case same(curMode, cur, mv.to, to):
		return curMode, cur, nil
	case same(curMode, cur, mv.from, from):
		return mv.to.Mode, to, nil
	case curMode == "":
		return "", nil, conflict("the file is not in "+where, nil)
	case !mv.from.Exists():
		return "", nil, conflict(where+" has a different file at this path", nil)
	case !mv.to.Exists():
		return "", nil, conflict("you changed the file in "+where, nil)
	case isBinary(cur) || isBinary(from) || isBinary(to) || curMode == "120000" || mv.to.Mode == "120000":
		return "", nil, conflict("the file in "+where+" differs and is binary", nil)
	}
	out, bad := transfer(splitLines(from), splitLines(cur), splitLines(to))
	if len(bad) > 0 {
		return "", nil, conflict("", bad)
	}
	mode := curMode
	if mv.to.Mode != mv.from.Mode {
		mode = mv.to.Mode
	}
	return mode, joinLines(out), nil
}

// applyUser writes the plan: the index in one update (refused when the user
// staged something on those paths since the plan), then the files.
func (m *Mirrored) applyUser(ctx context.Context, ws []userWrite) error {
	set := map[string]Entry{}
	var paths []string
	for _, w := range ws {
		if w.indexChange {
			set[w.path] = w.newIndex
			paths = append(paths, w.path)
		}
	}
	if len(set) > 0 {
		cur, err := m.user.indexEntries(ctx, "", paths)
		if err != nil {
			return err
		}
		for _, w := range ws {
			if w.indexChange && cur[w.path] != w.oldIndex {
				return &ConflictError{Action: w.action, Path: w.path, Where: "your index",
					Reason: "you staged a change to this file while the decision was being made; try again"}
			}
		}
		if err := m.user.updateIndex(ctx, "", set); err != nil {
			return err
		}
	}
	for i, w := range ws {
		if !w.disk {
			continue
		}
		if err := m.user.writeDisk(w.path, w.newMode, w.newData, w.oldPerm); err != nil {
			return errors.Join(fmt.Errorf("gitops: %s %q in your working tree: %w", w.action, w.path, err), m.rollbackUser(ctx, ws[:i]))
		}
	}
	return nil
}

// rollbackUser puts back what applyUser wrote, where it is still ours.
func (m *Mirrored) rollbackUser(ctx context.Context, ws []userWrite) error {
	var errs []error
	set := map[string]Entry{}
	for _, w := range ws {
		if w.indexChange {
			set[w.path] = w.oldIndex
		}
		if !w.disk {
			continue
		}
		if mode, data, _, err := m.user.readDisk(w.path); err == nil && mode == w.newMode && bytes.Equal(data, w.newData) {
			errs = append(errs, m.user.writeDisk(w.path, w.oldMode, w.oldData, w.oldPerm))
		}
	}
	errs = append(errs, m.user.updateIndex(ctx, "", set))
	return errors.Join(errs...)
}

// Release removes a throw-away worktree made by Reopen; a session's own
// worktree is left to its process.
func (w *Worktree) Release(ctx context.Context) error {
	if !w.throwAway {
		return nil
	}
	return w.Remove(ctx)
}

// Undo takes back one decision (Session.Undo). When that moves the accepted
// side (the undo of an accept), the same move is made in the user's index and
// working tree, checked first like an accept: a clash with the user's edits
// changes nothing anywhere.
func (m *Mirrored) Undo(ctx context.Context, target, reason string) (Decision, error) {
	s := m.Session
	end, err := s.begin(ctx, "undoing")
	if err != nil {
		return Decision{}, err
	}
	moves, err := m.undoMoves(ctx, target)
	var ws []userWrite
	if err == nil {
		ws, err = m.planUser(ctx, ActionUndo, moves)
	}
	if err == nil {
		err = m.applyUser(ctx, ws)
	}
	end()
	if err != nil {
		return Decision{}, err
	}
	d, err := s.Undo(ctx, target, reason)
	if err != nil {
		return Decision{}, errors.Join(err, m.rollbackUser(ctx, ws))
	}
	return d, nil
}

// undoMoves is how Undo(target) would move each path's Base (undo.go);
// nothing when it would fail, which Undo itself then reports. s.mu is held.
func (m *Mirrored) undoMoves(ctx context.Context, target string) ([]move, error) {
	s := m.Session
	i, err := s.lastUndoable(target)
	if err != nil {
		return nil, err
	}
	if s.decisions[i].states == nil {
		if err := s.loadUndoSteps(); err != nil {
			return nil, err
		}
	}
	st := s.decisions[i].states
	if st == nil {
		return nil, nil
	}
	var moves []move
	for k, a := range st.after {
		ps := s.paths[a.Path]
		if ps == nil {
			return nil, nil
		}
		base, err := s.revert(ctx, ps.Path, "accepted", st.before[k].Base, a.Base, ps.Base)
		if err != nil {
			return nil, err
		}
		if base != ps.Base {
			moves = append(moves, move{ps.Path, ps.Base, base})
		}
	}
	return moves, nil
}
