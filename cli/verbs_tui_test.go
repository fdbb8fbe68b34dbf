package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
	"gitlab.com/wend/wend/remote/rpc"
	"gitlab.com/wend/wend/session/store"
	"gitlab.com/wend/wend/ui"
	"gitlab.com/wend/wend/ui/mrreview"
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
	noHost := func(context.Context, *store.Store, []string) (string, error) {
		t.Fatal("a host was started")
		return "", nil
	}
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

func TestHostOptionsServes(t *testing.T) {
	ctx := context.Background()
	r := newVerbRepo(t)
	g := &globals{dir: r.dir, stderr: r.errb, env: r.io.env, changed: func(string) bool { return false }}
	hangup := 0
	o := &hostOptions{verbIO: r.io, assembly: g.assembly, ignoreHangup: func() { hangup++ }}
	if err := runHost(ctx, o); !usageCode(err) || !strings.Contains(err.Error(), "needs --session ID") || hangup != 0 {
		t.Fatalf("no --session: %v", err)
	}
	// The stored session, reopened and served on its socket.
	o.id, o.resume = r.session, true
	done := make(chan error, 1)
	go func() { done <- runHost(ctx, o) }()
	sock := filepath.Join(r.dir, ".git", "wend", r.session, rpc.SocketName)
	deadline := time.Now().Add(60 * time.Second)
	for !rpc.Served(ctx, sock) {
		select {
		case err := <-done:
			t.Fatalf("the host ended at start: %v\n%s", err, r.errb)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the host did not serve %s:\n%s", sock, r.errb)
		}
	}
	c, err := rpc.Dial(ctx, sock, true)
	if err != nil {
		t.Fatal(err)
	}
	fcs, err := c.Changes(ctx)
	var paths []string
	for _, fc := range fcs {
		paths = append(paths, fc.Path)
	}
	slices.Sort(paths)
	if c.Session() != r.session || c.Role() != rpc.RoleControl || err != nil || !slices.Equal(paths, []string{"new.txt", "notes.txt"}) {
		t.Fatalf("client of %s: session %s, role %v, changes %v (%v)", r.session, c.Session(), c.Role(), paths, err)
	}
	c.Close()
	// With no client and no task, the host goes once its grace has passed.
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the host did not exit with no client")
	}
	if hangup != 1 || !strings.Contains(r.errb.String(), "wend host "+r.session+": serving") || !strings.Contains(r.errb.String(), "exiting") {
		t.Fatalf("hangup ignored %d time(s); stderr:\n%s", hangup, r.errb)
	}
}

// reviewVerb is runReview's options against reviewSetup's GitLab and model.
func reviewVerb(t *testing.T) (*reviewOptions, *gitlabtest.Server, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	srv, model, dir, base := reviewSetup(t)
	extra := map[string]string{"WEND_PROVIDER": "openai", "WEND_BASE_URL": model.URL, "WEND_MODEL": "m"}
	env := func(k string) string {
		if v, ok := extra[k]; ok {
			return v
		}
		return base(k)
	}
	vio, out, errb := bufIO(env, nil)
	g := &globals{dir: dir, stderr: errb, env: env, changed: func(string) bool { return false }}
	vio.workspace = g.openWorkspace
	return &reviewOptions{verbIO: vio, mr: "!36", maxHunks: 60, gitlabClient: g.gitlabClient, httpClient: g.httpClient}, srv, out, errb
}

func TestReviewOptionsRunsThePaneAndHeadless(t *testing.T) {
	ctx := context.Background()
	// The pane: given the merge request's hunks and threads, it drafts the
	// first hunk and publishes what it kept; the verb prints what was done.
	o, srv, out, errb := reviewVerb(t)
	var got mrreview.Options
	o.runPane = func(ctx context.Context, src mrreview.Source, opts mrreview.Options) (string, error) {
		got = opts
		cs, err := src.Draft(ctx, opts.Files[0], opts.Files[0].Hunks[0])
		if err != nil || len(cs) != 1 || cs[0].Path != "upload.go" || cs[0].NewLine != 12 {
			t.Fatalf("draft of the first hunk: %+v %v", cs, err)
		}
		return src.Publish(ctx, cs)
	}
	if err := runReview(ctx, o); err != nil {
		t.Fatalf("%v\n%s", err, errb)
	}
	hunks := 0
	for _, f := range got.Files {
		hunks += len(f.Hunks)
	}
	if !strings.Contains(got.Title, "!36") || hunks != 3 || len(got.Threads) == 0 || got.Mode != "as one draft review" {
		t.Fatalf("pane options: title %q, %d hunks, %d threads, mode %q", got.Title, hunks, len(got.Threads), got.Mode)
	}
	if !strings.Contains(out.String(), "Published 1 comment(s) as one draft review") || srv.Published() != 1 {
		t.Fatalf("published %d; output:\n%s", srv.Published(), out)
	}
	// Headless with --max-hunks 1: one hunk drafted, the rest said on stderr, nothing posted.
	o, srv, out, errb = reviewVerb(t)
	o.json, o.maxHunks = true, 1
	o.runPane = func(context.Context, mrreview.Source, mrreview.Options) (string, error) {
		t.Fatal("--json ran the pane")
		return "", nil
	}
	if err := runReview(ctx, o); err != nil {
		t.Fatalf("%v\n%s", err, errb)
	}
	var rep reviewReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Hunks != 3 || rep.Drafted != 1 || len(rep.Comments) != 1 || rep.Published {
		t.Fatalf("report %+v (%v)", rep, err)
	}
	if !strings.Contains(errb.String(), "drafted 1 of 3 hunks (--max-hunks 1)") || len(writes(srv)) != 0 {
		t.Fatalf("stderr %q, writes %v", errb, writes(srv))
	}
	// Not a merge request: refused before the repository is opened.
	o.mr = "#12"
	o.workspace = func(context.Context) (*workspace, error) {
		t.Fatal("opened the workspace for an issue")
		return nil, nil
	}
	if err := runReview(ctx, o); !usageCode(err) || !strings.Contains(err.Error(), "is not a merge request") {
		t.Fatalf("#12: %v", err)
	}
}

func TestDemoOptionsSetsUpTheTourForTheUI(t *testing.T) {
	ctx := context.Background()
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "sk-user-key-5150", "GITLAB_TOKEN": "glpat-user-5150"})
	vio, _, errb := bufIO(env, nil)
	g := &globals{stderr: errb, env: env, changed: func(string) bool { return false }}
	setup := func(ctx context.Context, repoDir string, interactive bool, delay time.Duration) (*demoRun, error) {
		return setupDemo(ctx, g, repoDir, interactive, delay)
	}
	for _, keep := range []bool{false, true} {
		tmp := t.TempDir()
		var got ui.Options
		var d *demoRun
		o := &demoOptions{verbIO: vio, keep: keep, tmpDir: tmp, setup: setup, runUI: func(ctx context.Context, dr *demoRun, opts ui.Options) error {
			got, d = opts, dr
			// The sample repository is there while the UI runs, with its failing test.
			if _, err := os.Stat(filepath.Join(dr.ws.repo.Root(), "stats_test.go")); err != nil {
				t.Errorf("no sample repository while the UI runs: %v", err)
			}
			return nil
		}}
		if err := runDemo(ctx, o); err != nil {
			t.Fatalf("keep=%v: %v\n%s", keep, err, errb)
		}
		if d == nil || got.Repository != "stats (demo)" || got.Provider != "demo" || got.Task == "" {
			t.Fatalf("keep=%v: the UI got %+v", keep, got)
		}
		// The tour asks before commands, and no key of the user's reaches the demo's session.
		if s := d.ws.settings; s.Approval != "auto-edit" || s.Model != demoModelName || s.APIKey != "" || s.GitLabToken != "" {
			t.Fatalf("the demo session's settings: approval %q model %q api key set %v token set %v", s.Approval, s.Model, s.APIKey != "", s.GitLabToken != "")
		}
		left, _ := filepath.Glob(filepath.Join(tmp, "wend-demo-*", "stats"))
		said := strings.Contains(errb.String(), "the sample repository stays at")
		if keep != (len(left) == 1) || keep != said {
			t.Fatalf("keep=%v: left %v, stderr %q", keep, left, errb)
		}
	}
}
