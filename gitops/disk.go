package gitops

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Every read and write gitops makes in a working tree goes through one
// *os.Root opened on the tree's top level. A Root resolves each path one
// component at a time from directory descriptors and refuses any step (a
// symlink, "..") that leads outside it, so a directory swapped for a symlink
// to elsewhere after session/tools confined the path cannot redirect the write:
// the temporary file, its permission change and the rename all happen inside
// the parent directory as the Root found it. Symlinks that stay inside the
// tree are followed, as the kernel would.

// workTree returns the Root of the repository's working tree, opening it on
// first use (a worktree may be created after its repo value).
func (r *repo) workTree() (*os.Root, error) {
	r.treeMu.Lock()
	defer r.treeMu.Unlock()
	if r.tree == nil {
		t, err := os.OpenRoot(r.root)
		if err != nil {
			return nil, fmt.Errorf("gitops: opening the working tree: %w", err)
		}
		r.tree, r.treeReal = t, r.root
		if real, err := filepath.EvalSymlinks(r.root); err == nil {
			r.treeReal = real
		}
	}
	return r.tree, nil
}

// closeTree releases the working tree's Root; a later use opens it again.
func (r *repo) closeTree() error {
	r.treeMu.Lock()
	defer r.treeMu.Unlock()
	if r.tree == nil {
		return nil
	}
	err := r.tree.Close()
	r.tree = nil
	return err
}

// confined rewrites the Root's "path escapes from parent" into the cause.
func confined(op, path string, err error) error {
	if err != nil && strings.Contains(err.Error(), "path escapes from parent") {
		return fmt.Errorf("gitops: %s %q: a directory on the way is a symlink leading outside the working tree; refusing to follow it", op, path)
	}
	return err
}

// readDisk reads a working-tree path as git would store it: a symlink's
// content is its target. perm is a regular file's real permission bits. A
// missing file is an empty mode with nil content.
func (r *repo) readDisk(path string) (mode string, data []byte, perm fs.FileMode, err error) {
	root, err := r.workTree()
	if err != nil {
		return "", nil, 0, err
	}
	fi, err := root.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return "", nil, 0, nil
	}
	if err != nil {
		return "", nil, 0, confined("read", path, err)
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		t, err := root.Readlink(path)
		return "120000", []byte(t), 0, confined("read", path, err)
	case fi.IsDir():
		return "", nil, 0, fmt.Errorf("gitops: %q is a directory", path)
	case !fi.Mode().IsRegular():
		return "", nil, 0, fmt.Errorf("gitops: %q is not a regular file", path)
	}
	f, err := root.Open(path)
	if err != nil {
		return "", nil, 0, confined("read", path, err)
	}
	defer f.Close()
	// The Root follows a symlink planted between Lstat and Open if it stays
	// inside; what was opened must still be the file Lstat saw.
	if ofi, err := f.Stat(); err != nil || !os.SameFile(fi, ofi) {
		return "", nil, 0, fmt.Errorf("gitops: %q changed while being read; try again", path)
	}
	if data, err = io.ReadAll(f); err != nil {
		return "", nil, 0, err
	}
	perm = fi.Mode().Perm()
	if perm&0o111 != 0 {
		return "100755", data, perm, nil
	}
	return "100644", data, perm, nil
}

// writeDisk replaces a working-tree path atomically (a temporary file and a
// rename in the same directory), creating parent directories as needed. An
// empty mode removes the path. perm, when not zero, is the permission the
// file gets (fitted to mode's executable bit); zero gives a new file's default,
// 0644 or 0755 under the umask.
func (r *repo) writeDisk(path, mode string, data []byte, perm fs.FileMode) error {
	return r.writeDiskVia(path, mode, data, perm, r.newTmpName())
}

// newTmpName names a temporary file for writeDiskVia. A session's names
// carry its id (tmpPrefix), so its recovery can find the ones a crash left
// without touching another session's.
func (r *repo) newTmpName() string {
	p := r.tmpPrefix
	if p == "" {
		p = ".wend-tmp-"
	}
	return p + strconv.FormatUint(rand.Uint64(), 36)
}

// writeDiskVia is writeDisk through the temporary file tmp in path's
// directory: an agent write journals the name first (workspace.go), so
// recovery can finish the rename or remove the file.
func (r *repo) writeDiskVia(path, mode string, data []byte, perm fs.FileMode, tmp string) error {
	root, err := r.workTree()
	if err != nil {
		return err
	}
	op := "write"
	if mode == "" {
		op = "remove"
	}
	dirName, base := filepath.Split(path)
	dirName = filepath.Clean(dirName)
	if mode != "" && dirName != "." {
		if err := root.MkdirAll(dirName, 0o777); err != nil {
			return confined(op, path, err)
		}
	}
	// From here on everything is relative to the parent directory as opened
	// now: a later swap of any directory on the way changes nothing.
	dir, err := root.OpenRoot(dirName)
	if mode == "" && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) {
		return nil
	}
	if err != nil {
		return confined(op, path, err)
	}
	defer dir.Close()
	if err := r.outsideGitDir(dir, op, path); err != nil {
		return err
	}
	if mode == "" {
		err := dir.Remove(base)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if mode == "120000" {
		if err := dir.Symlink(string(data), tmp); err != nil {
			return err
		}
		return renameInto(dir, tmp, base)
	}
	create := fs.FileMode(0o644)
	if mode == "100755" {
		create = 0o755
	}
	f, err := dir.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, create)
	if err != nil {
		return err
	}
	err = writeSynced(f, data, fitPerm(mode, perm))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		dir.Remove(tmp)
		return err
	}
	r.crashPoint("tmp")
	return renameInto(dir, tmp, base)
}

// outsideGitDir refuses a write whose parent directory, as opened, is git's
// own directory or inside it. The Root follows symlinks that stay inside the
// working tree, and .git is inside it: a directory swapped for a link to .git
// after the path was checked would otherwise steer the write to a hook or to
// .git/config. The kernel names the opened directory (Linux /proc); where
// the system cannot, the Root's confinement stands alone.
func (r *repo) outsideGitDir(dir *os.Root, op, path string) error {
	d, err := dir.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	real, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(d.Fd())))
	if err != nil {
		return nil
	}
	rel, err := filepath.Rel(r.treeReal, real)
	if err != nil || !filepath.IsLocal(rel) {
		return nil // the tree itself, or a path the kernel spells another way
	}
	for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
		if strings.EqualFold(part, ".git") {
			return fmt.Errorf("gitops: %s %q: a directory on the way is a symlink into .git; refusing to follow it", op, path)
		}
	}
	return nil
}

// writeSynced writes data, sets perm on the open file (never by name, which
// could be swapped) unless it is zero, and syncs.
func writeSynced(f *os.File, data []byte, perm fs.FileMode) error {
	if _, err := f.Write(data); err != nil {
		return err
	}
	if perm != 0 {
		if err := f.Chmod(perm); err != nil {
			return err
		}
	}
	return f.Sync()
}

func renameInto(dir *os.Root, tmp, base string) error {
	if err := dir.Rename(tmp, base); err != nil {
		dir.Remove(tmp)
		return err
	}
	return nil
}

// fitPerm gives perm the executable bits git's mode asks for: 100755 adds x
// wherever r is set, 100644 drops every x. Zero (unknown) stays zero.
func fitPerm(mode string, perm fs.FileMode) fs.FileMode {
	perm &= fs.ModePerm
	switch {
	case perm == 0:
		return 0
	case mode == "100755":
		return perm | (perm&0o444)>>2
	default:
		return perm &^ 0o111
	}
}

// origPerm is what a path's OrigPerm records for a file read as mode, perm:
// only regular files have one.
func origPerm(mode string, perm fs.FileMode) fs.FileMode {
	if mode == "100644" || mode == "100755" {
		return perm
	}
	return 0
}

// parentDir opens the directory of a working-tree path through the Root
// (nil, nil when it does not exist).
func (r *repo) parentDir(path string) (*os.Root, error) {
	root, err := r.workTree()
	if err != nil {
		return nil, err
	}
	dir, err := root.OpenRoot(filepath.Dir(path))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, nil
	}
	return dir, confined("open", path, err)
}

// finishTmp renames the temporary file tmp in path's directory over path if
// it holds exactly mode and data (an agent write that crashed before its
// rename), and reports whether it did.
func (r *repo) finishTmp(path, tmp, mode string, data []byte) (bool, error) {
	dir, err := r.parentDir(path)
	if dir == nil || err != nil {
		return false, err
	}
	defer dir.Close()
	fi, err := dir.Lstat(tmp)
	if err != nil {
		return false, nil
	}
	var got []byte
	gotMode := "100644"
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		t, err := dir.Readlink(tmp)
		if err != nil {
			return false, nil
		}
		got, gotMode = []byte(t), "120000"
	case fi.Mode().IsRegular():
		f, err := dir.Open(tmp)
		if err != nil {
			return false, nil
		}
		got, err = io.ReadAll(f)
		f.Close()
		if err != nil {
			return false, nil
		}
		if fi.Mode().Perm()&0o111 != 0 {
			gotMode = "100755"
		}
	default:
		return false, nil
	}
	if gotMode != mode || string(got) != string(data) {
		return false, nil
	}
	if err := dir.Rename(tmp, filepath.Base(path)); err != nil {
		return false, err
	}
	return true, nil
}

// removeTmps removes the temporary files named with prefix in path's
// directory: what a crash between a temporary file's creation and its rename
// left in the user's tree.
func (r *repo) removeTmps(path, prefix string) error {
	dir, err := r.parentDir(path)
	if dir == nil || err != nil {
		return err
	}
	defer dir.Close()
	d, err := dir.Open(".")
	if err != nil {
		return err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			if err := dir.Remove(n); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
