package tools

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// pathError is a refusal the model can act on; tools return its text as is.
type pathError struct{ msg string }

func (e *pathError) Error() string { return e.msg }

func refuse(format string, args ...any) error {
	return &pathError{msg: fmt.Sprintf(format, args...)}
}

// target is a confined path: Rel is slash-separated and relative to the root ("."
// for the root itself), Abs is the real location with every symlink resolved, so
// reads and writes through it cannot leave the repository.
type target struct {
	Rel string
	Abs string
}

// resolve confines p to the repository. It refuses absolute paths (suggesting the
// relative one when p lies inside the root), ".." escapes, symlinks leading
// outside, broken symlinks (a write through one could land anywhere) and anything
// inside .git. p may name something that does not exist yet (create_file); then
// its deepest existing ancestor is resolved.
func (r *Registry) resolve(p string) (target, error) {
	orig := p
	p = strings.TrimSpace(p)
	if p == "" {
		return target{}, refuse("path is empty; give a path relative to the repository root (\".\" is the root)")
	}
	native := filepath.FromSlash(p)
	if filepath.IsAbs(native) {
		for _, root := range []string{r.root, r.realRoot} {
			if rel, err := filepath.Rel(root, filepath.Clean(native)); err == nil && isLocal(rel) {
				return target{}, refuse("absolute paths are not accepted; use %q (relative to the repository root)", filepath.ToSlash(rel))
			}
		}
		return target{}, refuse("path escapes the repository: %s (absolute paths are not accepted; use a path relative to the repository root)", orig)
	}
	clean := filepath.Clean(native)
	if !isLocal(clean) {
		return target{}, refuse("path escapes the repository: %s", orig)
	}
	if inGitDir(clean) {
		return target{}, refuse("%s is inside .git, which is off-limits; use the git tool to inspect the repository", orig)
	}
	// Find the deepest part of the path that exists (a broken symlink counts as
	// existing) and resolve its symlinks; the parts below it do not exist, so they
	// cannot be symlinks.
	parts := strings.Split(clean, string(filepath.Separator))
	if clean == "." {
		parts = nil
	}
	real := ""
	i := len(parts)
	for ; i >= 0; i-- {
		cand := filepath.Join(append([]string{r.realRoot}, parts[:i]...)...)
		if _, err := os.Lstat(cand); err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				continue
			}
			return target{}, refuse("cannot access %s: %v", orig, err)
		}
		res, err := filepath.EvalSymlinks(cand)
		if err != nil {
			return target{}, refuse("%s is or passes through a broken symlink; refusing to follow it", orig)
		}
		real = filepath.Join(append([]string{res}, parts[i:]...)...)
		break
	}
	rel, err := filepath.Rel(r.realRoot, real)
	if err != nil || !isLocal(rel) {
		return target{}, refuse("path escapes the repository: %s (through a symlink)", orig)
	}
	if inGitDir(rel) {
		return target{}, refuse("%s leads into .git, which is off-limits; use the git tool to inspect the repository", orig)
	}
	return target{Rel: filepath.ToSlash(rel), Abs: real}, nil
}

// isLocal reports whether a cleaned relative path stays inside its base.
func isLocal(rel string) bool {
	return rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// inGitDir reports whether a cleaned relative path names git's directory (or a
// worktree's .git file) or anything under it. Like git's own path checks it
// ignores case and the trailing dots and spaces Windows drops, and knows the
// 8.3 short name: on a case-insensitive or NTFS file system ".GIT", ".git." and
// "GIT~1" are .git, and a write there could plant a hook.
func inGitDir(clean string) bool {
	for _, part := range strings.Split(clean, string(filepath.Separator)) {
		part = strings.ToLower(strings.TrimRight(part, ". "))
		if part == ".git" || part == "git~1" {
			return true
		}
	}
	return false
}
