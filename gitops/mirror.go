package gitops

import (
	"context"
	"fmt"
)

// A mirrored (--worktree) accept is one crash-atomic operation over two
// repositories: the worktree's index, and the user's own index and working
// tree (worktree.go). Its intent (recover.go) holds both sets of writes, the
// user's under intentOp.User, so that a crash anywhere between the intent and
// "done" is settled as a whole on the next open: forward when every write on
// both sides is made or not made yet, else back, and never the user's side
// changed while the journal calls the change pending (or the reverse).

// userSide is the user's share of an operation's writes, journaled with the
// root of their working tree so recovery finds it without the Mirrored value.
type userSide struct {
	Root  string
	Index []indexWrite
	Disk  []diskChange
}

// userPlan is what Mirrored hands to the next commit (s.mu held): the user's
// repository and the writes planUser computed there.
type userPlan struct {
	r  *repo
	ws []userWrite
}

// userRepo is the user's repository at root: the Mirrored one when it is
// that, else a fresh one (recovery on an Open) that done closes.
func (s *Session) userRepo(root string) (r *repo, done func()) {
	if s.mirror != nil && s.mirror.r.root == root {
		return s.mirror.r, func() {}
	}
	r = &repo{git: s.r.git, root: root, format: s.r.format, tmpPrefix: s.r.tmpPrefix}
	return r, func() { r.closeTree() }
}

// userIntent turns the planned user writes into journaled ones, storing both
// sides of every file as blobs so recovery can go either way.
func (s *Session) userIntent(ctx context.Context, u *userPlan) (*userSide, error) {
	side := &userSide{Root: u.r.root}
	for _, w := range u.ws {
		if w.indexChange {
			side.Index = append(side.Index, indexWrite{Path: w.path, Old: w.oldIndex, New: w.newIndex})
		}
		if !w.disk {
			continue
		}
		dc, err := s.diskChangeOf(ctx, w.path, w.oldMode, w.oldData, w.newMode, w.newData, w.oldPerm, w.oldPerm)
		if err != nil {
			return nil, err
		}
		side.Disk = append(side.Disk, dc)
	}
	return side, nil
}

// writeUser makes the user's writes of a journaled intent: the index in one
// update, refused when the user staged something on those paths since the
// plan read them, then the files. The caller takes everything back on error.
func (s *Session) writeUser(ctx context.Context, u *userPlan) error {
	u.r.crash = s.r.crash // the user's tree's write boundaries are this operation's (crash.go)
	set := map[string]Entry{}
	var paths []string
	for _, w := range u.ws {
		if w.indexChange {
			set[w.path] = w.newIndex
			paths = append(paths, w.path)
		}
	}
	if len(set) > 0 {
		cur, err := u.r.indexEntries(ctx, "", paths)
		if err != nil {
			return err
		}
		for _, w := range u.ws {
			if w.indexChange && cur[w.path] != w.oldIndex {
				return &ConflictError{Action: w.action, Path: w.path, Where: "your index",
					Reason: "you staged a change to this file while the decision was being made; try again"}
			}
		}
		if err := u.r.updateIndex(ctx, "", set); err != nil {
			return err
		}
		s.r.crashPoint("user index")
	}
	for _, w := range u.ws {
		if !w.disk {
			continue
		}
		if err := u.r.writeDisk(w.path, w.newMode, w.newData, w.oldPerm); err != nil {
			return fmt.Errorf("gitops: %s %q in your working tree: %w", w.action, w.path, err)
		}
		s.r.crashPoint("user disk")
	}
	return nil
}
