package gitops

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// raceScene is an ended session (no process has it open) whose agent changed
// a.txt in two places and b.txt once.
type raceScene struct {
	r                   *testRepo
	hunkTop, hunkBottom string
}

const raceID = "race"

func newRaceScene(t *testing.T, acceptTop bool) *raceScene {
	r := newTestRepo(t)
	orig := lines(24, "line")
	r.write("a.txt", orig)
	r.write("b.txt", "b one\nb two\n")
	r.commitAll("init")
	s := r.start(raceID)
	if err := s.WriteFile(bg, "a.txt", []byte(replaceLine(replaceLine(orig, 3, "agent 3"), 20, "agent 20")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFile(bg, "b.txt", []byte("b one\nagent b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &raceScene{r: r}
	for _, fc := range mustProposals(t, s) {
		if fc.Path == "a.txt" {
			c.hunkTop, c.hunkBottom = fc.Hunks[0].ID, fc.Hunks[1].ID
		}
	}
	if acceptTop {
		if _, err := s.AcceptHunk(bg, c.hunkTop, ""); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	return c
}

// raceState renders what a user can observe: files, index, pending
// proposals and the decisions in order.
func raceState(t *testing.T, dir string) string {
	t.Helper()
	r := &testRepo{t: t, dir: dir}
	var b strings.Builder
	for _, p := range []string{"a.txt", "b.txt"} {
		disk, _ := r.read(p)
		idx, _ := r.staged(p)
		fmt.Fprintf(&b, "%s disk %q index %q\n", p, disk, idx)
	}
	s, err := Open(bg, dir, raceID)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, fc := range mustProposals(t, s) {
		fmt.Fprintf(&b, "pending %s", fc.Path)
		for _, h := range fc.Hunks {
			fmt.Fprintf(&b, " %s", h.ID)
		}
		b.WriteString("\n")
	}
	for _, d := range s.Decisions() {
		fmt.Fprintf(&b, "decision %d %s %s %v undoes %d\n", d.Seq, d.Action, d.Path, d.HunkIDs, d.Undoes)
	}
	return b.String()
}

// inProcessOp runs a helper op on a fresh Open of the session.
func inProcessOp(t *testing.T, dir string, op []string) {
	t.Helper()
	s, err := Open(bg, dir, raceID)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := helperOp(s, op); err != nil {
		t.Fatalf("%v: %v", op, err)
	}
}

// TestDecisionsRacingInSeparateProcesses runs two decision commands at once
// on an ended session, each in its own process, both having opened the
// session before either decides: the result must be that of one of the two
// serial orders, every time.
func TestDecisionsRacingInSeparateProcesses(t *testing.T) {
	type pair struct {
		name      string
		acceptTop bool // accepted before the race
		a, b      func(c *raceScene) []string
	}
	pairs := []pair{
		{"accept A & reject B", false,
			func(c *raceScene) []string { return []string{"accept-hunk", c.hunkTop} },
			func(c *raceScene) []string { return []string{"reject-file", "b.txt"} }},
		{"accept all & reject all", false,
			func(c *raceScene) []string { return []string{"accept-all"} },
			func(c *raceScene) []string { return []string{"reject-all"} }},
		{"undo & accept", true,
			func(c *raceScene) []string { return []string{"undo", c.hunkTop} },
			func(c *raceScene) []string { return []string{"accept-hunk", c.hunkBottom} }},
	}
	const trials = 10
	for _, p := range pairs {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			// The two serial orders, each from its own copy of the scene.
			var serial []string
			for _, order := range [][]func(*raceScene) []string{{p.a, p.b}, {p.b, p.a}} {
				c := newRaceScene(t, p.acceptTop)
				for _, op := range order {
					inProcessOp(t, c.r.dir, op(c))
				}
				serial = append(serial, raceState(t, c.r.dir))
			}
			for trial := range trials {
				c := newRaceScene(t, p.acceptTop)
				runTogether(t, c.r.dir, p.a(c), p.b(c))
				got := raceState(t, c.r.dir)
				if got != serial[0] && got != serial[1] {
					t.Fatalf("trial %d: the result is neither serial order:\n%s\nwant either\n%s\nor\n%s", trial, got, serial[0], serial[1])
				}
			}
		})
	}
}

// runTogether starts one helper per op, waits until each has opened the
// session, then releases them at once.
func runTogether(t *testing.T, dir string, ops ...[]string) {
	t.Helper()
	var cmds []*exec.Cmd
	var errs []*strings.Builder
	var releases []io.WriteCloser
	defer func() {
		for _, w := range releases {
			w.Close()
		}
	}()
	for _, op := range ops {
		cmd := helper(t, helperSpec{Dir: dir, ID: raceID, Op: op, Wait: true})
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		errBuf := &strings.Builder{}
		cmd.Stderr = errBuf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		releases = append(releases, stdin)
		if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "ready\n" {
			cmd.Wait()
			t.Fatalf("helper %v: %q %v\n%s", op, line, err, errBuf)
		}
		cmds, errs = append(cmds, cmd), append(errs, errBuf)
	}
	for _, w := range releases {
		w.Write([]byte("go\n"))
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper %v: %v\n%s", ops[i], err, errs[i])
		}
	}
}
