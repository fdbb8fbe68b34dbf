package gitops

import (
	"os"
	"path/filepath"
	"time"
)

// Two sessions in one repository. Each credits its agent with what its agent
// wrote (WriteFile, Remove) and with what changed during its commands
// (AfterCommand). While both run, one's command snapshot also sees the other's
// agent writes: crediting them would make them proposals here too, and undoing
// this session would revert the other's changes, even ones the user accepted.
//
// The rule: a path that another open session holds (a pending proposal, an
// accepted change not undone, or an operation in flight) is not credited by
// a snapshot here; for this session, a change there is the user's. "Open"
// means a Session value of a live process (open markers, lock.go): an ended
// session writes nothing, and what it left is part of this session's
// baseline like any user edit. The cost: an agent command here that changes
// such a path is not proposed (the change stays in the working tree, the
// user's). Explicit agent writes are always this session's.

// otherJournal caches another session's touched paths by journal size and
// modification time.
type otherJournal struct {
	size  int64
	mtime time.Time
	paths map[string]bool
}

// othersHold returns the paths that other open sessions of the repository
// hold.
func (s *Session) othersHold() map[string]bool {
	parent := filepath.Dir(s.dir)
	ents, err := os.ReadDir(parent)
	if err != nil {
		return nil
	}
	held := map[string]bool{}
	for _, e := range ents {
		if !e.IsDir() || e.Name() == s.id {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		if !sessionLive(dir) {
			continue
		}
		for p := range s.heldBy(dir) {
			held[p] = true
		}
	}
	return held
}

// heldBy reads the paths another session's journal holds.
func (s *Session) heldBy(dir string) map[string]bool {
	path := filepath.Join(dir, "journal")
	fi, err := os.Stat(path)
	if err != nil {
		return nil
	}
	if c, ok := s.others[dir]; ok && c.size == fi.Size() && c.mtime.Equal(fi.ModTime()) {
		return c.paths
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	recs, _, err := decodeRecords(path, data)
	if err != nil {
		return nil
	}
	eff, pending := settle(recs, nil)
	states := map[string]pathState{}
	for _, r := range eff {
		for _, ps := range r.Paths {
			states[ps.Path] = ps
		}
	}
	held := map[string]bool{}
	for p, ps := range states {
		if ps.Agent != ps.Orig || ps.Base != ps.Orig {
			held[p] = true
		}
	}
	if pending != nil {
		for _, ps := range pending.Paths {
			held[ps.Path] = true
		}
	}
	if s.others == nil {
		s.others = map[string]otherJournal{}
	}
	s.others[dir] = otherJournal{size: fi.Size(), mtime: fi.ModTime(), paths: held}
	return held
}
