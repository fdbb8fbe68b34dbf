package store

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// InUse reports whether a process, this one included, has the session open:
// such a session is never removed, whatever its log says.
func (s *Store) InUse(id string) bool {
	_, st := s.owner(id)
	return st == ownerAlive || st == ownerSelf
}

// DiskUsage is the size in bytes of the session's directory: its log, and
// whatever else lives beside it (the staging journal and snapshot index).
func (s *Store) DiskUsage(id string) int64 {
	var n int64
	filepath.WalkDir(filepath.Join(s.dir, id), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// Remove deletes the session's directory and returns the bytes it freed. A
// session a live process has open is refused. Whatever else the session keeps
// (its refs in git) is the caller's to remove first.
func (s *Store) Remove(id string) (int64, error) {
	if id == "" || id != filepath.Base(id) || id == "." || id == ".." {
		return 0, fmt.Errorf("not a session id: %q", id)
	}
	if o, st := s.owner(id); st == ownerAlive || st == ownerSelf {
		return 0, fmt.Errorf("session %s is open in process %d on %s; it can be removed once that process has ended", id, o.PID, o.Host)
	}
	n := s.DiskUsage(id)
	if err := os.RemoveAll(filepath.Join(s.dir, id)); err != nil {
		return 0, fmt.Errorf("removing session %s: %w", id, err)
	}
	return n, nil
}
