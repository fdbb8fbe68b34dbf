package rpc_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"gitlab.com/wend/wend/remote/rpc"
	"gitlab.com/wend/wend/ui/uitest"
)

func TestCheckPeer(t *testing.T) {
	if err := rpc.CheckPeer(1000, rpc.Peer{UID: 1000}); err != nil {
		t.Fatalf("the owner: %v", err)
	}
	err := rpc.CheckPeer(1000, rpc.Peer{UID: 1001, PID: 42})
	if err == nil || !strings.Contains(err.Error(), "belongs to uid 1000") || !strings.Contains(err.Error(), "uid 1001") {
		t.Fatalf("another uid: %v", err)
	}
	if err := rpc.CheckPeer(1000, rpc.Peer{UID: 1000, Err: fmt.Errorf("EINVAL")}); err == nil {
		t.Fatal("unreadable credentials must refuse")
	}
}

// The server's refusal path, end to end: a server whose owner is another uid
// than this process sees a stranger in every caller, and refuses each call
// without reaching the backend.
func TestServerRefusesAnotherUID(t *testing.T) {
	be := uitest.NewBackend()
	other := uint32(os.Geteuid() + 1)
	path, _ := serve(t, be, rpc.Options{Owner: &other})
	_, err := rpc.Dial(context.Background(), path, true)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("belongs to uid %d", other)) {
		t.Fatalf("dial as a stranger: %v", err)
	}
	if calls := be.Calls(); len(calls) != 0 {
		t.Fatalf("a refused client reached the backend: %v", calls)
	}
}

// asNobody is the child process of TestAnotherUserIsRefused: it calls Pause on
// the socket the way any program could (plain gRPC, no wend client), and our
// own client too, and prints both errors.
func init() {
	path := os.Getenv("WEND_RPC_TEST_STRANGER")
	if path == "" {
		return
	}
	cc, err := grpc.NewClient("unix://"+path, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.CallContentSubtype("wend-json")))
	if err != nil {
		fmt.Println("raw:", err)
		os.Exit(0)
	}
	var out struct{}
	err = cc.Invoke(context.Background(), "/wend.rpc.Session/Pause", &struct{}{}, &out)
	fmt.Println("raw:", err)
	_, err = rpc.Dial(context.Background(), path, true)
	fmt.Println("client:", err)
	os.Exit(0)
}

// A process of another user is refused. As root, the test runs a copy of
// itself as nobody against a socket whose file modes would let anyone connect
// (so only the peer-credential check stands in the way), then against the
// socket as Listen makes it (where the 0700 directory stops it first).
func TestAnotherUserIsRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a process as another user; TestServerRefusesAnotherUID covers the check")
	}
	const nobody = 65534
	dir, err := os.MkdirTemp("", "wend-rpc-open-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "rpc.test")
	copyFile(t, os.Args[0], bin)

	be := uitest.NewBackend()
	// An open socket: 0777 in a 0755 directory.
	open := filepath.Join(dir, "open.sock")
	l, err := listenOpen(open)
	if err != nil {
		t.Fatal(err)
	}
	srv := rpc.NewServer(be, rpc.Options{})
	go srv.Serve(l)
	defer srv.Close()
	out := runAs(t, nobody, bin, open)
	if !strings.Contains(out, "raw: rpc error: code = PermissionDenied desc = refused: this session belongs to uid 0; a client running as uid 65534 may not attach") {
		t.Fatalf("a raw client as nobody:\n%s", out)
	}
	if !strings.Contains(out, "client: ") || strings.Contains(out, "client: <nil>") {
		t.Fatalf("wend's client as nobody:\n%s", out)
	}
	if calls := be.Calls(); len(calls) != 0 {
		t.Fatalf("a stranger reached the backend: %v", calls)
	}

	// The socket as the host makes it.
	private, _ := serve(t, be, rpc.Options{})
	os.Chmod(filepath.Dir(filepath.Dir(private)), 0o755) // only the session directory stays 0700
	out = runAs(t, nobody, bin, private)
	if !strings.Contains(out, "permission denied") {
		t.Fatalf("nobody reached the private socket:\n%s", out)
	}
	if calls := be.Calls(); len(calls) != 0 {
		t.Fatalf("a stranger reached the backend: %v", calls)
	}
}

func runAs(t *testing.T, uid uint32, bin, socket string) string {
	t.Helper()
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), "WEND_RPC_TEST_STRANGER="+socket)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Skipf("cannot run a process as uid %d here: %v %s", uid, err, out)
	}
	return string(out)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	out.Close()
}
