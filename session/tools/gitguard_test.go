package tools

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/session"
)

// The secrets the attacks try to read: a file outside the repository (wend's
// own key file, say) and a token in the repository's .git/config.
const (
	outsideSecret = "OUTSIDE-SECRET-4242"
	configToken   = "glpat-CONFIGTOKEN4242"
)

// guardFixture is a repository with f.go in two commits, a secret file outside
// it, and a remote URL holding a token in .git/config.
func guardFixture(t *testing.T) (f *fixture, secretAbs, secretRel string) {
	t.Helper()
	f = newFixture(t, map[string]string{"f.go": "package f\n\nfunc A() {}\n"})
	writeFiles(t, f.dir, map[string]string{"f.go": "package f\n\nfunc A() {}\n\nfunc B() {}\n"})
	runGit(t, f.dir, "commit", "-q", "-am", "second")
	runGit(t, f.dir, "config", "remote.origin.url", "https://oauth2:"+configToken+"@gitlab.example.com/g/p.git")
	secretAbs = filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(secretAbs, []byte(outsideSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(f.dir, secretAbs)
	if err != nil {
		t.Fatal(err)
	}
	return f, secretAbs, filepath.ToSlash(rel)
}

// underPolicy does what the engine does with a call: judge its Effect under
// policy, and Execute it only when the policy allows it outright.
func underPolicy(f *fixture, policy session.ApprovalPolicy, args []string) (verdict session.Verdict, res Result) {
	raw, _ := json.Marshal(obj{"args": args})
	call := Call{ID: "1", Name: ToolGit, Args: raw}
	verdict = policy.Judge(f.reg.Effect(call))
	if verdict != session.Allow {
		return verdict, Result{IsError: true, Output: "(not run: " + string(policy) + " policy)"}
	}
	return verdict, f.reg.Execute(context.Background(), call)
}

func TestGitToolAttacksCannotReadOutsideTheRepository(t *testing.T) {
	t.Parallel()
	f, secretAbs, secretRel := guardFixture(t)
	if err := os.Symlink(filepath.Dir(secretAbs), filepath.Join(f.dir, "out")); err != nil {
		t.Fatal(err)
	}
	attacks := [][]string{
		// git switches to --no-index by itself when a path is outside the repository.
		{"diff", secretAbs, "/dev/null"},
		{"diff", secretRel, "/dev/null"},
		{"diff", "--", secretAbs, "/dev/null"},
		// Abbreviations of --contents (git's parse-options accepts them).
		{"blame", "--conten=" + secretAbs, "f.go"},
		{"blame", "--content=" + secretAbs, "f.go"},
		{"blame", "--contents", secretAbs, "f.go"},
		{"blame", "--conten=.git/config", "f.go"},
		{"diff", ".git/config", "/dev/null"},
		{"diff", "--no-ind", ".git/config", "f.go"},
		{"log", "--outp=" + secretAbs},
		// A symlink inside the repository that leads out of it.
		{"diff", "out/key.txt", "f.go"},
		{"blame", "out/key.txt"},
		// Options before the subcommand.
		{"-C", filepath.Dir(secretAbs), "diff"},
		{"--git-dir=" + filepath.Join(f.dir, ".git"), "log"},
	}
	for _, args := range attacks {
		for _, policy := range []session.ApprovalPolicy{session.PolicyReadOnly, session.PolicyAsk} {
			verdict, res := underPolicy(f, policy, args)
			if strings.Contains(res.Output, outsideSecret) || strings.Contains(res.Output, configToken) {
				t.Errorf("%s: git %q revealed the secret:\n%s", policy, args, res.Output)
			}
			want := map[session.ApprovalPolicy]session.Verdict{session.PolicyReadOnly: session.Deny, session.PolicyAsk: session.Ask}[policy]
			if verdict != want {
				t.Errorf("%s: git %q judged %v, want %v (needs approval like a command)", policy, args, verdict, want)
			}
		}
	}
}

func TestGitToolApprovalDialogSaysWhy(t *testing.T) {
	t.Parallel()
	f, secretAbs, _ := guardFixture(t)
	raw, _ := json.Marshal(obj{"args": []string{"blame", "--conten=" + secretAbs, "f.go"}})
	req := f.reg.Describe(Call{Name: ToolGit, Args: raw})
	if req.Kind != session.ApproveCommand || !strings.Contains(req.Detail, "--conten") || !strings.Contains(req.Detail, "abbreviat") {
		t.Errorf("Describe = %+v, want a command request naming the abbreviation", req)
	}
}

func TestGitToolLegitimateReadsNeedNoApproval(t *testing.T) {
	t.Parallel()
	f, _, _ := guardFixture(t)
	writeFiles(t, f.dir, map[string]string{"f.go": "package f\n\nfunc A() {}\n\nfunc B() {}\n\nfunc C() {}\n"})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"log", "--oneline", "-5"}, "second"},
		{[]string{"diff", "HEAD~1", "--", "f.go"}, "+func B() {}"},
		{[]string{"blame", "-L", "1,5", "f.go"}, "package f"},
		{[]string{"blame", "-L", "/func A/,+1", "f.go"}, "func A()"},
		{[]string{"blame", "-wL1,2", "f.go"}, "package f"},
		{[]string{"show", "HEAD:f.go"}, "func B() {}"},
		{[]string{"status", "-sb"}, "## main"},
		{[]string{"diff", "--stat"}, "f.go | 2 ++"},
		{[]string{"log", "-n", "1", "--format=%s", "--", "f.go"}, "second"},
		{[]string{"show", "--stat", "HEAD"}, "f.go"},
		{[]string{"branch", "--contains", "HEAD"}, "main"},
		{[]string{"rev-parse", "--abbrev-ref", "HEAD"}, "main"},
		{[]string{"diff", "HEAD~1..HEAD", "--name-only"}, "f.go"},
	} {
		verdict, res := underPolicy(f, session.PolicyReadOnly, tc.args)
		if verdict != session.Allow || res.IsError || !strings.Contains(res.Output, tc.want) {
			t.Errorf("git %q under read-only: verdict %v, error %v, want output with %q:\n%s", tc.args, verdict, res.IsError, tc.want, res.Output)
		}
	}
}

func TestGitToolWritesNeedApproval(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"a.txt": "one\n"})
	for _, args := range [][]string{
		{"commit", "-am", "x"}, {"push"}, {"checkout", "-b", "x"}, {"reset", "--hard"}, {"stash"},
		{"-c", "core.pager=evil", "log"}, {"branch", "-D", "main"}, {"branch", "-m", "new"},
		{"branch", "--set-upstream-to=origin/main"}, {"branch", "feature"}, {"branch", "--", "feature"},
		{"diff", "--output=/tmp/x"}, {"diff", "--no-index", "/etc/passwd", "a.txt"},
		{"blame", "--contents", "/etc/passwd", "a.txt"}, {"diff", "--ext-diff"}, {"log", "--textconv", "-p"},
		{"log", "--show-signature"}, {"blame", "-S", "a.txt", "a.txt"}, {"diff", "-O/etc/passwd"},
	} {
		if v, _ := underPolicy(f, session.PolicyReadOnly, args); v != session.Deny {
			t.Errorf("git %q under read-only: %v, want Deny", args, v)
		}
	}
	if out := runGit(t, f.dir, "branch", "--list"); strings.TrimSpace(out) != "* main" {
		t.Errorf("branches changed: %q", out)
	}
	f.mustFail(ToolGit, obj{"args": []string{}}, "Refused", "args is empty")
}

func TestGitToolApprovedCommandRunsLikeRunCommand(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"a.txt": "one\n"})
	// Once approved (the engine judged it a command), it runs as run_command
	// "git ...": the working tree is recorded and the exit code reported.
	f.ws.afterChanged = []string{"b.txt"}
	res := f.mustOK(ToolGit, obj{"args": []string{"branch", "feature's"}})
	if !strings.Contains(res.Output, "Exit code: 0") || f.ws.afterCalls != 1 {
		t.Errorf("approved git branch: afterCalls %d, output:\n%s", f.ws.afterCalls, res.Output)
	}
	if out := runGit(t, f.dir, "branch", "--list", "feature*"); !strings.Contains(out, "feature's") {
		t.Errorf("the branch name was not passed as one word: %q", out)
	}
}

// hostileScript writes a program that creates marker when git runs it.
func hostileScript(t *testing.T, dir string) (script, marker string) {
	t.Helper()
	marker = filepath.Join(dir, "ran")
	script = filepath.Join(dir, "evil.sh")
	body := "#!/bin/sh\ntouch '" + marker + "'\nif [ -n \"$1\" ] && [ -f \"$1\" ]; then cat \"$1\"; else cat; fi\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, marker
}

func TestGitToolDoesNotRunProgramsFromRepositoryConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		config [][2]string
		attrs  string
		args   []string
	}{
		{"core.fsmonitor", [][2]string{{"core.fsmonitor", "SCRIPT"}}, "", []string{"status", "--short"}},
		{"diff.external", [][2]string{{"diff.external", "SCRIPT"}}, "", []string{"diff"}},
		{"textconv in diff", [][2]string{{"diff.evil.textconv", "SCRIPT"}}, "*.txt diff=evil\n", []string{"diff"}},
		{"textconv in log -p", [][2]string{{"diff.evil.textconv", "SCRIPT"}}, "*.txt diff=evil\n", []string{"log", "-p"}},
		{"textconv in blame", [][2]string{{"diff.evil.textconv", "SCRIPT"}}, "*.txt diff=evil\n", []string{"blame", "a.txt"}},
		{"external diff driver", [][2]string{{"diff.evil.command", "SCRIPT"}}, "*.txt diff=evil\n", []string{"diff"}},
		{"clean filter", [][2]string{{"filter.evil.clean", "SCRIPT"}}, "*.txt filter=evil\n", []string{"diff"}},
		{"filter process", [][2]string{{"filter.ev.il.process", "SCRIPT"}, {"filter.ev.il.required", "true"}}, "*.txt filter=ev.il\n", []string{"diff", "--stat"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, map[string]string{"a.txt": "one\n", ".gitattributes": tc.attrs})
			writeFiles(t, f.dir, map[string]string{"a.txt": "one\ntwo\n"})
			script, marker := hostileScript(t, t.TempDir())
			for _, kv := range tc.config {
				runGit(t, f.dir, "config", kv[0], strings.ReplaceAll(kv[1], "SCRIPT", script))
			}
			verdict, res := underPolicy(f, session.PolicyReadOnly, tc.args)
			if verdict != session.Allow {
				t.Fatalf("git %q: %v, want a read", tc.args, verdict)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Errorf("git %q ran the program configured by %s; output:\n%s", tc.args, tc.name, res.Output)
			}
		})
	}
}
