package ui_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/rpc"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui"
	"gitlab.com/wend/wend/ui/uitest"
)

// overSocketEnv, when set, makes every test that builds its model with newTM
// drive the fake backend through remote/rpc: a server on a Unix socket in
// front of it, the UI holding the client. The assertions stay the same.
const overSocketEnv = "WEND_UI_OVER_SOCKET"

// transport is the backend (and review port) the UI gets: the fake itself, or,
// under overSocketEnv, a gRPC client of it.
func transport(t *testing.T, be *uitest.Backend, opts *ui.Options) session.Backend {
	t.Helper()
	if os.Getenv(overSocketEnv) == "" {
		return be
	}
	dir, err := os.MkdirTemp("", "wend-ui-rpc-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "s", rpc.SocketName)
	l, err := rpc.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := rpc.NewServer(be, rpc.Options{Session: "s1", Review: opts.Review})
	go srv.Serve(l)
	t.Cleanup(srv.Close)
	c, err := rpc.Dial(context.Background(), path, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if opts.Review != nil {
		opts.Review = c
	}
	return c
}

// TestFlowsOverTheSocket is the port's contract test: the UI's flow tests (every
// test that drives a model through newTM: the flows, approvals, steering, retry,
// completion, layout, mouse) run again in a child process with the backend
// across a real socket, and must pass with the same assertions and goldens.
func TestFlowsOverTheSocket(t *testing.T) {
	if os.Getenv(overSocketEnv) != "" {
		t.Skip("already over the socket")
	}
	if testing.Short() {
		t.Skip("runs the flow tests again in a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.count=1", "-test.run=^Test[^F]|^TestF[^l]") // all but this test
	cmd.Env = append(os.Environ(), overSocketEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the flow tests over the socket failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "PASS") {
		t.Fatalf("no test ran over the socket:\n%s", out)
	}
}
