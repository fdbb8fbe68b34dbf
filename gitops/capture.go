package gitops

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// Commands and the user's concurrent edits.
//
// A sandboxed command's writes are captured apart from the live tree
// (internal/sandbox's Capture) and arrive here as agent writes (WriteExact,
// Remove): exactly the command's, never an edit the user saved meanwhile.
// Where capture is unavailable (no namespaces, the sandbox off), the
// snapshots of BeforeCommand and AfterUncapturedCommand are all there is, and
// they cannot tell a byte the command wrote from one the user saved while it
// ran. AfterUncapturedCommand therefore marks what it credits Uncertain: a proposal the user can
// accept, modify or leave, but that reject and UndoAll refuse to take out of
// the working tree, since the bytes they would remove may be the user's.

// ErrUncertain is wrapped by the *UncertainError a reject or an undo-all of
// an uncertain path returns.
var ErrUncertain = errors.New("changed while the command ran: wend cannot tell your edits from the command's, so it will not remove them; edit the file yourself")

// UncertainError says which path a reject or undo left alone because it is
// uncertain.
type UncertainError struct{ Path string }

func (e *UncertainError) Error() string { return fmt.Sprintf("gitops: %s %v", e.Path, ErrUncertain) }

// Unwrap makes errors.Is(err, ErrUncertain) true.
func (e *UncertainError) Unwrap() error { return ErrUncertain }

// refuseUncertain is the check reject and UndoAll make before they move the
// working tree of pss.
func refuseUncertain(pss ...*pathState) error {
	for _, ps := range pss {
		if ps != nil && ps.Uncertain {
			return &UncertainError{Path: ps.Path}
		}
	}
	return nil
}

// WriteExact is the agent writing path with exactly mode: a regular file's
// permission bits (a captured `chmod +x` is kept, where WriteFile keeps an
// existing file's mode) or a symlink (fs.ModeSymlink, data is its target).
// Like WriteFile, a user edit made since the agent's previous write is
// folded into the baseline first. session/tools applies a sandboxed
// command's captured writes through it.
func (s *Session) WriteExact(ctx context.Context, path string, data []byte, mode fs.FileMode) error {
	m, perm := "100644", mode.Perm()
	switch {
	case mode&fs.ModeSymlink != 0:
		m, perm = "120000", 0o777
	case mode&0o111 != 0:
		m = "100755"
	}
	if perm == 0 {
		perm = 0o600 // zero would mean "keep the current permission"
	}
	return s.agentWriteExact(ctx, path, m, data, perm)
}

// AfterUncapturedCommand is AfterCommand for a command whose writes were not
// captured: every path it credits is Uncertain, since the user may have saved
// some of those bytes while the command ran.
func (s *Session) AfterUncapturedCommand(ctx context.Context) ([]string, error) {
	return s.afterCommand(ctx, true)
}

// ConflictDir is where a command's version of a file the user changed while
// the command ran is kept (<git dir>/wend/<id>/conflicts), instead of over the
// user's.
func (s *Session) ConflictDir() string { return filepath.Join(s.dir, "conflicts") }
