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

// Writes and other calls outside the read-only allowlist: gitguard_test.go.
