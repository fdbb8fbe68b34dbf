package cli

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"gitlab.com/wend/wend/session/store"
)

// TestWendChildProcess is not a test: it is the wend process the tests below
// start, kill or hang up on. Its arguments come in WEND_CHILD_ARGS (JSON).
func TestWendChildProcess(t *testing.T) {
	raw := os.Getenv("WEND_CHILD_ARGS")
	if raw == "" {
		t.Skip("a child process of the tests in lost_test.go")
	}
	var args []string
	json.Unmarshal([]byte(raw), &args)
	os.Exit(Main(args))
}

// child is a wend process started by startWendChild.
type child struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when it has exited; then err holds Wait's result
	err    error
}

// startWendChild runs wend in a child process against a model server that
// takes the first request and never answers it; it returns once that request
// has arrived, so the session has started and its owner is recorded.
func startWendChild(t *testing.T, dir string) *child {
	t.Helper()
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body) // so the server notices when the client goes away
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	args, _ := json.Marshal([]string{"-C", dir, "run", "--provider", "openai", "--base-url", srv.URL, "--model", "m", "a long task"})
	cmd := exec.Command(os.Args[0], "-test.run=^TestWendChildProcess$")
	cmd.Env = append(os.Environ(), "WEND_CHILD_ARGS="+string(args), "OPENAI_API_KEY=k")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, exited: make(chan struct{})}
	go func() { c.err = cmd.Wait(); close(c.exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-c.exited
		if t.Failed() {
			t.Logf("child stderr: %s", stderr.String())
		}
	})
	select {
	case <-arrived:
	case <-c.exited:
		t.Fatalf("wend exited before calling the model: %v\n%s", c.err, stderr.String())
	}
	return c
}

func sessionsJSON(t *testing.T, env func(string) string, dir string) []store.Summary {
	t.Helper()
	code, out, errOut := wend(t, env, "-C", dir, "sessions", "--json")
	if code != 0 {
		t.Fatalf("sessions: %d %s", code, errOut)
	}
	var list []store.Summary
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var s store.Summary
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		list = append(list, s)
	}
	return list
}

// A wend killed with SIGKILL leaves its session behind; `wend sessions` calls it
// interrupted, not running.
func TestKilledSessionIsListedInterrupted(t *testing.T) {
	dir := demoRepo(t)
	env := wendEnv(t, nil)
	c := startWendChild(t, dir)
	if l := sessionsJSON(t, env, dir); len(l) != 1 || l[0].State != "running" {
		t.Fatalf("while it runs: %+v", l)
	}
	c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.exited
	if l := sessionsJSON(t, env, dir); len(l) != 1 || l[0].State != "interrupted" {
		t.Fatalf("after SIGKILL: %+v", l)
	}
	if code, out, _ := wend(t, env, "-C", dir, "sessions"); code != 0 || !strings.Contains(out, "interrupted") {
		t.Fatalf("sessions: %s", out)
	}
}

// A closed terminal (SIGHUP) stops the session cleanly and records its end.
func TestHangupStopsTheSessionCleanly(t *testing.T) {
	dir := demoRepo(t)
	env := wendEnv(t, nil)
	c := startWendChild(t, dir)
	c.cmd.Process.Signal(syscall.SIGHUP)
	<-c.exited
	if ee, ok := c.err.(*exec.ExitError); !ok || ee.ExitCode() != ExitFailed {
		t.Fatalf("wend after SIGHUP: %v (want exit %d, stopped)", c.err, ExitFailed)
	}
	if l := sessionsJSON(t, env, dir); len(l) != 1 || l[0].State != "stopped" {
		t.Fatalf("after SIGHUP: %+v", l)
	}
}
