package tools

import (
	"strings"
	"testing"
)

func TestGitToolRunsReadOnlyCommands(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"a.txt": "one\n"})
	writeFiles(t, f.dir, map[string]string{"a.txt": "two\n"})

	res := f.mustOK(ToolGit, obj{"args": []string{"status", "--short"}})
	if res.Output != " M a.txt\n" {
		t.Errorf("status: %q", res.Output)
	}
	// One string is split on whitespace.
	res = f.mustOK(ToolGit, obj{"args": "log --format=%s -n 1"})
	if res.Output != "initial commit\n" {
		t.Errorf("log: %q", res.Output)
	}
	if out := f.mustOK(ToolGit, obj{"args": []string{"git", "status", "--short"}}).Output; out != " M a.txt\n" {
		t.Errorf("args starting with \"git\": %q", out)
	}
	res = f.mustOK(ToolGit, obj{"args": []string{"diff"}})
	if !strings.Contains(res.Output, "-one\n+two\n") || strings.Contains(res.Output, "\x1b[") {
		t.Errorf("diff (no colour expected): %q", res.Output)
	}
	for _, args := range [][]string{{"branch"}, {"branch", "-a", "-v"}, {"branch", "--list", "ma*"}, {"branch", "--contains", "HEAD"}, {"show", "--stat", "HEAD"}, {"blame", "a.txt"}} {
		f.mustOK(ToolGit, obj{"args": args})
	}
	res = f.mustFail(ToolGit, obj{"args": []string{"show", "no-such-rev"}}, "Exit code: 128")
	if !strings.Contains(res.Output, "no-such-rev") {
		t.Errorf("git's error is not passed on: %q", res.Output)
	}
}

func TestGitToolRefusesWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"a.txt": "one\n"})
	for _, tc := range []struct {
		args any
		want string
	}{
		{[]string{"commit", "-am", "x"}, "git commit is not allowed"},
		{[]string{"push"}, "git push is not allowed"},
		{[]string{"checkout", "-b", "x"}, "not allowed"},
		{[]string{"reset", "--hard"}, "not allowed"},
		{[]string{"-c", "core.pager=evil", "log"}, "options before the subcommand"},
		{[]string{"branch", "-D", "main"}, "git branch -D changes branches"},
		{[]string{"branch", "-m", "new"}, "changes branches"},
		{[]string{"branch", "--set-upstream-to=origin/main"}, "changes branches"},
		{[]string{"branch", "feature"}, "would create a branch"},
		{[]string{"diff", "--output=/tmp/x"}, "--output is not allowed"},
		{[]string{"diff", "--no-index", "/etc/passwd", "a.txt"}, "--no-index is not allowed"},
		{[]string{"blame", "--contents", "/etc/passwd", "a.txt"}, "--contents is not allowed"},
		{[]string{}, "args is empty"},
		{"stash", "git stash is not allowed"},
	} {
		f.mustFail(ToolGit, obj{"args": tc.args}, "Refused", tc.want)
	}
	if out := runGit(t, f.dir, "branch", "--list"); strings.TrimSpace(out) != "* main" {
		t.Errorf("branches changed: %q", out)
	}
}
