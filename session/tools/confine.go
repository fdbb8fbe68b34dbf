package tools

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// resolve (paths.go) checks a path once; a directory on it can be swapped for
// a symlink right after. So the tools never use the checked path by name:
// every read and every DirectWorkspace write goes through an *os.Root on the
// repository, which walks the path one directory descriptor at a time and
// refuses any step (a symlink, "..") that leads outside it. Symlinks that stay
// inside are followed, as the kernel would; since .git is inside, what the
// tools open is also checked against .git through the kernel's name for the
// open descriptor (Linux /proc), where the system gives one.

// openTree opens root as an *os.Root.
func openTree(root string) (*os.Root, error) {
	t, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("tools: opening the repository root: %w", err)
	}
	return t, nil
}

// native is t's path for the Root.
func native(t target) string { return filepath.FromSlash(t.Rel) }

// escaped turns the Root's refusal into text the model can act on; other
// errors pass through.
func escaped(rel string, err error) error {
	if err != nil && strings.Contains(err.Error(), "path escapes from parent") {
		return refuse("%s leads outside the repository through a symlink (it changed after the path was checked); refusing to follow it", rel)
	}
	return err
}

// statTarget is os.Stat of a confined path, through the Root.
func (r *Registry) statTarget(t target) (fs.FileInfo, error) {
	fi, err := r.tree.Stat(native(t))
	return fi, escaped(t.Rel, err)
}

// openRegular opens a confined path that Stat showed to be a regular file.
// O_NONBLOCK keeps a FIFO swapped in meanwhile from blocking the open; the
// descriptor must then still be the file Stat saw.
func (r *Registry) openRegular(t target, want fs.FileInfo) (*os.File, error) {
	f, err := r.tree.OpenFile(native(t), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, escaped(t.Rel, err)
	}
	if err := r.checkOpened(f, t.Rel); err != nil {
		f.Close()
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !os.SameFile(fi, want) {
		f.Close()
		return nil, refuse("%s changed while it was being opened; try again", t.Rel)
	}
	return f, nil
}

// openDir opens a confined directory as a Root of its own, so its entries
// are looked at relative to it, never by a path that could be swapped.
func (r *Registry) openDir(t target) (*os.Root, error) {
	d, err := r.tree.OpenRoot(native(t))
	if err != nil {
		return nil, escaped(t.Rel, err)
	}
	f, err := d.Open(".")
	if err != nil {
		d.Close()
		return nil, err
	}
	err = r.checkOpened(f, t.Rel)
	f.Close()
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// checkOpened refuses a descriptor that the kernel places inside .git (a
// directory swapped for a symlink to .git after resolve). Where the system
// cannot name the descriptor, the Root's confinement stands alone.
func (r *Registry) checkOpened(f *os.File, rel string) error {
	real, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(f.Fd())))
	if err != nil {
		return nil
	}
	in, err := filepath.Rel(r.realRoot, real)
	if err != nil || !isLocal(in) {
		return nil // the Root already keeps it inside; the kernel spells it another way
	}
	if inGitDir(in) {
		return refuse("%s leads into .git through a symlink (it changed after the path was checked), which is off-limits; use the git tool to inspect the repository", rel)
	}
	return nil
}

// readRegular reads a confined regular file, or returns the error Result to give.
func (r *Registry) readRegular(tool string, t target) ([]byte, *Result) {
	fail := func(format string, args ...any) ([]byte, *Result) {
		res := failf(format, args...)
		res.Summary = tool + ": " + res.Summary
		return nil, &res
	}
	var pe *pathError
	fi, err := r.statTarget(t)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fail("%s does not exist (use find_files to look for it)", t.Rel)
	case errors.As(err, &pe):
		return fail("%s", pe.msg)
	case err != nil:
		return fail("cannot read %s: %v", t.Rel, err)
	case fi.IsDir():
		return fail("%s is a directory; use list_dir", t.Rel)
	case !fi.Mode().IsRegular():
		return fail("%s is not a regular file", t.Rel)
	case fi.Size() > maxReadFileBytes:
		return fail("%s is too large (%d MiB); use grep to find the part you need", t.Rel, fi.Size()>>20)
	}
	f, err := r.openRegular(t, fi)
	if errors.As(err, &pe) {
		return fail("%s", pe.msg)
	}
	if err != nil {
		return fail("cannot read %s: %v", t.Rel, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxReadFileBytes+1))
	switch {
	case err != nil:
		return fail("cannot read %s: %v", t.Rel, err)
	case len(data) > maxReadFileBytes:
		return fail("%s is too large (it grew while being read); use grep to find the part you need", t.Rel)
	}
	return data, nil
}

// readTarget reads a confined regular file whole, through the Root.
func (r *Registry) readTarget(t target) ([]byte, error) {
	fi, err := r.statTarget(t)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxReadFileBytes {
		return nil, refuse("%s is not a regular file of a readable size", t.Rel)
	}
	f, err := r.openRegular(t, fi)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxReadFileBytes))
}
