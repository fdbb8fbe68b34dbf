package gitops

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// scriptRunner expects exact git invocations in order and fails on anything
// else, and (through verify) on expected calls that never came.
type scriptRunner struct {
	t     *testing.T
	calls []scriptCall
}

type scriptCall struct {
	args []string
	out  string
	err  error
}

func (s *scriptRunner) Run(_ context.Context, c *Cmd) ([]byte, error) {
	s.t.Helper()
	if len(s.calls) == 0 {
		s.t.Fatalf("unexpected %s", c)
	}
	want := s.calls[0]
	s.calls = s.calls[1:]
	if !slices.Equal(c.Args, want.args) {
		s.t.Fatalf("got %s, want git %s", c, strings.Join(want.args, " "))
	}
	return []byte(want.out), want.err
}

func (s *scriptRunner) verify() {
	s.t.Helper()
	if len(s.calls) > 0 {
		s.t.Fatalf("expected calls never came: %v", s.calls)
	}
}

func TestPushUsesConfiguredRemote(t *testing.T) {
	sr := &scriptRunner{t: t, calls: []scriptCall{
		{args: []string{"config", "--get", "branch.wend/fix.remote"}, out: "upstream\n"},
		{args: []string{"push", "--quiet", "--set-upstream", "upstream", "refs/heads/wend/fix:refs/heads/wend/fix"}},
	}}
	if err := Push(bg, sr, "/repo", "", "wend/fix"); err != nil {
		t.Fatal(err)
	}
	sr.verify()
}

func TestSwitchBranchCreatesOrSwitches(t *testing.T) {
	sr := &scriptRunner{t: t, calls: []scriptCall{
		{args: []string{"check-ref-format", "--branch", "wend/add-login"}},
		{args: []string{"rev-parse", "--verify", "--quiet", "HEAD"}, out: "abc\n"},
		{args: []string{"rev-parse", "--verify", "--quiet", "refs/heads/wend/add-login"}, err: &GitError{ExitCode: 1}},
		{args: []string{"switch", "--quiet", "-c", "wend/add-login"}},
	}}
	name, err := SwitchBranch(bg, sr, "/repo", "Add login!")
	if err != nil || name != "wend/add-login" {
		t.Fatalf("%q %v", name, err)
	}
	sr.verify()
}

func TestCommitBranchPushForReal(t *testing.T) {
	remote := t.TempDir()
	r := newTestRepo(t)
	(&testRepo{t: t, dir: remote}).git("init", "-q", "--bare")
	r.write("a.txt", "a\n")
	r.commitAll("init")
	r.git("remote", "add", "origin", remote)
	s := r.start("finish")
	s.WriteFile(bg, "a.txt", []byte("a\nagent\n"), 0o644)
	s.WriteFile(bg, "b.txt", []byte("rejected\n"), 0o644)
	s.AcceptFile(bg, "a.txt", "")
	name, err := SwitchBranch(bg, nil, r.dir, "add agent line")
	if err != nil {
		t.Fatal(err)
	}
	id, err := Commit(bg, nil, r.dir, "Add agent line")
	if err != nil {
		t.Fatal(err)
	}
	if err := Push(bg, nil, r.dir, "", name); err != nil {
		t.Fatal(err)
	}
	got := (&testRepo{t: t, dir: remote}).git("rev-parse", "refs/heads/"+name)
	if strings.TrimSpace(got) != id {
		t.Fatalf("remote has %s, want %s", got, id)
	}
	if files := r.git("show", "--name-only", "--format=", id); files != "a.txt\n" {
		t.Fatalf("commit holds %q", files)
	}
	if _, err := Commit(bg, nil, r.dir, " "); err == nil {
		t.Fatal("empty message accepted")
	}
	if err := Push(bg, nil, r.dir, filepath.Join(remote, "missing"), name); err == nil || !strings.Contains(err.Error(), "push") {
		t.Fatalf("push to a missing remote: %v", err)
	}
}
