//go:build linux

package sandbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// prepare makes the capture directory beside the repository's git directory
// (same file system as the tree, so large outputs are renamed into place, not
// copied, and the ctimes compared come from one clock), or under $TMPDIR when
// there is none, and stamps the start marker. It runs in Start, just before
// the init is started.
func (c *Capture) prepare(root, common string) error {
	parent := ""
	if common != "" {
		parent = filepath.Join(common, "wend-capture")
		if err := os.MkdirAll(parent, 0o700); err != nil {
			parent = ""
		}
		removeStale(parent)
	}
	dir, err := os.MkdirTemp(parent, "cmd-")
	if err != nil {
		return fmt.Errorf("sandbox: capture directory: %w", err)
	}
	dir, _ = filepath.EvalSymlinks(dir)
	c.dir = dir
	for _, sub := range []string{"upper", "work"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			return fmt.Errorf("sandbox: capture directory: %w", err)
		}
	}
	// The marker's ctime is the kernel's clock at the start, as the file
	// system records it: a file in the tree with a later ctime was changed
	// while the command ran. Created after any agent write that preceded the
	// command, so those never count.
	mark := filepath.Join(dir, "start")
	if err := os.WriteFile(mark, nil, 0o600); err != nil {
		return fmt.Errorf("sandbox: capture directory: %w", err)
	}
	ts, ok, err := ctimeOf(mark)
	if err != nil || !ok {
		return fmt.Errorf("sandbox: capture start marker: %v", err)
	}
	c.started = ts
	return nil
}

// staleAfter: a capture directory this old belongs to a wend that died
// mid-command (a live one is removed when its command ends, and commands are
// bounded far below it).
const staleAfter = 24 * time.Hour

// removeStale removes capture directories left by a wend that died.
func removeStale(parent string) {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && strings.HasPrefix(e.Name(), "cmd-") && time.Since(fi.ModTime()) > staleAfter {
			_ = (&Capture{dir: filepath.Join(parent, e.Name())}).Close()
		}
	}
}

// overlayPathOK: overlayfs splits its options at commas and lowerdir at
// colons; a path holding either (or a backslash) is not captured.
func overlayPathOK(p string) bool { return !strings.ContainsAny(p, ",:\\") }

// captureRoot is the init's half: it mounts the overlay on root, binds the
// real .git back on top (git guards are applied after, as for a plain bind),
// marks the capture active, and hides the capture directory from the
// command. An error leaves root as it was, for the caller to bind writable.
func captureRoot(root, dir string) error {
	upper, work := filepath.Join(dir, "upper"), filepath.Join(dir, "work")
	if !overlayPathOK(root) || !overlayPathOK(upper) || !overlayPathOK(work) {
		return errors.New("a path overlayfs cannot name")
	}
	// "/" was made read-only; the upper layer must sit on a writable mount.
	if err := unix.Mount(dir, dir, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("binding the capture directory: %w", err)
	}
	if err := setReadOnly(dir, false, false); err != nil {
		return err
	}
	// A detached copy of the real .git, taken before the overlay covers it.
	gitDir := filepath.Join(root, ".git")
	gitFD := -1
	if fi, err := os.Lstat(gitDir); err == nil && fi.IsDir() {
		fd, err := unix.OpenTree(unix.AT_FDCWD, gitDir, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
		if err != nil {
			return fmt.Errorf("cloning the .git mount: %w", err)
		}
		gitFD = fd
		defer unix.Close(fd)
	}
	// userxattr: in a user namespace overlayfs keeps its whiteouts' and
	// opaque directories' marks in user.overlay.* attributes.
	opts := "lowerdir=" + root + ",upperdir=" + upper + ",workdir=" + work + ",userxattr"
	if err := unix.Mount("overlay", root, "overlay", 0, opts); err != nil {
		return fmt.Errorf("mounting the capturing overlay: %w", err)
	}
	if gitFD >= 0 {
		if err := unix.MoveMount(gitFD, "", unix.AT_FDCWD, gitDir, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
			_ = unix.Unmount(root, unix.MNT_DETACH)
			return fmt.Errorf("binding the real .git over the overlay: %w", err)
		}
		if err := setReadOnly(gitDir, false, false); err != nil {
			_ = unix.Unmount(root, unix.MNT_DETACH)
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "active"), nil, 0o600); err != nil {
		_ = unix.Unmount(root, unix.MNT_DETACH)
		return fmt.Errorf("marking the capture active: %w", err)
	}
	// The overlay keeps its own reference to the upper layer; the command
	// has no business in the capture directory itself.
	return hide(dir)
}

// finish reads whether the init activated the capture; Start calls it once
// the init reported ready.
func (c *Capture) finish() {
	_, err := os.Lstat(filepath.Join(c.dir, "active"))
	c.active = err == nil
}

// Changes lists what the command changed, sorted by path (a directory before
// what it holds). Empty when the capture is not active.
func (c *Capture) Changes() ([]CapturedChange, error) {
	if !c.Active() {
		return nil, nil
	}
	upper := filepath.Join(c.dir, "upper")
	var out []CapturedChange
	err := filepath.WalkDir(upper, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == upper {
			return nil
		}
		rel, _ := filepath.Rel(upper, p)
		ch := CapturedChange{Path: filepath.ToSlash(rel), Source: p}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch m := fi.Mode(); {
		case m&fs.ModeCharDevice != 0:
			st, ok := fi.Sys().(*syscall.Stat_t)
			if !ok || st.Rdev != 0 {
				return nil // not a whiteout: a device node is no file of the repository
			}
			ch.Delete = true
		case m.IsDir():
			ch.Dir, ch.Opaque = true, opaque(p)
		case m.IsRegular() || m&fs.ModeSymlink != 0:
			ch.Mode = m & (fs.ModeType | fs.ModePerm)
		default:
			return nil // fifos, sockets: nothing git keeps
		}
		out = append(out, ch)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: reading the command's captured changes: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// opaque reports overlayfs' mark on a directory that replaced the one below.
func opaque(p string) bool {
	buf := make([]byte, 4)
	for _, name := range []string{"user.overlay.opaque", "trusted.overlay.opaque"} {
		if n, err := unix.Lgetxattr(p, name, buf); err == nil && n > 0 && buf[0] == 'y' {
			return true
		}
	}
	return false
}

// ChangedSince reports whether the live path exists and was changed (content,
// mode, a rename onto it) after the command started: someone other than the
// command, since the command's own writes never reach the live tree.
func (c *Capture) ChangedSince(path string) (bool, error) {
	ts, ok, err := ctimeOf(path)
	if err != nil || !ok {
		return false, err
	}
	return ts.after(c.started), nil
}

func ctimeOf(path string) (timespec, bool, error) {
	var st unix.Statx_t
	err := unix.Statx(unix.AT_FDCWD, path, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_CTIME, &st)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return timespec{}, false, nil
	}
	if err != nil {
		return timespec{}, false, err
	}
	return timespec{st.Ctime.Sec, int64(st.Ctime.Nsec)}, true, nil
}
