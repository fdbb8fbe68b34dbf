package assemble

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/wend/wend/cli/config"
	"gitlab.com/wend/wend/context/repo"
	"gitlab.com/wend/wend/remote/llm/llmtest"
	"gitlab.com/wend/wend/session"
)

// testRepo is a committed repository with one file, and the settings a user
// would give (provider, model, policy) for a scripted model at url.
func testRepo(t *testing.T, url string) Options {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"},
		{"-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "init"}} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	ctx := context.Background()
	r, err := repo.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"OPENAI_API_KEY": "k"}
	s, err := config.Load(config.Sources{RepoRoot: r.Root(), Env: func(k string) string { return env[k] },
		Flags: map[string]string{"provider": "openai", "base_url": url, "model": "m", "approval": "auto-edit"}})
	if err != nil {
		t.Fatal(err)
	}
	s.Sandbox = "off" // no command runs; the probe need not either
	return Options{Repo: r, Branch: "main", Settings: s}
}

// New wires a session that runs a task through the real engine, tools and
// staging: the edit becomes a proposal on its review port, the log is
// persisted in the repository's store, and Close releases it so another
// process may reopen it.
func TestNewRunsATaskAndCloses(t *testing.T) {
	srv := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{
		{ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: json.RawMessage(`{"path":"notes.txt"}`)}}},
		{ToolCalls: []llmtest.ToolCall{{Name: "edit_file", Args: json.RawMessage(`{"path":"notes.txt","old_string":"two\n","new_string":"TWO\n"}`)}}},
		{ToolCalls: []llmtest.ToolCall{{Name: "finish", Args: json.RawMessage(`{"summary":"ok"}`)}}},
	}})
	o := testRepo(t, srv.URL)
	ctx := context.Background()
	s, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if s.Model != "m" || s.Engine == nil || s.Review == nil || s.Policy != session.PolicyAutoEdit {
		t.Fatalf("session %+v", s)
	}
	events := s.Log.Subscribe(ctx, 0)
	if err := s.Engine.Start(ctx, session.Task{Text: "shout two"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(time.Minute)
	for done := false; !done; {
		select {
		case e := <-events:
			if f, ok := e.Payload.(session.SessionFinished); ok {
				if f.State != session.StateFinished {
					t.Fatalf("ended %s: %s", f.State, f.Error)
				}
				done = true
			}
		case <-deadline:
			t.Fatal("no SessionFinished within a minute")
		}
	}
	<-s.Engine.Done()
	fcs, err := s.Engine.Changes(ctx)
	if err != nil || len(fcs) != 1 || fcs[0].Path != "notes.txt" {
		t.Fatalf("proposals %v %+v", err, fcs)
	}
	s.Close()
	st, err := Store(ctx, o.Repo)
	if err != nil {
		t.Fatal(err)
	}
	if _, live := st.Live(s.ID); live {
		t.Fatal("the closed session still counts as open")
	}
	// Closed, it can be reopened: its log comes back and nothing is
	// recorded as interrupted, since the task ended.
	r, err := Reopen(ctx, o, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Reopened == nil || r.Reopened.Killed || r.Reopened.EndState != session.StateFinished || r.Reopened.Last.Task != "shout two" {
		t.Fatalf("reopened %+v", r.Reopened)
	}
}

// What the user must fix in their settings is a UsageError, before any
// repository state is made.
func TestWiringErrorsAreUsageErrors(t *testing.T) {
	o := testRepo(t, "http://127.0.0.1:9")
	ctx := context.Background()
	for name, change := range map[string]func(*config.Settings){
		"no provider":  func(s *config.Settings) { s.Provider = "" },
		"bad approval": func(s *config.Settings) { s.Approval = "sometimes" },
		"no key":       func(s *config.Settings) { s.APIKey, s.BaseURL = "", "" },
		"bad provider": func(s *config.Settings) { s.Provider = "nope" },
	} {
		s := *o.Settings
		change(&s)
		oo := o
		oo.Settings = &s
		_, err := New(ctx, oo)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%s: %v is not a UsageError", name, err)
		}
	}
	if _, err := Reopen(ctx, Options{Repo: o.Repo, Settings: o.Settings, Worktree: true}, "x"); err == nil || !strings.Contains(err.Error(), "--worktree") {
		t.Errorf("reopening with --worktree: %v", err)
	}
	st, _ := Store(ctx, o.Repo)
	if list, _ := st.List(); len(list) != 0 {
		t.Fatalf("a refused session left %d in the store", len(list))
	}
}
