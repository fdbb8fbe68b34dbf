package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/remote/llm/llmtest"
	"gitlab.com/wend/wend/session"
)

// The converted verbs are plain functions of their options: these tests call
// runRun, runChanges, runDecide, runUndo, runCommit and runSessions directly,
// with buffers for the terminal and a temporary repository, no cobra, no
// globals and no subprocess. A scripted model (127.0.0.1) proposes two hunks
// in notes.txt and a new file.

// verbRepo is a repository whose one session (run through runRun) proposed
// FIRST and LAST in notes.txt and a new file new.txt.
type verbRepo struct {
	dir       string
	out, errb *bytes.Buffer
	io        verbIO
	// session is the run's id.
	session string
}

func newVerbRepo(t *testing.T) *verbRepo {
	t.Helper()
	dir := t.TempDir()
	var lines []string
	for i := 1; i <= 30; i++ {
		lines = append(lines, fmt.Sprintf("row-%02d", i))
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "init")
	srv := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{
		{ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: json.RawMessage(`{"path":"notes.txt"}`)}}},
		{ToolCalls: []llmtest.ToolCall{
			{Name: "edit_file", Args: json.RawMessage(`{"path":"notes.txt","old_string":"row-02\n","new_string":"FIRST\n"}`)},
			{Name: "edit_file", Args: json.RawMessage(`{"path":"notes.txt","old_string":"row-29\n","new_string":"LAST\n"}`)},
			{Name: "create_file", Args: json.RawMessage(`{"path":"new.txt","content":"hello\n"}`)},
		}},
		{ToolCalls: []llmtest.ToolCall{{Name: "finish", Args: json.RawMessage(`{"summary":"ok"}`)}}},
	}})
	env := wendEnv(t, nil)
	r := &verbRepo{dir: dir, out: &bytes.Buffer{}, errb: &bytes.Buffer{}}
	// The settings a user would give as flags, set on the workspace itself.
	g := &globals{dir: dir, stderr: r.errb, env: env, changed: func(string) bool { return false }}
	open := func(ctx context.Context) (*workspace, error) {
		ws, err := g.openWorkspace(ctx)
		if err != nil {
			return nil, err
		}
		s := ws.settings
		s.Provider, s.BaseURL, s.Model, s.APIKey, s.Approval = "openai", srv.URL, "m", "k", "auto-edit"
		return ws, nil
	}
	r.io = verbIO{in: strings.NewReader(""), out: r.out, rawOut: r.out, errOut: r.errb, env: env, workspace: open}
	o := r.runOptions("edit notes")
	o.json = true
	if err := runRun(context.Background(), o); err != nil {
		t.Fatalf("runRun: %v\nstderr: %s", err, r.errb)
	}
	var staged []string
	for _, line := range strings.Split(strings.TrimSpace(r.out.String()), "\n") {
		var e session.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("runRun --json wrote a line that is not an event: %q", line)
		}
		switch p := e.Payload.(type) {
		case session.SessionStarted:
			r.session = p.SessionID
		case session.ChangeStaged:
			staged = append(staged, p.Path)
		case session.SessionFinished:
			if p.State != session.StateFinished {
				t.Fatalf("the run ended %s: %s", p.State, p.Error)
			}
		}
	}
	if r.session == "" || strings.Join(staged, ",") != "notes.txt,notes.txt,new.txt" {
		t.Fatalf("session %q staged %v:\n%s", r.session, staged, r.out)
	}
	if n := srv.Remaining(); n != 0 {
		t.Fatalf("%d scripted turns unused", n)
	}
	r.out.Reset()
	return r
}

// runOptions is a run of task whose only collaborators are the repository
// and the model: no pruning, no checkout, no pipeline.
func (r *verbRepo) runOptions(args ...string) *runOptions {
	return &runOptions{verbIO: r.io, args: args, fixAttempts: -1,
		assembly: func(ws *workspace, interactive bool) assemble.Options {
			return assemble.Options{Repo: ws.repo, Branch: ws.branch, Settings: ws.settings, Interactive: interactive, Stderr: r.errb}
		},
		prune: func(context.Context, *workspace) {},
		checkoutBranch: func(context.Context, *workspace, string, checkoutOptions) (string, error) {
			return "", nil
		},
		pipeline: func(context.Context, *workspace, *assemble.Session, *printer, int) error {
			return errors.New("no pipeline in this test")
		},
	}
}

// hunks lists the session's undecided changes through runChanges --json.
func (r *verbRepo) hunks(t *testing.T) map[string][]session.Hunk {
	t.Helper()
	r.out.Reset()
	if err := runChanges(context.Background(), &changesOptions{verbIO: r.io, json: true}); err != nil {
		t.Fatal(err)
	}
	var listed struct {
		Session string               `json:"session"`
		Changes []session.FileChange `json:"changes"`
	}
	if err := json.Unmarshal(r.out.Bytes(), &listed); err != nil {
		t.Fatalf("%v: %s", err, r.out)
	}
	if listed.Session != r.session {
		t.Fatalf("changes of session %q, want %q", listed.Session, r.session)
	}
	out := map[string][]session.Hunk{}
	for _, fc := range listed.Changes {
		out[fc.Path] = fc.Hunks
	}
	r.out.Reset()
	return out
}

func usageCode(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.code == ExitUsage
}

func TestRunOptionsWithoutATerminal(t *testing.T) {
	r := newVerbRepo(t) // a whole run through runRun
	// A second run with no task is refused before anything is wired.
	err := runRun(context.Background(), r.runOptions())
	if !usageCode(err) || !strings.Contains(err.Error(), "no task given") {
		t.Fatalf("a run without a task: %v", err)
	}
	// --retry without --continue, likewise.
	o := r.runOptions()
	o.retry = true
	if err := runRun(context.Background(), o); !usageCode(err) || !strings.Contains(err.Error(), "--retry goes with --continue") {
		t.Fatalf("--retry alone: %v", err)
	}
}

func TestChangesOptionsListsTheSessionsHunks(t *testing.T) {
	r := newVerbRepo(t)
	h := r.hunks(t)
	if len(h["notes.txt"]) != 2 || len(h["new.txt"]) != 1 {
		t.Fatalf("hunks %+v", h)
	}
	if err := runChanges(context.Background(), &changesOptions{verbIO: r.io, stat: true}); err != nil {
		t.Fatal(err)
	}
	out := r.out.String()
	for _, want := range []string{"Session " + r.session + ": edit notes", "2 file(s) with undecided changes", "hunk " + h["notes.txt"][1].ID} {
		if !strings.Contains(out, want) {
			t.Fatalf("no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "+FIRST") {
		t.Fatalf("--stat printed diff lines:\n%s", out)
	}
}

func TestDecideOptionsAcceptAndReject(t *testing.T) {
	r := newVerbRepo(t)
	h := r.hunks(t)["notes.txt"]
	ctx := context.Background()
	if err := runDecide(ctx, &decideOptions{verbIO: r.io, action: session.ReviewAccept, targets: []string{h[0].ID}}); err != nil {
		t.Fatal(err)
	}
	if err := runDecide(ctx, &decideOptions{verbIO: r.io, action: session.ReviewReject, targets: []string{"new.txt"}, reason: "not wanted"}); err != nil {
		t.Fatal(err)
	}
	if out := r.out.String(); !strings.Contains(out, "Accepted") || !strings.Contains(out, "Rejected") || !strings.Contains(out, "(session "+r.session+")") {
		t.Fatalf("output:\n%s", out)
	}
	if staged := git(t, r.dir, "diff", "--cached"); !strings.Contains(staged, "+FIRST") || strings.Contains(staged, "LAST") {
		t.Fatalf("index after accepting one hunk:\n%s", staged)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "new.txt")); !os.IsNotExist(err) {
		t.Fatal("the rejected new file is still there")
	}
	// Deciding it twice is a usage error.
	if err := runDecide(ctx, &decideOptions{verbIO: r.io, action: session.ReviewAccept, targets: []string{h[0].ID}}); !usageCode(err) {
		t.Fatalf("second accept: %v", err)
	}
}

func TestUndoOptionsTakesBackADecision(t *testing.T) {
	r := newVerbRepo(t)
	h := r.hunks(t)["notes.txt"]
	ctx := context.Background()
	if err := runDecide(ctx, &decideOptions{verbIO: r.io, action: session.ReviewAccept, targets: []string{h[0].ID}}); err != nil {
		t.Fatal(err)
	}
	if err := runUndo(ctx, &undoOptions{verbIO: r.io, targets: []string{h[0].ID}}); err != nil {
		t.Fatal(err)
	}
	if staged := git(t, r.dir, "diff", "--cached"); strings.Contains(staged, "FIRST") {
		t.Fatalf("the undone accept is still staged:\n%s", staged)
	}
	if len(r.hunks(t)["notes.txt"]) != 2 {
		t.Fatal("the undone hunk is not proposed again")
	}
	// A bare undo would discard everything: with no terminal it refuses.
	err := runUndo(ctx, &undoOptions{verbIO: r.io})
	if !usageCode(err) || !strings.Contains(err.Error(), "wend undo --all") {
		t.Fatalf("bare undo without a terminal: %v", err)
	}
	if err := runUndo(ctx, &undoOptions{verbIO: r.io, all: true, targets: []string{h[0].ID}}); !usageCode(err) {
		t.Fatalf("--all with ids: %v", err)
	}
}

func TestCommitOptionsCommitsTheAcceptedHunk(t *testing.T) {
	r := newVerbRepo(t)
	ctx := context.Background()
	co := &commitOptions{verbIO: r.io, noEdit: true, message: "Take the first line"}
	if err := runCommit(ctx, co); !usageCode(err) || !strings.Contains(err.Error(), "nothing is staged") {
		t.Fatalf("commit with nothing staged: %v", err)
	}
	h := r.hunks(t)["notes.txt"]
	if err := runDecide(ctx, &decideOptions{verbIO: r.io, action: session.ReviewAccept, targets: []string{h[0].ID}}); err != nil {
		t.Fatal(err)
	}
	r.out.Reset()
	t.Setenv("GIT_AUTHOR_NAME", "t")
	t.Setenv("GIT_AUTHOR_EMAIL", "t@x")
	t.Setenv("GIT_COMMITTER_NAME", "t")
	t.Setenv("GIT_COMMITTER_EMAIL", "t@x")
	if err := runCommit(ctx, co); err != nil {
		t.Fatalf("%v\nstderr: %s", err, r.errb)
	}
	if out := r.out.String(); !strings.Contains(out, "Committed ") || !strings.Contains(out, "Take the first line") {
		t.Fatalf("output: %s", out)
	}
	if shown := git(t, r.dir, "show", "HEAD", "--format=%s"); !strings.HasPrefix(shown, "Take the first line\n") || !strings.Contains(shown, "+FIRST") || strings.Contains(shown, "LAST") {
		t.Fatalf("commit:\n%s", shown)
	}
}

func TestSessionsOptionsListsAndRefuses(t *testing.T) {
	r := newVerbRepo(t)
	ctx := context.Background()
	if err := runSessions(ctx, &sessionsOptions{verbIO: r.io, json: true}); err != nil {
		t.Fatal(err)
	}
	var row struct {
		ID   string `json:"id"`
		Task string `json:"task"`
	}
	if err := json.Unmarshal(r.out.Bytes(), &row); err != nil || row.ID != r.session || row.Task != "edit notes" {
		t.Fatalf("sessions --json: %v %s", err, r.out)
	}
	if err := runSessions(ctx, &sessionsOptions{verbIO: r.io, dryRun: true}); !usageCode(err) {
		t.Fatalf("--dry-run without --prune: %v", err)
	}
	// The session holds undecided changes, so pruning keeps it.
	r.out.Reset()
	if err := runSessions(ctx, &sessionsOptions{verbIO: r.io, prune: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(r.dir, ".git", "wend", r.session)); err != nil {
		t.Fatalf("prune removed a session that holds changes: %v\n%s", err, r.out)
	}
}
