// Package repo is what wend knows about the repository it works in: the files git
// knows (tracked and untracked-but-not-ignored), search over them, language
// detection, and the facts the model receives with its first request. It shells out
// to the git binary through internal/gitrun and imports nothing else of wend's.
package repo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"gitlab.com/wend/wend/internal/gitrun"
)

// ErrNotRepo means the directory is not inside a git work tree.
var ErrNotRepo = errors.New("not a git repository")

// ErrDetachedHead means HEAD points at a commit, not a branch; wend needs a branch
// to work on. Errors wrapping it name the commit and say how to fix it.
var ErrDetachedHead = errors.New("detached HEAD")

// DefaultTTL is how long a file listing is reused when .git/index has not changed.
// Untracked files do not touch the index, so the TTL bounds how stale they can be.
const DefaultTTL = 2 * time.Second

// Repo is one git work tree. It caches the file listing, so it is meant to live as
// long as the session; all methods are safe for concurrent use.
type Repo struct {
	root      string
	indexPath string
	commonDir string // the git directory shared by worktrees, where wend keeps its state
	ttl       time.Duration

	mu        sync.Mutex
	files     []string
	listedAt  time.Time
	indexTime time.Time
	indexSize int64

	pickMu     sync.Mutex
	pick       *FileIndex // the picker's index of pick.paths; see FileIndex
	refreshing bool       // a background refresh of pick is running
}

// Open finds the work tree containing dir and returns it rooted at its top level.
// Outside a work tree it returns an error wrapping ErrNotRepo.
func Open(ctx context.Context, dir string) (*Repo, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	// One git process answers all three: starting git costs 15-55 ms on a loaded
	// machine, and the UI's first frame waits for this.
	out, err := gitOutput(ctx, abs, "rev-parse", "--show-toplevel", "--git-path", "index", "--git-common-dir")
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNotRepo, abs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 2 || lines[0] == "" {
		// --show-toplevel prints nothing inside .git or a bare repository.
		return nil, fmt.Errorf("%w (no work tree): %s", ErrNotRepo, abs)
	}
	root := lines[0]
	index := lines[1]
	if !filepath.IsAbs(index) {
		// --git-path is relative to the directory git ran in.
		index = filepath.Join(abs, index)
	}
	var common string
	if len(lines) > 2 {
		if common = lines[2]; !filepath.IsAbs(common) {
			common = filepath.Join(abs, common)
		}
	}
	return &Repo{root: root, indexPath: index, commonDir: common, ttl: DefaultTTL}, nil
}

// CommonDir is the repository's common git directory (shared by its worktrees),
// as git named it when the repository was opened.
func (r *Repo) CommonDir() string { return r.commonDir }

// Root is the absolute path of the work tree's top level.
func (r *Repo) Root() string { return r.root }

// SetTTL changes how long a listing is reused; 0 disables reuse.
func (r *Repo) SetTTL(d time.Duration) {
	r.mu.Lock()
	r.ttl = d
	r.mu.Unlock()
}

// Files returns the sorted, de-duplicated paths git knows: tracked files plus
// untracked files that are not ignored, relative to Root with forward slashes.
// The slice is shared between callers and must not be modified. It is reused while
// .git/index is unchanged and younger than the TTL, so a 100k-file repository pays
// for `git ls-files` at most once per TTL.
func (r *Repo) Files(ctx context.Context) ([]string, error) {
	return r.listFiles(ctx, nil)
}

// fresh reports whether the cached listing may be reused; r.mu is held.
func (r *Repo) fresh() (bool, time.Time, int64) {
	var mtime time.Time
	var size int64
	if fi, err := os.Stat(r.indexPath); err == nil {
		mtime, size = fi.ModTime(), fi.Size()
	}
	ok := r.files != nil && time.Since(r.listedAt) < r.ttl && mtime.Equal(r.indexTime) && size == r.indexSize
	return ok, mtime, size
}

// listFiles is Files, calling progress (when not nil) with the number of paths
// git has printed so far while it lists them.
func (r *Repo) listFiles(ctx context.Context, progress func(listed int)) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ok, mtime, size := r.fresh()
	if ok {
		return r.files, nil
	}
	out, err := gitStream(ctx, r.root, progress, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	if err != nil {
		return nil, fmt.Errorf("listing files: %w", err)
	}
	files := sortedUnique(splitNUL(out))
	r.files, r.listedAt, r.indexTime, r.indexSize = files, time.Now(), mtime, size
	return files, nil
}

// Invalidate drops the cached listing; call it after writing files.
func (r *Repo) Invalidate() {
	r.mu.Lock()
	r.files = nil
	r.mu.Unlock()
}

// Known reports whether git knows path (a file) or any file under it (a directory).
// "" and "." mean the root.
func Known(files []string, path string) bool {
	if path == "" || path == "." {
		return len(files) > 0
	}
	i := sort.SearchStrings(files, path)
	if i < len(files) && files[i] == path {
		return true
	}
	prefix := path + "/"
	j := sort.SearchStrings(files, prefix)
	return j < len(files) && strings.HasPrefix(files[j], prefix)
}

// splitNUL splits NUL-terminated paths. They all share one string, so a
// 100,000-file listing costs two allocations, not 100,000.
func splitNUL(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	all := string(b)
	out := make([]string, 0, bytes.Count(b, []byte{0})+1)
	for len(all) > 0 {
		i := strings.IndexByte(all, 0)
		if i < 0 {
			out = append(out, all)
			break
		}
		if i > 0 {
			out = append(out, all[:i])
		}
		all = all[i+1:]
	}
	return out
}

// sortedUnique sorts and de-duplicates git's listing. `ls-files --cached --others`
// prints two sorted runs (the untracked files, then the index), so merging the two
// runs costs one pass where a sort would cost n log n comparisons. A file in both
// (deleted from the index but present) appears once; a path deleted from disk but
// still tracked is kept: git still knows it.
func sortedUnique(s []string) []string {
	cut := 1
	for cut < len(s) && s[cut-1] <= s[cut] {
		cut++
	}
	switch {
	case cut >= len(s):
	case isSortedStrings(s[cut:]):
		merged := make([]string, 0, len(s))
		a, b := s[:cut], s[cut:]
		for len(a) > 0 && len(b) > 0 {
			if b[0] < a[0] {
				merged, b = append(merged, b[0]), b[1:]
			} else {
				merged, a = append(merged, a[0]), a[1:]
			}
		}
		s = append(append(merged, a...), b...)
	default:
		sort.Strings(s)
	}
	return compactSorted(s)
}

func isSortedStrings(s []string) bool {
	for i := 1; i < len(s); i++ {
		if s[i-1] > s[i] {
			return false
		}
	}
	return true
}

func compactSorted(s []string) []string {
	if len(s) < 2 {
		return s
	}
	w := 1
	for i := 1; i < len(s); i++ {
		if s[i] != s[w-1] {
			s[w] = s[i]
			w++
		}
	}
	return s[:w]
}

// gitBytes runs git in dir with pager and colour off and returns stdout; on failure
// the error carries git's stderr.
func gitBytes(ctx context.Context, dir string, args ...string) ([]byte, error) {
	return gitExec(ctx, dir, nil, args)
}

// gitExec runs git through gitrun (plain output, read-only, C locale), writing
// its standard output to stdout when that is not nil.
func gitExec(ctx context.Context, dir string, stdout io.Writer, args []string) ([]byte, error) {
	full := append(append([]string{}, gitrun.Plain...), args...)
	out, err := gitrun.Run(ctx, gitrun.Cmd{Dir: dir, Args: full, ReadOnly: true, Env: gitrun.ParseEnv, Stdout: stdout})
	if err != nil {
		var ge *gitrun.Error
		if errors.As(err, &ge) {
			err = ge.Err
		}
		msg := ""
		if ge != nil {
			msg = strings.TrimSpace(ge.Stderr)
		}
		if msg == "" {
			return out, fmt.Errorf("git %s: %w", args[0], err)
		}
		return out, fmt.Errorf("git %s: %w: %s", args[0], err, msg)
	}
	return out, nil
}

func gitOutput(ctx context.Context, dir string, args ...string) (string, error) {
	b, err := gitBytes(ctx, dir, args...)
	return string(b), err
}
