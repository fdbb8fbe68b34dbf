package gitops

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
)

// pathState is everything gitops knows about one path the agent touched.
// Invariant: the proposal for the path is the difference Base → Agent.
type pathState struct {
	Path string
	// Orig is the path before the agent first changed it, with edits the user
	// made since folded in: what undo-all returns to.
	Orig Entry
	// Base is Orig plus the accepted changes: the side of the proposal that is
	// already decided.
	Base Entry
	// Agent is the agent's current version, minus rejected hunks, plus the
	// user's modifications.
	Agent Entry
	// Indexed is set once a decision changed the path's index entry:
	// UserIndex is the entry before the first change (zero: not in the
	// index), OurIndex the last one gitops wrote. Undo puts UserIndex back
	// while the index still holds OurIndex.
	Indexed   bool
	UserIndex Entry
	OurIndex  Entry
	// OrigPerm is the file's real permission bits when the agent first wrote
	// it (git records only 644 or 755), so reject and undo can put back
	// exactly what the user had. Zero: not known (a path a command changed
	// first, or a journal from before permissions were recorded).
	OrigPerm fs.FileMode
	// Uncertain: a command snapshot credited this path while the user could
	// have been editing it (no capture), so reject and UndoAll refuse to
	// remove its bytes (capture.go).
	Uncertain bool
}

// Session is one agent session's staging area over a repository. Its methods
// are safe for concurrent use; they serialize on one mutex because every one of
// them reads and writes the same working tree and index.
type Session struct {
	mu      sync.Mutex
	r       *repo
	id      string
	dir     string // <git dir>/wend/<id>
	snapIdx string // temporary index holding the last snapshot
	j       *journal

	baseTree  string
	paths     map[string]*pathState
	decisions []Decision
	acked     int
	blobs     map[string][]byte // content cache by blob id
	kept      map[string]bool   // blob ids the state ref keeps reachable
	// dirty paths have an agent state newer than their snapshot-index entry.
	dirty map[string]bool
	// preTree is the snapshot BeforeCommand took, for AfterCommand.
	preTree string
	// ixCache is the index as gitops last wrote it; reused while the file
	// on disk is still that one.
	ixCache *indexFile
	// stateDir, when set, replaces <git dir>/wend/<id> (worktree.go).
	stateDir string
	// lock is the per-operation session lock, openMark this Session's open
	// marker (lock.go), pending an intent whose outcome is not journaled
	// yet (recover.go).
	lock     *sessionLock
	openMark string
	pending  *record
	// others caches other sessions' held paths (attribution.go).
	others map[string]otherJournal
	// mirror, set by a Mirrored accept for its one commit (s.mu held), is
	// the user-side writes that commit makes in the same intent (mirror.go).
	mirror *userPlan
	// computed counts proposal computations (ProposalsComputed).
	computed atomic.Int64
}

// Option configures Start and Open.
type Option func(*Session)

// WithRunner replaces the git runner (default ExecRunner{}).
func WithRunner(g Runner) Option { return func(s *Session) { s.r.git = g } }

var validID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// ErrSessionExists is returned by Start for an id that already has a journal.
var ErrSessionExists = errors.New("gitops: session already exists (use Open)")

// ErrNoSession is returned by Open when the repository has no such session.
var ErrNoSession = errors.New("gitops: no such session")

func newSession(ctx context.Context, dir, id string, opts []Option) (*Session, error) {
	if !validID.MatchString(id) {
		return nil, fmt.Errorf("gitops: session id %q: use letters, digits, '-' and '_'", id)
	}
	s := &Session{
		r:     &repo{git: ExecRunner{}},
		id:    id,
		paths: map[string]*pathState{},
		blobs: map[string][]byte{},
		kept:  map[string]bool{},
		dirty: map[string]bool{},
	}
	for _, o := range opts {
		o(s)
	}
	r, err := discover(ctx, s.r.git, dir, id)
	if err != nil {
		return nil, err
	}
	s.r = r
	r.tmpPrefix = ".wend-tmp-" + id + "-"
	s.dir = r.wendDir
	if s.stateDir != "" {
		s.dir = s.stateDir
	}
	s.snapIdx = filepath.Join(s.dir, "snap.index")
	return s, nil
}

// Start begins a session in the repository containing dir: it snapshots the
// whole working tree (tracked files and untracked files that are not ignored)
// into a tree kept at refs/wend/<id>/base. HEAD, the index, the stash and the
// working tree are not touched. The snapshot goes through a temporary index
// seeded from the real one, so unchanged files cost only a stat.
func Start(ctx context.Context, dir, sessionID string, opts ...Option) (*Session, error) {
	s, err := newSession(ctx, dir, sessionID, opts)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(s.dir, "journal")); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrSessionExists, sessionID)
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, err
	}
	if err := syncDir(filepath.Dir(s.dir)); err != nil {
		return nil, err
	}
	if err := copyIndex(s.r.index, s.snapIdx); err != nil {
		return nil, err
	}
	tree, err := s.snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("gitops: baseline snapshot: %w", err)
	}
	if err := s.r.writeRef(s.ref("base"), tree, true); err != nil {
		return nil, err
	}
	s.baseTree = tree
	if s.j, err = createJournal(filepath.Join(s.dir, "journal")); err != nil {
		return nil, err
	}
	if err := syncDir(s.dir); err != nil {
		return nil, err
	}
	if err := s.j.append(record{Kind: "start", Base: tree}); err != nil {
		return nil, err
	}
	s.markOpen()
	return s, nil
}

// Open reloads a session from the repository after a restart or a crash: the
// journal under <git dir>/wend/<id>/ and the refs under refs/wend/<id>/ hold
// every proposal and decision that any method has reported.
func Open(ctx context.Context, dir, sessionID string, opts ...Option) (*Session, error) {
	s, err := newSession(ctx, dir, sessionID, opts)
	if err != nil {
		return nil, err
	}
	j, err := openJournal(filepath.Join(s.dir, "journal"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoSession, sessionID)
	}
	if err != nil {
		return nil, err
	}
	s.j = j
	// Reads the whole journal and settles an operation a crash interrupted.
	end, err := s.begin(ctx, "opening the session")
	if err != nil {
		j.close()
		s.lock.close()
		return nil, err
	}
	end()
	if s.baseTree == "" {
		j.close()
		return nil, fmt.Errorf("gitops: session %s: journal has no start record", sessionID)
	}
	if _, err := os.Stat(s.snapIdx); err != nil {
		// The snapshot index is a cache: rebuild it from the baseline.
		if _, err := s.r.run(ctx, Git("read-tree", s.baseTree).Index(s.snapIdx)); err != nil {
			j.close()
			return nil, err
		}
	}
	s.markOpen()
	return s, nil
}

func (s *Session) replay(rec record) {
	switch rec.Kind {
	case "start":
		s.baseTree = rec.Base
	case "ack":
		s.acked = rec.Acked
	}
	for _, ps := range rec.Paths {
		p := ps
		s.paths[p.Path] = &p
	}
	if rec.Decision != nil {
		s.decisions = append(s.decisions, *rec.Decision)
	}
}

// Close releases the journal and the working tree's Root. The session can be
// reopened with Open.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.openMark != "" {
		os.Remove(s.openMark)
		s.openMark = ""
	}
	return errors.Join(s.j.close(), s.r.closeTree(), s.lock.close())
}

// ID returns the session id.
func (s *Session) ID() string { return s.id }

// Root returns the repository's top-level directory.
func (s *Session) Root() string { return s.r.root }

// BaselineTree returns the id of the tree snapshotted at Start.
func (s *Session) BaselineTree() string { return s.baseTree }

func (s *Session) ref(name string) string { return "refs/wend/" + s.id + "/" + name }

// persist makes changed path states (and a decision) durable before the
// caller reports them: the state ref is moved first so every blob the journal
// names is reachable (safe from gc), then the journal record is fsynced.
func (s *Session) persist(ctx context.Context, rec record) error {
	fresh := false
	for _, ps := range rec.Paths {
		for _, e := range []Entry{ps.Orig, ps.Base, ps.Agent} {
			if e.Exists() && !s.kept[e.OID] {
				s.kept[e.OID] = true
				fresh = true
			}
		}
	}
	if fresh {
		if err := s.updateStateRef(); err != nil {
			return err
		}
	}
	return s.j.append(rec)
}

// updateStateRef points refs/wend/<id>/state at a flat tree naming every blob
// the session's states use.
func (s *Session) updateStateRef() error {
	ids := make([]string, 0, len(s.kept))
	for id := range s.kept {
		ids = append(ids, id)
	}
	tree, err := s.r.writeFlatTree(ids)
	if err != nil {
		return err
	}
	// Not fsynced: the ref only shields blobs from gc; the journal names them.
	return s.r.writeRef(s.ref("state"), tree, false)
}

// content returns blob contents, fetching the missing ones in one call.
func (s *Session) content(ctx context.Context, es ...Entry) error {
	var miss []string
	for _, e := range es {
		if e.Exists() && s.blobs[e.OID] == nil && !slices.Contains(miss, e.OID) {
			miss = append(miss, e.OID)
		}
	}
	got, err := s.r.readBlobs(ctx, miss)
	if err != nil {
		return err
	}
	for id, b := range got {
		if b == nil {
			b = []byte{}
		}
		s.blobs[id] = b
	}
	return nil
}

// newBlobs stores contents and returns their entries with the given modes.
func (s *Session) newBlobs(ctx context.Context, modes []string, contents [][]byte) ([]Entry, error) {
	ids, err := s.r.writeBlobs(contents...)
	if err != nil {
		return nil, err
	}
	es := make([]Entry, len(ids))
	for i, id := range ids {
		es[i] = Entry{Mode: modes[i], OID: id}
		if _, ok := s.blobs[id]; !ok {
			s.blobs[id] = append([]byte{}, contents[i]...) // the caller may reuse its buffer
		}
	}
	return es, nil
}

// copyIndex seeds the snapshot index from the real one. A hard link costs
// nothing and is safe: git never writes an index in place (it writes
// index.lock and renames it), so the first write to the snapshot index
// leaves the user's alone. A copy, the fallback, keeps the modification time:
// git trusts an entry's stat data only when the file is older than the index,
// so a fresh mtime would hide "racily clean" edits (same size, same second)
// from the snapshot.
func copyIndex(from, to string) error {
	fi, err := os.Stat(from)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // no index yet (a new repository): start empty
	}
	if err != nil {
		return err
	}
	os.Remove(to)
	if os.Link(from, to) == nil {
		return nil
	}
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		return err
	}
	return os.Chtimes(to, fi.ModTime(), fi.ModTime())
}

func errorsJoin(errs ...error) error { return errors.Join(errs...) }
