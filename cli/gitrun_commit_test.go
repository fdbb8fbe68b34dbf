package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gitlab.com/wend/wend/internal/gitrun"
)

// Every git process of `wend commit` goes through internal/gitrun, so the
// runner's observer sees the whole flow: this test asserts exactly which git
// commands the commit, branch and push steps ran, in order.
func TestCommitFlowRunsExactlyTheseGitCommands(t *testing.T) {
	dir := demoRepo(t)
	os.WriteFile(filepath.Join(dir, "stats.go"), []byte("package stats\n\n// Mean is fixed.\n"), 0o644)
	git(t, dir, "add", "stats.go")
	bare := t.TempDir()
	git(t, bare, "init", "-q", "--bare")
	git(t, dir, "remote", "add", "origin", bare)
	t.Setenv("GIT_AUTHOR_NAME", "t")
	t.Setenv("GIT_AUTHOR_EMAIL", "t@x")
	t.Setenv("GIT_COMMITTER_NAME", "t")
	t.Setenv("GIT_COMMITTER_EMAIL", "t@x")
	env := wendEnv(t, nil)

	var mu sync.Mutex
	var ran []string
	ctx := gitrun.WithObserver(context.Background(), func(r gitrun.Record) {
		mu.Lock()
		defer mu.Unlock()
		ran = append(ran, r.String())
	})
	var out, errb bytes.Buffer
	code := run(ctx, []string{"-C", dir, "commit", "-m", "Fix Mean", "--no-edit", "--branch", "--push"},
		strings.NewReader(""), &out, &errb, env)
	if code != 0 {
		t.Fatalf("commit: %d %s %s", code, out.String(), errb.String())
	}
	// Opening the workspace and finding the session store read the repository
	// (their commands belong to those steps); from the index check on, this is
	// the commit flow, every command of it.
	want := []string{
		"git diff --no-ext-diff --no-textconv --cached --stat",
		"git check-ref-format --branch wend/change",
		"git rev-parse --verify --quiet HEAD",
		"git rev-parse --verify --quiet refs/heads/wend/change",
		"git switch --quiet -c wend/change",
		"git commit --quiet --file=-",
		"git rev-parse --verify HEAD",
		"git symbolic-ref --short HEAD",
		"git config --get branch.wend/change.remote",
		"git push --quiet --set-upstream origin refs/heads/wend/change:refs/heads/wend/change",
	}
	if got := commitFlow(ran); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the commit flow ran\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if !strings.Contains(out.String(), "Pushed wend/change") {
		t.Errorf("output: %s", out.String())
	}

	// With nothing staged, commit reads the index and stops: nothing that
	// writes (switch, commit, push) runs.
	ran = nil
	code = run(ctx, []string{"-C", dir, "commit", "-m", "again", "--no-edit"}, strings.NewReader(""), &out, &errb, env)
	if code != ExitUsage {
		t.Fatalf("empty commit: %d %s", code, errb.String())
	}
	if got := commitFlow(ran); strings.Join(got, "\n") != "git diff --no-ext-diff --no-textconv --cached --stat" {
		t.Errorf("an empty commit ran\n  %s", strings.Join(got, "\n  "))
	}
}

// commitFlow is what ran from the index check on, without the lookups of the
// repository's git directory (the session store's, repeated as it is opened).
func commitFlow(ran []string) []string {
	var flow []string
	for _, r := range ran {
		if r == "git diff --no-ext-diff --no-textconv --cached --stat" {
			flow = flow[:0]
		}
		if r != "git rev-parse --git-common-dir" {
			flow = append(flow, r)
		}
	}
	for len(flow) > 0 && flow[0] != "git diff --no-ext-diff --no-textconv --cached --stat" {
		flow = flow[1:]
	}
	return flow
}
