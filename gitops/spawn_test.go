package gitops

import (
	"context"
	"sync"
	"testing"
)

// countingRunner counts git processes by subcommand.
type countingRunner struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *countingRunner) Run(ctx context.Context, cmd *Cmd) ([]byte, error) {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[Subcommand(cmd.Args)]++
	c.mu.Unlock()
	return ExecRunner{}.Run(ctx, cmd)
}

func (c *countingRunner) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = nil
	return n
}

// A decision must stay fast whatever the repository size and however slow
// process creation is, so its git processes are counted: accepts, rejects
// and agent writes spawn none (the index is updated in-process, index.go).
func TestDecisionsSpawnFewProcesses(t *testing.T) {
	r := newTestRepo(t)
	orig := lines(60, "s")
	r.write("a.txt", orig)
	r.commitAll("init")
	cr := &countingRunner{}
	s, err := Start(bg, r.dir, "spawn", WithRunner(cr))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := cr.take(); len(n) != 2 || n["rev-parse"] != 1 || n["add"] != 1 {
		t.Fatalf("start spawned %v", n)
	}
	agent := replaceLine(replaceLine(orig, 5, "agent 5"), 50, "agent 50")
	if err := s.WriteFile(bg, "a.txt", []byte(agent), 0o644); err != nil {
		t.Fatal(err)
	}
	if n := cr.take(); len(n) != 0 {
		t.Fatalf("agent write spawned %v", n)
	}
	ps, err := s.Proposals(bg)
	if err != nil || len(ps) != 1 || len(ps[0].Hunks) != 2 {
		t.Fatalf("%+v %v", ps, err)
	}
	if _, err := s.AcceptHunk(bg, ps[0].Hunks[0].ID, ""); err != nil {
		t.Fatal(err)
	}
	if n := cr.take(); len(n) != 0 {
		t.Fatalf("accept spawned %v", n)
	}
	if _, err := s.RejectHunk(bg, ps[0].Hunks[1].ID, ""); err != nil {
		t.Fatal(err)
	}
	if n := cr.take(); len(n) != 0 {
		t.Fatalf("reject spawned %v", n)
	}
	if got, _ := r.staged("a.txt"); got != replaceLine(orig, 5, "agent 5") {
		t.Fatalf("index %q", got)
	}
}

func TestGitErrorSaysWhatFailed(t *testing.T) {
	_, err := ExecRunner{}.Run(bg, Git("rev-parse", "--verify", "no-such-ref").InDir(t.TempDir()))
	ge, ok := err.(*GitError)
	if !ok || ge.ExitCode == 0 || ge.Stderr == "" {
		t.Fatalf("%#v", err)
	}
	if msg := err.Error(); msg[:13] != "git rev-parse" {
		t.Fatalf("message %q", msg)
	}
}
