package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/remote/llm/llmtest"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/agent"
	"gitlab.com/wend/wend/session/review"
	"gitlab.com/wend/wend/session/tools"
)

// notesRepo is a repository with one 30-line committed file, notes.txt.
func notesRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var lines []string
	for i := 1; i <= 30; i++ {
		lines = append(lines, fmt.Sprintf("row-%02d", i))
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "init")
	return dir
}

// runScripted runs a headless session whose model makes the given tool calls
// (after reading notes.txt) and finishes.
func runScripted(t *testing.T, env func(string) string, dir, task string, calls ...llmtest.ToolCall) {
	t.Helper()
	srv := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{
		{ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: json.RawMessage(`{"path":"notes.txt"}`)}}},
		{ToolCalls: calls},
		{ToolCalls: []llmtest.ToolCall{{Name: "finish", Args: json.RawMessage(`{"summary":"ok"}`)}}},
	}})
	if code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", "openai", "--base-url", srv.URL, "--model", "m", "--approval", "auto-edit", task); code != 0 {
		t.Fatalf("run: %d %s %s", code, out, errOut)
	}
}

func editCall(old, new string) llmtest.ToolCall {
	args, _ := json.Marshal(map[string]string{"path": "notes.txt", "old_string": old, "new_string": new})
	return llmtest.ToolCall{Name: "edit_file", Args: args}
}

func createCall(path, content string) llmtest.ToolCall {
	args, _ := json.Marshal(map[string]string{"path": path, "content": content})
	return llmtest.ToolCall{Name: "create_file", Args: args}
}

// Every decision verb says what it changed; "accept all" with nothing left is an
// error; a bare `wend undo` refuses (it would discard everything) and says what
// --all would discard.
func TestDecisionVerbsReportAndRefuseNothing(t *testing.T) {
	dir := notesRepo(t)
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	runScripted(t, env, dir, "edit notes", editCall("row-02\n", "FIRST\n"), editCall("row-29\n", "LAST\n"), createCall("new.txt", "hello\n"))

	code, out, errOut := wend(t, env, "-C", dir, "accept", "all")
	if code != 0 || !strings.Contains(out, "Accepted 3 hunks in 2 files: new.txt, notes.txt") {
		t.Fatalf("accept all: %d %q %s", code, out, errOut)
	}
	code, out, errOut = wend(t, env, "-C", dir, "accept", "all")
	if code != ExitFailed || !strings.Contains(errOut, "nothing to accept: no undecided changes in session") || strings.Contains(out, "Accepted") {
		t.Fatalf("accept all again: %d %q %q", code, out, errOut)
	}
	// A bare undo discards nothing and says what --all would.
	code, _, errOut = wend(t, env, "-C", dir, "undo")
	if code != ExitUsage || !strings.Contains(errOut, "This discards 2 accepted/rejected decisions and the agent's changes to 2 files: new.txt, notes.txt") || !strings.Contains(errOut, "wend undo --all") {
		t.Fatalf("bare undo: %d %s", code, errOut)
	}
	if staged := git(t, dir, "diff", "--cached"); !strings.Contains(staged, "+FIRST") {
		t.Fatalf("a bare undo changed the index: %s", staged)
	}
	code, out, errOut = wend(t, env, "-C", dir, "undo", "--all")
	if code != 0 || !strings.Contains(out, "2 files back to the session's baseline: new.txt, notes.txt") {
		t.Fatalf("undo --all: %d %q %s", code, out, errOut)
	}
	if staged := git(t, dir, "diff", "--cached"); staged != "" {
		t.Fatalf("undo --all left the index: %s", staged)
	}
}

// An older session's proposals stay visible and decidable behind a newer
// session: `wend changes` lists both, newest first, and the verbs find the
// session that holds a hunk or path.
func TestOlderSessionsProposalsAreNotHidden(t *testing.T) {
	dir := notesRepo(t)
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	runScripted(t, env, dir, "older task: edit notes", editCall("row-02\n", "FIRST\n"))
	runScripted(t, env, dir, "newer task: add a file", createCall("new.txt", "hello\n"))

	code, out, errOut := wend(t, env, "-C", dir, "changes", "--stat")
	newer, older := strings.Index(out, "newer task"), strings.Index(out, "older task")
	if code != 0 || newer < 0 || older < 0 || newer > older || !strings.Contains(out, "notes.txt") || !strings.Contains(out, "new.txt") {
		t.Fatalf("changes: %d %s %s", code, out, errOut)
	}
	// "all" is ambiguous between two sessions with undecided changes.
	code, _, errOut = wend(t, env, "-C", dir, "accept", "all")
	if code != ExitUsage || !strings.Contains(errOut, "--session") || !strings.Contains(errOut, "older task") {
		t.Fatalf("accept all across sessions: %d %s", code, errOut)
	}
	// A path names its session.
	code, out, errOut = wend(t, env, "-C", dir, "accept", "notes.txt")
	if code != 0 || !strings.Contains(out, "Accepted 1 hunk in 1 file: notes.txt") {
		t.Fatalf("accept notes.txt: %d %s %s", code, out, errOut)
	}
	if staged := git(t, dir, "diff", "--cached"); !strings.Contains(staged, "+FIRST") {
		t.Fatalf("index: %s", staged)
	}
	code, out, _ = wend(t, env, "-C", dir, "changes", "--stat")
	if code != 0 || strings.Contains(out, "older task") || !strings.Contains(out, "new.txt") {
		t.Fatalf("changes after deciding the older session: %s", out)
	}
}

// A rejection's reason is acknowledged only when a model request carrying it
// succeeds: a session that fails first leaves it pending in the journal (and
// `wend changes` says so), where a later session finds it.
func TestRejectionFeedbackSurvivesAFailedDelivery(t *testing.T) {
	for _, delivered := range []bool{false, true} {
		t.Run(fmt.Sprint("delivered=", delivered), func(t *testing.T) {
			dir := notesRepo(t)
			ctx := context.Background()
			gs, err := gitops.Start(ctx, dir, "s1")
			if err != nil {
				t.Fatal(err)
			}
			defer gs.Close()
			reg, err := tools.New(tools.Config{Root: dir, Workspace: gs})
			if err != nil {
				t.Fatal(err)
			}
			atTurn2, rejected := make(chan struct{}), make(chan struct{})
			third := llmtest.Turn{Fault: &llmtest.Fault{Status: 400, Message: "bad request"}}
			if delivered {
				third = llmtest.Turn{Text: "understood"}
			}
			srv := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{
				{ToolCalls: []llmtest.ToolCall{createCall("new.txt", "hello\n")}},
				{Func: func(llmtest.Request) llmtest.Turn {
					close(atTurn2)
					<-rejected
					return llmtest.Turn{ToolCalls: []llmtest.ToolCall{{Name: "list_dir", Args: json.RawMessage(`{"path":"."}`)}}}
				}},
				third,
			}})
			eng := agent.New(agent.Config{
				SessionID: "s1", Model: llm.NewOpenAI(llm.Config{APIKey: "k", BaseURL: srv.URL}), ModelName: "m",
				Tools: reg, Review: review.New(gs), Log: session.NewLog(nil), Policy: session.PolicyAutoEdit,
			})
			if err := eng.Start(ctx, session.Task{Text: "add a file"}); err != nil {
				t.Fatal(err)
			}
			<-atTurn2
			if err := eng.Resolve(ctx, session.Decision{Kind: session.DecideReview, Action: session.ReviewReject, Targets: []string{"new.txt"}, Reason: "not wanted here"}); err != nil {
				t.Fatal(err)
			}
			close(rejected)
			<-eng.Done()
			reqs := srv.Requests()
			if len(reqs) != 3 || !strings.Contains(string(reqs[2].Body), "not wanted here") {
				t.Fatalf("the third request did not carry the reason: %d requests", len(reqs))
			}
			fb := gs.Feedback()
			if delivered {
				if len(fb) != 0 {
					t.Fatalf("delivered feedback still pending: %+v", fb)
				}
				return
			}
			if len(fb) != 1 || fb[0].Reason != "not wanted here" {
				t.Fatalf("the failed delivery lost the feedback: %+v", fb)
			}
			gs.Close()
			env := wendEnv(t, nil)
			code, out, errOut := wend(t, env, "-C", dir, "changes", "--session", "s1")
			if code != 0 || !strings.Contains(out, "feedback not yet delivered") || !strings.Contains(out, "not wanted here") {
				t.Fatalf("changes: %d %s %s", code, out, errOut)
			}
		})
	}
}

// A bare `wend undo` whose stdin is /dev/null (a script, nohup, ssh host cmd
// </dev/null) is not asked anything: /dev/null is a character device but no
// terminal, so wend refuses with the --all hint instead of prompting.
func TestBareUndoFromDevNullRefusesWithoutAsking(t *testing.T) {
	dir := notesRepo(t)
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	runScripted(t, env, dir, "edit notes", editCall("row-02\n", "FIRST\n"))
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	raw, _ := json.Marshal([]string{"-C", dir, "undo"})
	cmd := exec.Command(os.Args[0], "-test.run=^TestWendChildProcess$")
	cmd.Env = append(os.Environ(), "WEND_CHILD_ARGS="+string(raw))
	cmd.Stdin = null
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitUsage || !strings.Contains(stderr.String(), "wend undo --all") || strings.Contains(stdout.String(), "Continue?") {
		t.Fatalf("bare undo from /dev/null: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); !strings.Contains(string(got), "FIRST") {
		t.Fatalf("the agent's change was undone: %s", got)
	}
}
