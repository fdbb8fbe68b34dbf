package gitops

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The tests in this file run gitops operations in a separate process: the
// test binary re-executed with GITOPS_HELPER set (TestMain), so that a crash
// can be a real SIGKILL at a chosen write boundary and two decisions can
// really run at once.

func TestMain(m *testing.M) {
	if spec := os.Getenv("GITOPS_HELPER"); spec != "" {
		os.Exit(helperMain(spec))
	}
	os.Exit(m.Run())
}

// helperSpec is what the parent test asks the helper process to do.
type helperSpec struct {
	Dir, ID string
	Op      []string
	// CrashAt kills the process (SIGKILL) at the CrashAt-th write boundary
	// (crashPoint); 0: never.
	CrashAt int
	// Wait: after Open, print "ready" and wait for a line on stdin, so that
	// two helpers decide at the same moment.
	Wait bool
}

func helperMain(spec string) int {
	var h helperSpec
	if err := json.Unmarshal([]byte(spec), &h); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	n := 0
	crashHook = func(point string) {
		n++
		if n == h.CrashAt {
			fmt.Fprintf(os.Stderr, "crash at %s (%d)\n", point, n)
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
	s, err := Open(bg, h.Dir, h.ID)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 1
	}
	defer s.Close()
	if h.Wait {
		fmt.Println("ready")
		bufio.NewReader(os.Stdin).ReadString('\n')
	}
	if err := helperOp(s, h.Op); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ok")
	return 0
}

func helperOp(s *Session, op []string) error {
	arg := func(i int) string { return op[i] }
	var err error
	switch op[0] {
	case "accept-hunk":
		_, err = s.AcceptHunk(bg, arg(1), "")
	case "reject-hunk":
		_, err = s.RejectHunk(bg, arg(1), "")
	case "accept-file":
		_, err = s.AcceptFile(bg, arg(1), "")
	case "reject-file":
		_, err = s.RejectFile(bg, arg(1), "")
	case "accept-all":
		_, err = s.AcceptAll(bg, "")
	case "reject-all":
		_, err = s.RejectAll(bg, "")
	case "undo":
		_, err = s.Undo(bg, arg(1), "")
	case "undo-all":
		_, err = s.UndoAll(bg, "")
	case "modify":
		var cur []byte
		if cur, err = s.AgentVersion(bg, arg(1)); err == nil {
			_, err = s.Modify(bg, arg(1), []byte(strings.Replace(string(cur), arg(2), arg(3), 1)), "")
		}
	case "write":
		err = s.WriteFile(bg, arg(1), []byte(arg(2)), 0o644)
	case "remove":
		err = s.Remove(bg, arg(1))
	default:
		err = fmt.Errorf("unknown helper op %q", op[0])
	}
	return err
}

// helper starts the test binary as a helper process.
func helper(t *testing.T, h helperSpec) *exec.Cmd {
	t.Helper()
	spec, _ := json.Marshal(h)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GITOPS_HELPER="+string(spec))
	return cmd
}

// runCrashing runs op in a helper killed at the crashAt-th write boundary. It
// reports whether the process died there (false: the operation finished
// before reaching it).
func runCrashing(t *testing.T, dir, id string, crashAt int, op ...string) bool {
	t.Helper()
	out, err := helper(t, helperSpec{Dir: dir, ID: id, Op: op, CrashAt: crashAt}).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true
		}
	}
	if err != nil {
		t.Fatalf("helper %v (crash at %d): %v\n%s", op, crashAt, err, out)
	}
	return false
}

// crashScene is a repository where the user has staged and unstaged edits of
// their own, and a session whose agent changed a.txt in two places and
// created new.txt. userFile and userIndex are what the user had.
type crashScene struct {
	r                     *testRepo
	userFile, userIndex   string
	agent                 string
	hunkTop, hunkBottom   string // hunk ids in a.txt
	dirBefore, dirBefore2 string
}

const crashID = "crash"

func newCrashScene(t *testing.T) *crashScene {
	r := newTestRepo(t)
	orig := lines(24, "line")
	r.write("a.txt", orig)
	r.commitAll("init")
	staged := replaceLine(orig, 2, "user staged 2")
	r.write("a.txt", staged)
	r.git("add", "a.txt")
	user := replaceLine(staged, 22, "user unstaged 22")
	r.write("a.txt", user)
	s := r.start(crashID)
	agent := replaceLine(replaceLine(user, 5, "agent 5"), 17, "agent 17")
	if err := s.WriteFile(bg, "a.txt", []byte(agent), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFile(bg, "dir/new.txt", []byte("agent new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &crashScene{r: r, userFile: user, userIndex: staged, agent: agent}
	for _, fc := range mustProposals(t, s) {
		if fc.Path == "a.txt" {
			c.hunkTop, c.hunkBottom = fc.Hunks[0].ID, fc.Hunks[1].ID
		}
	}
	s.Close()
	return c
}

// checkAgree opens the session (which recovers from the crash) and checks
// that the index, the working tree and the journal agree: every touched
// path's file is the agent's version as recorded, its index entry is what the
// journal says gitops staged (or the user's own entry), no temporary file or
// index.lock is left behind; then that undo-all really gives the user back
// exactly what they had.
func (c *crashScene) checkAgree(t *testing.T, what string) {
	t.Helper()
	r := c.r
	s, err := Open(bg, r.dir, crashID)
	if err != nil {
		t.Fatalf("%s: open after the crash: %v", what, err)
	}
	defer s.Close()
	if _, err := os.Stat(filepath.Join(r.dir, ".git", "index.lock")); err == nil {
		t.Fatalf("%s: a stale .git/index.lock was left behind", what)
	}
	filepath.WalkDir(r.dir, func(p string, d fs.DirEntry, err error) error {
		if d != nil && d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d != nil && strings.HasPrefix(d.Name(), ".wend-tmp-") {
			t.Errorf("%s: temporary file %s left in the working tree", what, p)
		}
		return nil
	})
	for p, ps := range s.paths {
		mode, data, _, err := s.r.readDisk(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.content(bg, ps.Agent); err != nil {
			t.Fatal(err)
		}
		if mode != ps.Agent.Mode || string(data) != string(s.blobs[ps.Agent.OID]) {
			t.Errorf("%s: %s on disk is %q, the journal says the agent's version is %q", what, p, data, s.blobs[ps.Agent.OID])
		}
		idx, err := s.r.indexEntries(bg, "", []string{p})
		if err != nil {
			t.Fatal(err)
		}
		want := ps.OurIndex
		if !ps.Indexed {
			want = Entry{}
			if p == "a.txt" {
				es, _ := s.r.writeBlobs([]byte(c.userIndex))
				want = Entry{Mode: "100644", OID: es[0]}
			}
		}
		if idx[p] != want {
			got, _ := r.staged(p)
			t.Errorf("%s: %s in the index is %q (%v), the journal says %v", what, p, got, idx[p], want)
		}
	}
	if t.Failed() {
		return
	}
	if _, err := s.UndoAll(bg, ""); err != nil {
		t.Fatalf("%s: undo-all after recovery: %v", what, err)
	}
	if got := r.mustRead("a.txt"); got != c.userFile {
		t.Errorf("%s: after undo-all a.txt is %q, want the user's %q", what, got, c.userFile)
	}
	if got, _ := r.staged("a.txt"); got != c.userIndex {
		t.Errorf("%s: after undo-all the index has %q, want the user's %q", what, got, c.userIndex)
	}
	if _, ok := r.read("dir/new.txt"); ok {
		t.Errorf("%s: after undo-all the agent's new file is still there", what)
	}
	if _, ok := r.staged("dir/new.txt"); ok {
		t.Errorf("%s: after undo-all the agent's new file is still staged", what)
	}
	if ps := mustProposals(t, s); len(ps) != 0 {
		t.Errorf("%s: proposals left after undo-all: %+v", what, ps)
	}
}

// TestCrashAtEveryWriteBoundary kills a process at every write boundary of
// each operation that changes the index, the working tree or the journal,
// then checks that reopening leaves them in agreement and the user's own
// state recoverable.
func TestCrashAtEveryWriteBoundary(t *testing.T) {
	type opCase struct {
		name string
		// prep runs in-process before the crashing operation.
		prep func(t *testing.T, c *crashScene)
		op   func(c *crashScene) []string
	}
	inProcess := func(f func(s *Session, c *crashScene) error) func(*testing.T, *crashScene) {
		return func(t *testing.T, c *crashScene) {
			s, err := Open(bg, c.r.dir, crashID)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := f(s, c); err != nil {
				t.Fatal(err)
			}
		}
	}
	acceptTop := inProcess(func(s *Session, c *crashScene) error { _, err := s.AcceptHunk(bg, c.hunkTop, ""); return err })
	rejectBottom := inProcess(func(s *Session, c *crashScene) error { _, err := s.RejectHunk(bg, c.hunkBottom, ""); return err })
	cases := []opCase{
		{name: "accept hunk", op: func(c *crashScene) []string { return []string{"accept-hunk", c.hunkTop} }},
		{name: "accept new file", op: func(c *crashScene) []string { return []string{"accept-file", "dir/new.txt"} }},
		{name: "reject hunk", op: func(c *crashScene) []string { return []string{"reject-hunk", c.hunkBottom} }},
		{name: "reject new file", op: func(c *crashScene) []string { return []string{"reject-file", "dir/new.txt"} }},
		{name: "undo accept", prep: acceptTop, op: func(c *crashScene) []string { return []string{"undo", c.hunkTop} }},
		{name: "undo reject", prep: rejectBottom, op: func(c *crashScene) []string { return []string{"undo", c.hunkBottom} }},
		{name: "undo-all", prep: acceptTop, op: func(c *crashScene) []string { return []string{"undo-all"} }},
		{name: "modify", op: func(c *crashScene) []string { return []string{"modify", "a.txt", "agent 17", "user modified 17"} }},
		{name: "agent write", op: func(c *crashScene) []string {
			return []string{"write", "a.txt", replaceLine(c.agent, 11, "agent again 11")}
		}},
		{name: "agent creates", op: func(c *crashScene) []string { return []string{"write", "dir/other.txt", "created\n"} }},
		{name: "agent removes", op: func(c *crashScene) []string { return []string{"remove", "dir/new.txt"} }},
	}
	for _, oc := range cases {
		t.Run(oc.name, func(t *testing.T) {
			t.Parallel()
			for k := 1; ; k++ {
				c := newCrashScene(t)
				if oc.prep != nil {
					oc.prep(t, c)
				}
				crashed := runCrashing(t, c.r.dir, crashID, k, oc.op(c)...)
				c.checkAgree(t, fmt.Sprintf("%s, crash at boundary %d", oc.name, k))
				if !crashed || t.Failed() {
					if k == 1 && !crashed {
						t.Fatalf("%s has no write boundary", oc.name)
					}
					if !crashed {
						t.Logf("%s: killed (SIGKILL) and recovered at each of its %d write boundaries", oc.name, k-1)
					}
					return
				}
			}
		})
	}
}

// TestForeignIndexLockIsKeptAndNamed: an index.lock that wend did not make
// (git running, or a git that crashed) is never removed, and the error says
// what to do.
func TestForeignIndexLockIsKeptAndNamed(t *testing.T) {
	c := newCrashScene(t)
	lock := filepath.Join(c.r.dir, ".git", "index.lock")
	if err := os.WriteFile(lock, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(bg, c.r.dir, crashID)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.AcceptHunk(bg, c.hunkTop, "")
	if err == nil || !strings.Contains(err.Error(), "another git process (or a crashed one) holds .git/index.lock; if no git is running, remove it") {
		t.Fatalf("accept under a foreign index.lock: %v", err)
	}
	if _, err := os.Stat(lock); err != nil {
		t.Fatalf("the foreign index.lock was removed: %v", err)
	}
	if !pendingHunk(t, s, c.hunkTop) {
		t.Fatal("the refused accept left the hunk decided")
	}
	os.Remove(lock)
	if _, err := s.AcceptHunk(bg, c.hunkTop, ""); err != nil {
		t.Fatal(err)
	}
}

var _ = strconv.Itoa
