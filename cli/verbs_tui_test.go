package cli

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/session/store"
	"gitlab.com/wend/wend/ui"
)

// The verbs that drive the terminal UI as plain functions of their options:
// the UI (and, for attach, the session host) is a function the test replaces,
// everything before it (the repository, the store, the session) is real.

// emptyRepo is a committed repository with no session.
func emptyRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-q", "--allow-empty", "-m", "init")
	return dir
}

// uiRecorder stands in for the terminal UI: it records what it was given.
type uiRecorder struct {
	calls int
	sock  string
	opts  ui.Options
	args  []string
}

func (u *uiRecorder) attachTo(_ context.Context, _ *store.Store, args []string) (string, error) {
	u.args = args
	return "/run/host.sock", nil
}

func (u *uiRecorder) attachUI(_ context.Context, sock string, opts ui.Options) error {
	u.calls++
	u.sock, u.opts = sock, opts
	return nil
}

func (u *uiRecorder) runUI(_ context.Context, _ assemble.Engine, opts ui.Options) error {
	u.calls++
	u.opts = opts
	return nil
}

func TestAttachOptionsFindsTheSessionAndRunsTheUI(t *testing.T) {
	ctx := context.Background()
	// No session: refused before any host is started or UI run, by the real attachTo.
	dir := emptyRepo(t)
	env := wendEnv(t, nil)
	vio, _, errb := bufIO(env, nil)
	g := &globals{dir: dir, stderr: errb, env: env, changed: func(string) bool { return false }}
	vio.workspace = g.openWorkspace
	never := func(context.Context, string, ui.Options) error { t.Fatal("the UI ran"); return nil }
	o := &attachOptions{verbIO: vio, attachUI: never, gitlabClient: g.gitlabClient}
	o.attachTo, _ = g.hostAttacher()
	if err := runAttach(ctx, o); !usageCode(err) || !strings.Contains(err.Error(), "no session to continue") {
		t.Fatalf("no session: %v", err)
	}
	o.args = []string{"20261205-000000-nope00"}
	if err := runAttach(ctx, o); !usageCode(err) || !strings.Contains(err.Error(), `no session "20261205-000000-nope00"`) {
		t.Fatalf("an unknown session: %v", err)
	}
	// A session: the UI runs on the host's socket, read-only with --watch.
	r := newVerbRepo(t)
	u := &uiRecorder{}
	o = &attachOptions{verbIO: r.io, args: []string{r.session}, watch: true, attachTo: u.attachTo, attachUI: u.attachUI, gitlabClient: g.gitlabClient}
	if err := runAttach(ctx, o); err != nil {
		t.Fatal(err)
	}
	if u.calls != 1 || u.sock != "/run/host.sock" || !slices.Equal(u.args, []string{r.session}) || !u.opts.ReadOnly ||
		u.opts.Repository != filepath.Base(r.dir) || u.opts.Model != "m" || u.opts.Suggest == nil {
		t.Fatalf("attach ran the UI with %d call(s), sock %q, args %v, options %+v", u.calls, u.sock, u.args, u.opts)
	}
}

func TestResumeOptionsReopensTheSessionInTheUI(t *testing.T) {
	ctx := context.Background()
	r := newVerbRepo(t)
	g := &globals{dir: r.dir, stderr: r.errb, env: r.io.env, changed: func(string) bool { return false }}
	// withHost is the repository's workspace with host = on or off.
	withHost := func(on bool) workspaceOpener {
		return func(ctx context.Context) (*workspace, error) {
			ws, err := r.io.workspace(ctx)
			if err == nil {
				ws.settings.Host = on
			}
			return ws, err
		}
	}
	u := &uiRecorder{}
	noHost := func(context.Context, *store.Store, []string) (string, error) { t.Fatal("a host was started"); return "", nil }
	o := &resumeOptions{verbIO: r.io, assembly: g.assembly, runUI: u.runUI, attachTo: noHost, attachUI: u.attachUI, gitlabClient: g.gitlabClient}
	o.verbIO.workspace = withHost(false)
	if err := runResume(ctx, o); err != nil {
		t.Fatalf("%v\n%s", err, r.errb)
	}
	if u.calls != 1 || u.opts.Review == nil || u.opts.Model != "m" || u.opts.Repository != filepath.Base(r.dir) {
		t.Fatalf("resume ran the UI %d time(s) with %+v", u.calls, u.opts)
	}
	// Quitting says what still waits for review in the session.
	if out := r.out.String(); !strings.Contains(out, r.session) || !strings.Contains(out, "notes.txt") {
		t.Fatalf("no waiting note after the UI:\n%s", out)
	}
	// An ID that names no session is the user's to fix; nothing runs.
	o.args, u.calls = []string{"20261205-000000-nope00"}, 0
	if err := runResume(ctx, o); !usageCode(err) || !strings.Contains(err.Error(), `no session "20261205-000000-nope00"`) || u.calls != 0 {
		t.Fatalf("an unknown session: %v (UI ran %d)", err, u.calls)
	}
	// host = true: the session is reopened in a host and the UI attaches to it.
	o.verbIO.workspace = withHost(true)
	u = &uiRecorder{}
	o.args, o.attachTo, o.attachUI, o.runUI = nil, u.attachTo, u.attachUI, func(context.Context, assemble.Engine, ui.Options) error {
		t.Fatal("the session ran in process with host = true")
		return nil
	}
	if err := runResume(ctx, o); err != nil {
		t.Fatal(err)
	}
	if u.calls != 1 || u.sock != "/run/host.sock" || !slices.Equal(u.args, []string{r.session}) || u.opts.ReadOnly {
		t.Fatalf("host = true: %d call(s), sock %q, args %v, options %+v", u.calls, u.sock, u.args, u.opts)
	}
}
