package gitops

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// Entry is one path's content in a tree, the index or the working tree: a
// git mode ("100644", "100755", "120000") and a blob id. The zero Entry means
// the path does not exist.
type Entry struct {
	Mode string
	OID  string
}

// Exists reports whether the entry names a file.
func (e Entry) Exists() bool { return e.Mode != "" }

// repo is a repository's root and the plumbing gitops needs from it. All calls
// run with the root as working directory.
type repo struct {
	git  Runner
	root string
	// index is the repository's own index file (per worktree).
	index     string
	objects   string // object directory
	commonDir string // where refs live (shared by worktrees)
	format    string // "sha1" or "sha256"
	wendDir   string // <git dir>/wend/<session> (per worktree)
	// tmpPrefix starts the names of temporary files in the working tree
	// (disk.go): ".wend-tmp-<session>-" for a session's.
	tmpPrefix string

	// tree is the working tree opened as a Root (disk.go), on first use.
	treeMu   sync.Mutex
	tree     *os.Root
	treeReal string // root with symlinks resolved, as the kernel names it

	// Test-only: crash is called at every write boundary (crash.go), and
	// owner, when set, is the identity index.lock owner names carry instead
	// of this process's (lock.go), so an in-process "crash" leaves a lock of
	// a process that is gone.
	crash func(point string)
	owner *lockOwner
}

func (r *repo) run(ctx context.Context, c *Cmd) ([]byte, error) {
	return r.git.Run(ctx, c.InDir(r.root))
}

// discover finds the top level, index, object directory and ref store of the
// repository containing dir, and the directory for a session's files, in one
// git call.
func discover(ctx context.Context, g Runner, dir, session string) (*repo, error) {
	out, err := g.Run(ctx, Git("rev-parse", "--show-toplevel", "--git-path", "index", "--git-path", "objects",
		"--git-common-dir", "--show-object-format", "--git-path", "wend/"+session).InDir(dir).Read())
	if err != nil {
		return nil, fmt.Errorf("gitops: %s is not inside a git working tree: %w", dir, err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != 6 {
		return nil, fmt.Errorf("gitops: unexpected rev-parse output %q", out)
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	return &repo{git: g, root: lines[0], index: abs(lines[1]), objects: abs(lines[2]),
		commonDir: abs(lines[3]), format: lines[4], wendDir: abs(lines[5])}, nil
}

// readBlobs fetches blob contents in one `cat-file --batch` call.
func (r *repo) readBlobs(ctx context.Context, oids []string) (map[string][]byte, error) {
	res := make(map[string][]byte, len(oids))
	if len(oids) == 0 {
		return res, nil
	}
	out, err := r.run(ctx, Git("cat-file", "--batch").Read().Input([]byte(strings.Join(oids, "\n")+"\n")))
	if err != nil {
		return nil, err
	}
	for _, want := range oids {
		nl := bytes.IndexByte(out, '\n')
		if nl < 0 {
			return nil, fmt.Errorf("gitops: short cat-file output for %s", want)
		}
		f := strings.Fields(string(out[:nl]))
		if len(f) != 3 {
			return nil, fmt.Errorf("gitops: cat-file: %s", out[:nl])
		}
		size, err := strconv.Atoi(f[2])
		if err != nil || nl+1+size > len(out) {
			return nil, fmt.Errorf("gitops: cat-file: bad header %q", out[:nl])
		}
		res[want] = out[nl+1 : nl+1+size : nl+1+size]
		out = out[nl+1+size:]
		if len(out) > 0 && out[0] == '\n' {
			out = out[1:]
		}
	}
	return res, nil
}

// indexEntries returns the stage-0 entries of the given paths in the index file
// (the repository's own when index is ""). A path with conflict stages is an
// error: the user is in the middle of a merge there.
func (r *repo) indexEntries(ctx context.Context, index string, paths []string) (map[string]Entry, error) {
	c := Git("ls-files", "-s", "-z").Read().Paths(paths...)
	if index != "" {
		c.Index(index)
	}
	out, err := r.run(ctx, c)
	if err != nil {
		return nil, err
	}
	want := make(map[string]bool, len(paths))
	for _, p := range paths {
		want[p] = true
	}
	res := make(map[string]Entry, len(paths))
	for _, rec := range splitZ(out) {
		meta, path, ok := strings.Cut(rec, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 || !want[path] {
			continue // a directory pathspec matched a file below it
		}
		if f[2] != "0" {
			return nil, fmt.Errorf("gitops: %q has unresolved merge conflicts in the index", path)
		}
		res[path] = Entry{Mode: f[0], OID: f[1]}
	}
	return res, nil
}

// updateIndex sets (or, for a zero Entry, removes) index entries in one call.
func (r *repo) updateIndex(ctx context.Context, index string, set map[string]Entry) error {
	if len(set) == 0 {
		return nil
	}
	var in bytes.Buffer
	for p, e := range set {
		if e.Exists() {
			fmt.Fprintf(&in, "%s %s\t%s\x00", e.Mode, e.OID, p)
		} else {
			fmt.Fprintf(&in, "0 %s\t%s\x00", strings.Repeat("0", 40), p)
		}
	}
	c := Git("update-index", "-z", "--index-info").Input(in.Bytes())
	if index != "" {
		c.Index(index)
	}
	_, err := r.run(ctx, c)
	return err
}

// indexDiff lists the paths whose entries in the given index file differ
// from a tree.
func (r *repo) indexDiff(ctx context.Context, index, tree string) (map[string][2]Entry, error) {
	out, err := r.run(ctx, Git("diff-index", "--cached", "-z", "--no-renames", "--raw", tree).Index(index).Read())
	if err != nil {
		return nil, err
	}
	return parseRaw(out)
}

// parseRaw reads `--raw -z` output: ":<mode> <mode> <oid> <oid> <status>\0<path>\0".
func parseRaw(out []byte) (map[string][2]Entry, error) {
	res := map[string][2]Entry{}
	recs := splitZ(out)
	for i := 0; i+1 < len(recs); i += 2 {
		// ":100644 100644 <old> <new> M" then the path.
		f := strings.Fields(strings.TrimPrefix(recs[i], ":"))
		if len(f) < 5 {
			return nil, fmt.Errorf("gitops: diff-tree: %q", recs[i])
		}
		res[recs[i+1]] = [2]Entry{entryOf(f[0], f[2]), entryOf(f[1], f[3])}
	}
	return res, nil
}

func entryOf(mode, oid string) Entry {
	if strings.Trim(mode, "0") == "" {
		return Entry{}
	}
	return Entry{Mode: mode, OID: oid}
}
