package sandbox

import (
	"io/fs"
	"os"
	"path/filepath"
)

// Capture records what one sandboxed command writes in the repository,
// apart from everything else that changes there while it runs (the user
// saving a file in their editor). Pass a new Capture in Options.Capture: the
// init mounts the repository as an overlay whose lower layer is the live
// tree and whose upper layer is a directory outside it, so the command sees
// the live tree plus its own writes, and its writes land only in the upper
// layer. `.git` is the real one (bound on top), so git commands inside work
// as before. After the command, Changes lists exactly what it changed; the
// caller applies them to the real tree and then calls Close.
//
// When the kernel refuses the overlay (no user-namespace overlayfs, a
// repository on a file system overlayfs cannot use, a path overlayfs cannot
// name), the command runs with the repository bound writable as without a
// Capture, and Active reports false.
type Capture struct {
	dir    string // on the host: upper/, work/, start, active
	active bool
	// started is the start marker's ctime: a live file whose ctime is later
	// changed while the command ran (ChangedSince).
	started timespec
}

type timespec struct{ sec, nsec int64 }

func (a timespec) after(b timespec) bool {
	return a.sec > b.sec || (a.sec == b.sec && a.nsec > b.nsec)
}

// CapturedChange is one path the command changed in the repository.
type CapturedChange struct {
	// Path is relative to the repository root, with slashes.
	Path string
	// Delete: the command removed Path (a file, or a directory with all it
	// held in the tree when the command ran).
	Delete bool
	// Dir: Path is a directory the command created (or replaced, when
	// Opaque: whatever the tree held under it when the command ran and is not
	// in the capture was deleted by the command).
	Dir, Opaque bool
	// Mode is a written file's type and permission (regular or symlink).
	Mode fs.FileMode
	// Source is the file's path in the capture, to read its content (or the
	// symlink's target) from.
	Source string
}

// Active reports whether the command ran on the capturing overlay, so
// Changes is the whole of what it changed in the repository.
func (c *Capture) Active() bool { return c != nil && c.active }

// Close removes the capture directory.
func (c *Capture) Close() error {
	if c == nil || c.dir == "" {
		return nil
	}
	err := os.RemoveAll(c.dir)
	if err != nil {
		// The overlay's work directory, or a directory the command made
		// unwritable: open them up and try again.
		_ = filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				_ = os.Chmod(p, 0o700)
			}
			return nil
		})
		err = os.RemoveAll(c.dir)
	}
	return err
}
