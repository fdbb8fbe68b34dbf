package rpc_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/rpc"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/uitest"
)

// serve starts a server for be on a socket in a fresh private directory and
// returns the socket's path.
func serve(t testing.TB, be session.Backend, opts rpc.Options) (string, *rpc.Server) {
	t.Helper()
	dir, err := os.MkdirTemp("", "wend-rpc-") // t.TempDir's long names overflow sockaddr_un
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "s", rpc.SocketName)
	l, err := rpc.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := rpc.NewServer(be, opts)
	go srv.Serve(l)
	t.Cleanup(srv.Close)
	return path, srv
}

func dial(t testing.TB, path string, control bool) *rpc.Client {
	t.Helper()
	c, err := rpc.Dial(context.Background(), path, control)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// next reads one event or fails after a deadline.
func next(t *testing.T, ch <-chan session.Event) session.Event {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("the event stream closed")
		}
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
	}
	return session.Event{}
}

func TestSocketIsPrivate(t *testing.T) {
	path, _ := serve(t, uitest.NewBackend(), rpc.Options{})
	for p, want := range map[string]os.FileMode{filepath.Dir(path): 0o700, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
	// A second server on the same live socket is refused; a dead socket is replaced.
	if _, err := rpc.Listen(path); !errors.Is(err, rpc.ErrServed) {
		t.Fatalf("listening twice: %v", err)
	}
}

func TestStaleSocketIsReplaced(t *testing.T) {
	dir, _ := os.MkdirTemp("", "wend-rpc-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, rpc.SocketName)
	l, err := rpc.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	// A host killed with SIGKILL leaves its socket file; simulate by not unlinking.
	l.(interface{ SetUnlinkOnClose(bool) }).SetUnlinkOnClose(false)
	l.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatal("the socket file should be left behind")
	}
	l, err = rpc.Listen(path)
	if err != nil {
		t.Fatalf("a dead socket must be replaced: %v", err)
	}
	l.Close()
}

func TestCallsAndErrorsCrossThePort(t *testing.T) {
	be := uitest.NewBackend()
	be.Plan = session.Plan{NextID: 2, Steps: []session.Step{{ID: "1", Title: "one"}}}
	changes := &uitest.Changes{Files: []session.FileChange{{Path: "a.go", Kind: session.ChangeModified, Added: 1,
		Hunks: []session.Hunk{{ID: "h1", Lines: []string{"+x"}}}}}}
	path, _ := serve(t, be, rpc.Options{Session: "s1", Review: changes})
	c := dial(t, path, true)
	if c.Role() != rpc.RoleControl || c.Session() != "s1" {
		t.Fatalf("role %q session %q", c.Role(), c.Session())
	}
	ctx := context.Background()
	if err := c.Start(ctx, session.Task{Text: "fix it", Context: []session.ContextItem{{Ref: "#1", Body: "b"}}}); err != nil {
		t.Fatal(err)
	}
	id, err := c.Adjust(ctx, "smaller")
	if err != nil || id != "adj-1" {
		t.Fatalf("adjust: %q %v", id, err)
	}
	c.EditPlan(ctx, session.PlanEdit{Op: session.EditReword, StepID: "1", Title: "uno"})
	c.Resolve(ctx, session.Decision{Kind: session.DecideReview, Action: session.ReviewReject, Targets: []string{"h1"}, Reason: "no"})
	want := "Start({Text:fix it Context:[{Ref:#1 Title: Body:b}] Retry:false})\nAdjust(smaller)\n" +
		"EditPlan({Op:reword StepID:1 Title:uno After: By:0})\n"
	if got := be.Summary(); !strings.HasPrefix(got, want) || !strings.Contains(got, "Resolve({Kind:review") {
		t.Fatalf("calls:\n%s", got)
	}
	files, err := c.Changes(ctx)
	if err != nil || len(files) != 1 || files[0].Hunks[0].ID != "h1" {
		t.Fatalf("list: %+v %v", files, err)
	}
	content, err := c.ChangeContent(ctx, "a.go")
	if err != nil || content != "x\n" {
		t.Fatalf("content %q %v", content, err)
	}
	if _, err := c.ChangeContent(ctx, "b.go"); err == nil || err.Error() != "no change to b.go" {
		t.Fatalf("the backend's error must arrive as its message: %v", err)
	}
}

func TestErrNotPendingSurvivesTheWire(t *testing.T) {
	path, _ := serve(t, notPending{uitest.NewBackend()}, rpc.Options{})
	c := dial(t, path, true)
	if err := c.Resolve(context.Background(), session.Decision{Kind: session.DecideApproval, RequestID: "r"}); !errors.Is(err, session.ErrNotPending) {
		t.Fatalf("got %v", err)
	}
}

type notPending struct{ *uitest.Backend }

func (notPending) Resolve(context.Context, session.Decision) error { return session.ErrNotPending }

// A reattaching client names the last event it holds and gets everything after
// it, then live events; from 0 it gets the whole history.
func TestEventsHistoryThenLive(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1", Task: "t"}, session.TextDelta{Text: "hel"}, session.TextDelta{Text: "lo"},
		session.ToolCalled{CallID: "c1", Tool: "read_file", Args: []byte(`{"path":"a"}`)})
	path, _ := serve(t, be, rpc.Options{})
	c := dial(t, path, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := c.Events(ctx, 0)
	for i := int64(1); i <= 4; i++ {
		e := next(t, ch)
		if e.Seq != i {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
		if i == 4 {
			if tc, ok := e.Payload.(session.ToolCalled); !ok || string(tc.Args) != `{"path":"a"}` {
				t.Fatalf("payload %#v", e.Payload)
			}
		}
	}
	be.Emit(session.Paused{Reason: "user"})
	if e := next(t, ch); e.Seq != 5 || e.Payload != (session.Paused{Reason: "user"}) {
		t.Fatalf("live event %+v", e)
	}
	cancel()
	ch2 := c.Events(context.Background(), 3)
	if e := next(t, ch2); e.Seq != 4 {
		t.Fatalf("from after=3 the first event is %d", e.Seq)
	}
}

// One client controls; a second watches: it sees the events, its control calls
// are refused with a clear error, and when the controller goes the server hears
// a detach and the watcher may take over.
func TestOneControlsOthersWatch(t *testing.T) {
	be := uitest.NewBackend()
	var attached, detached atomic.Int32
	path, srv := serve(t, be, rpc.Options{OnAttach: func() { attached.Add(1) }, OnDetach: func() { detached.Add(1) }})
	first := dial(t, path, true)
	second := dial(t, path, true)
	if first.Role() != rpc.RoleControl || second.Role() != rpc.RoleWatch {
		t.Fatalf("roles %q %q", first.Role(), second.Role())
	}
	ctx := context.Background()
	err := second.Pause(ctx)
	if err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("a watcher's pause: %v", err)
	}
	if _, err := second.Changes(ctx); err != nil {
		t.Fatalf("a watcher may read the review: %v", err)
	}
	if err := first.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(be.CallsOf("Pause")); n != 1 {
		t.Fatalf("%d pauses reached the backend", n)
	}
	if st, err := rpc.Probe(ctx, path); err != nil || st.Clients != 2 || !st.Controlled || st.PID != os.Getpid() {
		t.Fatalf("status with two clients: %+v %v", st, err)
	}
	first.Close()
	waitUntil(t, "the detach", func() bool { return detached.Load() == 1 })
	if st, err := rpc.Probe(ctx, path); err != nil || st.Clients != 1 || st.Controlled {
		t.Fatalf("status once the controller left: %+v %v", st, err)
	}
	if _, controlled := srv.Clients(); controlled {
		t.Fatal("nobody should control after the controller left")
	}
	if err := second.Resume(ctx); err != nil {
		t.Fatalf("the watcher should take the free control: %v", err)
	}
	if attached.Load() != 2 {
		t.Fatalf("attached %d times", attached.Load())
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 5 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
