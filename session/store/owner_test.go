package store

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"gitlab.com/wend/wend/session"

	"gitlab.com/wend/wend/internal/procstat"
)

// TestOwnerChildProcess is not a test: it is the child process of
// TestKilledOwnerShowsInterrupted, which opens a session, says "ready" and
// waits to be killed.
func TestOwnerChildProcess(t *testing.T) {
	dir := os.Getenv("WEND_STORE_CHILD_DIR")
	if dir == "" {
		t.Skip("the child of TestKilledOwnerShowsInterrupted")
	}
	w, err := Open(dir).Create("s1")
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	log := session.NewLog(func(e session.Event) { w.Append(e) })
	log.Append(session.SessionStarted{SessionID: "s1", Task: "long task"})
	fmt.Println("ready")
	select {} // until killed
}

func listState(t *testing.T, st *Store) session.State {
	t.Helper()
	list, err := st.List()
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	return list[0].State
}

// A session whose owner process is killed with SIGKILL (no chance to record an
// end) is reported interrupted, not running forever.
func TestKilledOwnerShowsInterrupted(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestOwnerChildProcess$")
	cmd.Env = append(os.Environ(), "WEND_STORE_CHILD_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("child said %q", line)
	}
	st := Open(dir)
	if got := listState(t, st); got != session.StateRunning {
		t.Fatalf("while the owner runs: %s", got)
	}
	if pid, live := st.Live("s1"); !live || pid != cmd.Process.Pid {
		t.Fatalf("live %v pid %d, want the child %d", live, pid, cmd.Process.Pid)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if got := listState(t, st); got != session.StateInterrupted {
		t.Fatalf("after SIGKILL: %s", got)
	}
	if _, live := st.Live("s1"); live {
		t.Fatal("a killed owner reported live")
	}
}

// A pid the kernel gave to another process since is not the owner: the
// recorded start time differs from the live process's.
func TestReusedPidIsNotTheOwner(t *testing.T) {
	st := Open(t.TempDir())
	w, err := st.Create("s1")
	if err != nil {
		t.Fatal(err)
	}
	log := session.NewLog(func(e session.Event) { w.Append(e) })
	log.Append(session.SessionStarted{SessionID: "s1", Task: "t"})
	start, ok := procstat.Start(1)
	if !ok {
		t.Skip("no /proc here")
	}
	host, _ := os.Hostname()
	path := ownerPath(filepath.Join(st.Dir(), "s1"))
	// pid 1 with its real start time: the owner lives.
	os.WriteFile(path, fmt.Appendf(nil, `{"pid":1,"host":%q,"start":%d}`, host, start), 0o600)
	if got := listState(t, st); got != session.StateRunning {
		t.Fatalf("live owner: %s", got)
	}
	// pid 1 with another start time: pid 1 is someone else now.
	os.WriteFile(path, fmt.Appendf(nil, `{"pid":1,"host":%q,"start":%d}`, host, start+12345), 0o600)
	if got := listState(t, st); got != session.StateInterrupted {
		t.Fatalf("reused pid: %s", got)
	}
	if _, live := st.Live("s1"); live {
		t.Fatal("a reused pid reported live")
	}
}
