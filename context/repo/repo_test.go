package repo

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFilesListsTrackedAndUntrackedButNotIgnored(t *testing.T) {
	dir := newGitRepo(t, map[string]string{
		".gitignore": "*.log\nbuild/\n",
		"a.go":       "package a\n",
		"sub/b.go":   "package sub\n",
	})
	writeFiles(t, dir, map[string]string{
		"new.txt":       "untracked\n",
		"debug.log":     "ignored\n",
		"build/out.bin": "ignored\n",
	})
	// Staged and also present on disk: must appear once.
	runGit(t, dir, "add", "new.txt")
	writeFiles(t, dir, map[string]string{"other.txt": "untracked\n"})

	got, err := openRepo(t, dir).Files(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".gitignore", "a.go", "new.txt", "other.txt", "sub/b.go"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}
}

func TestFilesCacheIsReusedUntilIndexChangesOrInvalidate(t *testing.T) {
	dir := newGitRepo(t, map[string]string{"a.go": "package a\n"})
	r := openRepo(t, dir)
	r.SetTTL(time.Hour)
	ctx := context.Background()
	first, err := r.Files(ctx)
	if err != nil {
		t.Fatal(err)
	}

	writeFiles(t, dir, map[string]string{"b.go": "package a\n"})
	cached, _ := r.Files(ctx)
	if len(cached) != len(first) {
		t.Fatalf("untracked file seen within TTL without index change: %v", cached)
	}
	r.Invalidate()
	fresh, _ := r.Files(ctx)
	if diff := cmp.Diff([]string{"a.go", "b.go"}, fresh); diff != "" {
		t.Errorf("after Invalidate (-want +got):\n%s", diff)
	}

	// Changing the index invalidates without an explicit call.
	writeFiles(t, dir, map[string]string{"c.go": "package a\n"})
	time.Sleep(10 * time.Millisecond) // distinct index mtime even on coarse clocks
	runGit(t, dir, "add", "c.go")
	again, _ := r.Files(ctx)
	if diff := cmp.Diff([]string{"a.go", "b.go", "c.go"}, again); diff != "" {
		t.Errorf("after git add (-want +got):\n%s", diff)
	}
}

func TestOpenFindsTopLevelAndRefusesNonRepo(t *testing.T) {
	dir := newGitRepo(t, map[string]string{"sub/x.go": "package sub\n"})
	r := openRepo(t, filepath.Join(dir, "sub"))
	real, _ := filepath.EvalSymlinks(dir)
	gotReal, _ := filepath.EvalSymlinks(r.Root())
	if gotReal != real {
		t.Errorf("Root = %s, want %s", r.Root(), dir)
	}

	_, err := Open(context.Background(), t.TempDir())
	if !errors.Is(err, ErrNotRepo) {
		t.Fatalf("Open(non-repo) = %v, want ErrNotRepo", err)
	}
}

func TestGlobRules(t *testing.T) {
	dir := newGitRepo(t, map[string]string{
		"main.go": "", "cmd/app/main.go": "", "cmd/tool.go": "", "README.md": "", "docs/a.md": "",
	})
	r := openRepo(t, dir)
	for _, tc := range []struct {
		pattern string
		want    []string
	}{
		{"**/*.go", []string{"cmd/app/main.go", "cmd/tool.go", "main.go"}},
		{"*.go", []string{"cmd/app/main.go", "cmd/tool.go", "main.go"}}, // no slash: any directory
		{"cmd/*.go", []string{"cmd/tool.go"}},
		{"cmd/**", []string{"cmd/app/main.go", "cmd/tool.go"}},
		{"./docs/*.md", []string{"docs/a.md"}},
		{"{README,docs/a}.md", []string{"README.md", "docs/a.md"}},
		{"*.rs", nil},
	} {
		got, err := r.Glob(context.Background(), tc.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tc.pattern, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Glob(%q) (-want +got):\n%s", tc.pattern, diff)
		}
	}
	if _, err := r.Glob(context.Background(), "[unclosed"); err == nil {
		t.Error("invalid pattern accepted")
	}
}

func TestLanguage(t *testing.T) {
	for p, want := range map[string]string{
		"a/b.go": "Go", "x.TSX": "TypeScript", "Makefile": "Makefile", "sub/Dockerfile.dev": "Dockerfile",
		"LICENSE": "", "img.png": "", "lib/task.rake": "Ruby",
	} {
		if got := Language(p); got != want {
			t.Errorf("Language(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// Opened from a subdirectory, or from a linked worktree, the common git
// directory is the main repository's .git: wend's sessions live there, and the
// one rev-parse that opens the repository must name it right (a relative
// answer is relative to where git ran, not to the top level).
func TestOpenNamesTheCommonGitDir(t *testing.T) {
	dir := newGitRepo(t, map[string]string{"sub/x.go": "package sub\n"})
	want, _ := filepath.EvalSymlinks(filepath.Join(dir, ".git"))
	same := func(t *testing.T, got string) {
		t.Helper()
		if real, _ := filepath.EvalSymlinks(got); real != want {
			t.Errorf("CommonDir = %q, want %q", got, want)
		}
	}
	same(t, openRepo(t, filepath.Join(dir, "sub")).CommonDir())
	same(t, openRepo(t, dir).CommonDir())

	wt := filepath.Join(t.TempDir(), "wt")
	if out, err := exec.Command("git", "-C", dir, "worktree", "add", "-q", "--detach", wt).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	same(t, openRepo(t, wt).CommonDir())
}
