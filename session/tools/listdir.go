package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"gitlab.com/wend/wend/context/repo"
	"gitlab.com/wend/wend/internal/gitrun"
)

const maxDirEntries = 1000

type dirEntry struct {
	name  string
	kind  string // dir, file, symlink, other
	size  int64
	files int    // for dirs: files git knows below it
	link  string // for symlinks: the target as written
}

// listDir implements list_dir. An entry is shown when git knows it (a listed file,
// or a directory holding one) or, failing that, when `git check-ignore` says it is
// not ignored, which covers files created since the listing was cached and empty
// directories. .git is always hidden.
func (r *Registry) listDir(ctx context.Context, raw json.RawMessage) Result {
	var a struct {
		Path string `json:"path"`
	}
	if res := r.decode(ToolListDir, raw, &a); res != nil {
		return *res
	}
	t, err := r.resolve(a.Path)
	if err != nil {
		return errResult(ToolListDir, err)
	}
	var pe *pathError
	fi, err := r.statTarget(t)
	switch {
	case errors.As(err, &pe):
		return failf("list_dir: %s", pe.msg)
	case err != nil:
		return failf("list_dir: %s does not exist", t.Rel)
	case !fi.IsDir():
		return failf("list_dir: %s is a file, not a directory; use read_file", t.Rel)
	}
	// Entries are looked at relative to the directory as opened (confine.go).
	dir, err := r.openDir(t)
	if errors.As(err, &pe) {
		return failf("list_dir: %s", pe.msg)
	}
	if err != nil {
		return failf("list_dir: cannot read %s: %v", t.Rel, err)
	}
	defer dir.Close()
	ents, err := fs.ReadDir(dir.FS(), ".")
	if err != nil {
		return failf("list_dir: cannot read %s: %v", t.Rel, err)
	}
	files, err := r.repo.Files(ctx)
	if err != nil {
		return failf("list_dir: %v", err)
	}
	relOf := func(name string) string {
		if t.Rel == "." {
			return name
		}
		return t.Rel + "/" + name
	}
	var shown []dirEntry
	var unknown []dirEntry
	for _, e := range ents {
		if e.Name() == ".git" {
			continue
		}
		d := dirEntry{name: e.Name(), kind: "other"}
		info, err := dir.Lstat(e.Name())
		if err != nil {
			continue // removed while listing
		}
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			d.kind = "symlink"
			d.link, _ = dir.Readlink(e.Name())
		case info.IsDir():
			d.kind = "dir"
			d.files = countUnder(files, relOf(e.Name()))
		case info.Mode().IsRegular():
			d.kind = "file"
			d.size = info.Size()
		}
		if repo.Known(files, relOf(e.Name())) {
			shown = append(shown, d)
		} else {
			unknown = append(unknown, d)
		}
	}
	hidden := 0
	if len(unknown) > 0 {
		ignored, err := r.checkIgnore(ctx, unknown, relOf)
		if err != nil {
			return failf("list_dir: %v", err)
		}
		for _, d := range unknown {
			if ignored[d.name] {
				hidden++
			} else {
				shown = append(shown, d)
			}
		}
	}
	return r.renderDir(t.Rel, shown, hidden)
}

// checkIgnore asks git which of the entries are ignored, in one process.
func (r *Registry) checkIgnore(ctx context.Context, ents []dirEntry, relOf func(string) string) (map[string]bool, error) {
	var in bytes.Buffer
	byRel := map[string]string{}
	for _, d := range ents {
		p := relOf(d.name)
		if d.kind == "dir" {
			p += "/" // so directory-only patterns ("build/") apply
		}
		byRel[p] = d.name
		in.WriteString(p)
		in.WriteByte(0)
	}
	out, err := gitrun.Run(ctx, gitrun.Cmd{Dir: r.realRoot, Args: []string{"check-ignore", "--stdin", "-z"}, Stdin: &in})
	if err != nil && gitrun.ExitCode(err) != 1 { // 1: nothing ignored
		var ge *gitrun.Error
		if errors.As(err, &ge) {
			err = fmt.Errorf("%v: %s", ge.Err, strings.TrimSpace(ge.Stderr))
		}
		return nil, fmt.Errorf("git check-ignore: %v", err)
	}
	ignored := map[string]bool{}
	for _, p := range bytes.Split(out, []byte{0}) {
		if name, ok := byRel[string(p)]; ok {
			ignored[name] = true
		}
	}
	return ignored, nil
}

// countUnder counts the listed files below dir using the sorted order: they form
// one run starting at "dir/" and ending before "dir0" ('0' follows '/').
func countUnder(files []string, dir string) int {
	lo := sort.SearchStrings(files, dir+"/")
	hi := sort.SearchStrings(files, dir+"0")
	return hi - lo
}

func (r *Registry) renderDir(rel string, ents []dirEntry, hidden int) Result {
	sort.Slice(ents, func(i, j int) bool {
		a, b := ents[i], ents[j]
		if (a.kind == "dir") != (b.kind == "dir") {
			return a.kind == "dir"
		}
		return a.name < b.name
	})
	dirs := 0
	for _, d := range ents {
		if d.kind == "dir" {
			dirs++
		}
	}
	var b strings.Builder
	name := rel
	if rel == "." {
		name = ". (repository root)"
	}
	fmt.Fprintf(&b, "%s: %s, %s", name, plural(dirs, "directory"), plural(len(ents)-dirs, "file"))
	if hidden > 0 {
		fmt.Fprintf(&b, "; %s ignored by git not shown", plural(hidden, "entry"))
	}
	b.WriteString("\n")
	for i, d := range ents {
		if i == maxDirEntries || b.Len() > r.cfg.MaxOutputBytes-200 {
			fmt.Fprintf(&b, "[… %s more not shown; use find_files with a pattern]\n", plural(len(ents)-i, "entry"))
			break
		}
		switch d.kind {
		case "dir":
			fmt.Fprintf(&b, "dir      %s/ (%s)\n", d.name, plural(d.files, "file"))
		case "file":
			fmt.Fprintf(&b, "file     %s (%s)\n", d.name, plural(int(d.size), "byte"))
		case "symlink":
			fmt.Fprintf(&b, "symlink  %s -> %s\n", d.name, d.link)
		default:
			fmt.Fprintf(&b, "other    %s\n", d.name)
		}
	}
	return Result{Output: b.String(), Summary: fmt.Sprintf("list_dir %s: %d entries", path.Clean(rel), len(ents))}
}
