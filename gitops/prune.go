package gitops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Pruning: what a session keeps in git outlives the session on purpose (its
// proposals stay decidable with `wend accept` after wend exits), so nothing
// removes it until the user, or wend's bounded clean-up at start, decides the
// session holds nothing more. Prune is the git side of that: the refs and a
// worktree left behind. The session's directory (<git common dir>/wend/<id>,
// journal and log together) belongs to the session store, which removes it
// after Prune, so a crash in between leaves a session that is still listed
// and is pruned again next time, never refs nobody lists.

// ErrSessionInUse is returned by Prune when another process is operating on
// the session at that moment (it holds the session's lock).
var ErrSessionInUse = errors.New("gitops: the session is in use by another process")

// PruneReport says what Prune removed.
type PruneReport struct {
	Refs     []string // refs/wend/<id>/... that were deleted
	Worktree bool     // a worktree and branch the session left were removed
}

// Prune deletes session id's refs (refs/wend/<id>/*, loose or packed) and any
// worktree and wend/<id> branch it left, in the repository containing dir.
// The caller decides that the session is over and holds nothing the user
// still needs: Prune does not look at the journal. The snapshot objects the
// refs kept become unreachable, and git's own gc reclaims them.
func Prune(ctx context.Context, dir, id string) (PruneReport, error) {
	var rep PruneReport
	if !validID.MatchString(id) {
		return rep, fmt.Errorf("gitops: session id %q: use letters, digits, '-' and '_'", id)
	}
	g := ExecRunner{}
	root, common, err := repoDirs(ctx, g, dir)
	if err != nil {
		return rep, err
	}
	unlock, err := lockForPrune(sessionStateDir(common, id))
	if err != nil {
		return rep, err
	}
	defer unlock()

	if w, ok, err := loadWorktree(g, sessionStateDir(common, id)); err != nil {
		return rep, err
	} else if ok && !w.Alive() {
		_, statErr := os.Stat(w.Dir)
		if !w.Ended || statErr == nil {
			if err := w.Remove(ctx); err != nil {
				return rep, err
			}
			rep.Worktree = true
		}
	}

	prefix := "refs/wend/" + id + "/"
	out, err := g.Run(ctx, Git("for-each-ref", "--format=%(refname)", prefix).InDir(root).Read())
	if err != nil {
		return rep, fmt.Errorf("gitops: listing %s: %w", prefix, err)
	}
	var stdin bytes.Buffer
	for _, ref := range strings.Fields(string(out)) {
		if strings.HasPrefix(ref, prefix) {
			rep.Refs = append(rep.Refs, ref)
			stdin.WriteString("delete " + ref + "\n")
		}
	}
	if len(rep.Refs) > 0 {
		// One transaction through git: it knows packed-refs and reftable, and
		// either every ref goes or none does.
		if _, err := g.Run(ctx, Git("update-ref", "--stdin").InDir(root).Input(stdin.Bytes())); err != nil {
			return PruneReport{Worktree: rep.Worktree}, fmt.Errorf("gitops: deleting %s*: %w", prefix, err)
		}
	}
	// git leaves the emptied directories of loose refs; they hold nothing.
	os.Remove(filepath.Join(common, "refs", "wend", id))
	return rep, nil
}

// lockForPrune takes the session's operation lock (<state dir>/lock, the
// flock every gitops operation holds for its duration) without waiting: a
// session someone is deciding on right now is not pruned. A session without
// a state directory has nothing to lock.
func lockForPrune(stateDir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(stateDir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		return func() {}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("gitops: locking the session for pruning: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s)", ErrSessionInUse, filepath.Base(stateDir))
		}
		return nil, fmt.Errorf("gitops: locking the session for pruning: %w", err)
	}
	return func() { f.Close() }, nil
}
