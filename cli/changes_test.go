package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/remote/llm/llmtest"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/review"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// A headless session proposes two hunks in one file and a new file; the review verbs
// accept one hunk, reject the other with a reason, and reject the new file.
func TestReviewVerbsAcceptAndRejectHunks(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	for i := 1; i <= 30; i++ {
		lines = append(lines, fmt.Sprintf("row-%02d", i))
	}
	body := strings.Join(lines, "\n") + "\n"
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte(body), 0o644)
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "init")

	script := llmtest.Script{Turns: []llmtest.Turn{
		{ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: json.RawMessage(`{"path":"notes.txt"}`)}}},
		{ToolCalls: []llmtest.ToolCall{
			{Name: "edit_file", Args: json.RawMessage(`{"path":"notes.txt","old_string":"row-02\n","new_string":"FIRST\n"}`)},
			{Name: "edit_file", Args: json.RawMessage(`{"path":"notes.txt","old_string":"row-29\n","new_string":"LAST\n"}`)},
			{Name: "create_file", Args: json.RawMessage(`{"path":"new.txt","content":"hello\n"}`)},
		}},
		{ToolCalls: []llmtest.ToolCall{{Name: "finish", Args: json.RawMessage(`{"summary":"ok"}`)}}},
	}}
	srv := llmtest.Start(t, llmtest.OpenAI, script)
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	if code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", "openai", "--base-url", srv.URL, "--model", "m", "--approval", "auto-edit", "edit notes"); code != 0 {
		t.Fatalf("run: %d %s %s", code, out, errOut)
	}
	code, out, errOut := wend(t, env, "-C", dir, "changes", "--json")
	if code != 0 {
		t.Fatalf("changes: %s", errOut)
	}
	var listed struct {
		Session string               `json:"session"`
		Changes []session.FileChange `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &listed); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(listed.Changes) != 2 || listed.Changes[1].Path != "notes.txt" || len(listed.Changes[1].Hunks) != 2 {
		t.Fatalf("changes: %s", out)
	}
	h := listed.Changes[1].Hunks
	if code, _, errOut := wend(t, env, "-C", dir, "accept", h[0].ID); code != 0 {
		t.Fatalf("accept: %s", errOut)
	}
	if code, _, errOut := wend(t, env, "-C", dir, "reject", h[1].ID, "--reason", "keep the last line"); code != 0 {
		t.Fatalf("reject: %s", errOut)
	}
	if code, _, errOut := wend(t, env, "-C", dir, "reject", "new.txt"); code != 0 {
		t.Fatalf("reject file: %s", errOut)
	}
	// Undo the accept, then accept again: the hunk leaves the index and comes back.
	if code, _, errOut := wend(t, env, "-C", dir, "undo", h[0].ID); code != 0 {
		t.Fatalf("undo: %s", errOut)
	}
	if staged := git(t, dir, "diff", "--cached"); strings.Contains(staged, "FIRST") {
		t.Fatalf("undone accept still staged: %s", staged)
	}
	if code, _, errOut := wend(t, env, "-C", dir, "accept", h[0].ID); code != 0 {
		t.Fatalf("accept after undo: %s", errOut)
	}
	staged := git(t, dir, "diff", "--cached")
	if !strings.Contains(staged, "+FIRST") || strings.Contains(staged, "LAST") {
		t.Fatalf("index: %s", staged)
	}
	work, _ := os.ReadFile(filepath.Join(dir, "notes.txt"))
	if !strings.Contains(string(work), "FIRST") || strings.Contains(string(work), "LAST") {
		t.Fatalf("working tree: %s", work)
	}
	if _, err := os.Stat(filepath.Join(dir, "new.txt")); !os.IsNotExist(err) {
		t.Fatal("the rejected new file is still there")
	}
	// Deciding a hunk twice is a usage error that says how to list pending hunks.
	code, _, errOut = wend(t, env, "-C", dir, "accept", h[0].ID)
	if code != ExitUsage || !strings.Contains(errOut, "wend changes") {
		t.Fatalf("second accept: %d %s", code, errOut)
	}
	code, out, _ = wend(t, env, "-C", dir, "changes")
	if code != 0 || !strings.Contains(out, "no undecided changes") {
		t.Fatalf("after deciding everything: %s", out)
	}

	// Finish: commit the accepted hunk on a wend/ branch and push it to a remote.
	bare := t.TempDir()
	git(t, bare, "init", "-q", "--bare")
	git(t, dir, "remote", "add", "origin", bare)
	t.Setenv("GIT_AUTHOR_NAME", "t")
	t.Setenv("GIT_AUTHOR_EMAIL", "t@x")
	t.Setenv("GIT_COMMITTER_NAME", "t")
	t.Setenv("GIT_COMMITTER_EMAIL", "t@x")
	code, out, errOut = wend(t, env, "-C", dir, "commit", "--draft=false", "--no-edit", "--branch", "--push")
	if code != 0 {
		t.Fatalf("commit: %d %s %s", code, out, errOut)
	}
	if !strings.Contains(out, "On branch wend/edit-notes") || !strings.Contains(out, "Pushed wend/edit-notes") {
		t.Fatalf("commit output: %s", out)
	}
	msg := git(t, dir, "log", "-1", "--format=%B")
	// The subject summarises the change; the task and summary are the body.
	if !strings.HasPrefix(msg, "Update notes.txt\n\nTask: edit notes\n\nok") {
		t.Fatalf("commit message %q", msg)
	}
	if shown := git(t, dir, "show", "HEAD", "--format="); !strings.Contains(shown, "+FIRST") || strings.Contains(shown, "new.txt") {
		t.Fatalf("commit content: %s", shown)
	}
	if got := git(t, bare, "rev-parse", "wend/edit-notes"); strings.TrimSpace(got) != strings.TrimSpace(git(t, dir, "rev-parse", "HEAD")) {
		t.Fatal("the pushed branch is not the commit")
	}
	// With nothing staged, commit says what to do.
	code, _, errOut = wend(t, env, "-C", dir, "commit", "--draft=false", "--no-edit")
	if code != ExitUsage || !strings.Contains(errOut, "wend accept") {
		t.Fatalf("empty commit: %d %s", code, errOut)
	}
}

// With a model configured, the commit message is drafted by it from the staged diff.
func TestCommitMessageDraftedByModel(t *testing.T) {
	dir := demoRepo(t)
	os.WriteFile(filepath.Join(dir, "stats.go"), []byte("package stats\n\n// Mean is fixed.\n"), 0o644)
	git(t, dir, "add", "stats.go")
	srv := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{{Text: "Fix Mean's divisor\n\nIt divided by n-1."}}})
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	for _, k := range []string{"GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"} {
		t.Setenv(k, "t")
	}
	for _, k := range []string{"GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"} {
		t.Setenv(k, "t@x")
	}
	code, out, errOut := wend(t, env, "-C", dir, "--provider", "openai", "--base-url", srv.URL, "--model", "m", "commit", "--no-edit")
	if code != 0 {
		t.Fatalf("commit: %d %s %s", code, out, errOut)
	}
	if msg := git(t, dir, "log", "-1", "--format=%B"); !strings.HasPrefix(msg, "Fix Mean's divisor\n\nIt divided by n-1.") {
		t.Fatalf("message %q", msg)
	}
	if body := string(srv.Requests()[0].Body); !strings.Contains(body, "Mean is fixed") {
		t.Fatalf("the staged diff did not reach the model: %s", body)
	}
}

// A cloned repository cannot run a program through the commit draft: its own
// diff.external and textconv settings are ignored, and a secret in the staged
// diff is masked before it reaches the model.
func TestCommitDraftIgnoresTheRepositorysDiffPrograms(t *testing.T) {
	dir := demoRepo(t)
	marker := filepath.Join(t.TempDir(), "ran")
	script := filepath.Join(t.TempDir(), "evil.sh")
	os.WriteFile(script, []byte("#!/bin/sh\ntouch "+marker+"\n"), 0o755)
	git(t, dir, "config", "diff.external", script)
	git(t, dir, "config", "diff.evil.textconv", script)
	os.WriteFile(filepath.Join(dir, ".gitattributes"), []byte("*.go diff=evil\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "stats.go"), []byte("package stats\n\n// Mean is fixed.\nconst key = \"glpat-abcdefghij0123456789\"\n"), 0o644)
	git(t, dir, "add", "stats.go", ".gitattributes")
	srv := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{{Text: "Fix Mean's divisor\n\nIt divided by n-1."}}})
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	for _, k := range []string{"GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"} {
		t.Setenv(k, "t")
	}
	for _, k := range []string{"GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"} {
		t.Setenv(k, "t@x")
	}
	if code, out, errOut := wend(t, env, "-C", dir, "--provider", "openai", "--base-url", srv.URL, "--model", "m", "commit", "--no-edit"); code != 0 {
		t.Fatalf("commit: %d %s %s", code, out, errOut)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the repository's diff program ran during wend commit")
	}
	body := string(srv.Requests()[0].Body)
	if !strings.Contains(body, "Mean is fixed") {
		t.Fatalf("the staged diff did not reach the model: %s", body)
	}
	if strings.Contains(body, "glpat-abcdefghij0123456789") {
		t.Fatal("a token in the staged diff was sent to the model")
	}
}

// A second terminal cannot decide a session another wend has open.
func TestDecidingALiveSessionIsRefused(t *testing.T) {
	dir := demoRepo(t)
	replay := filepath.Join(t.TempDir(), "c.jsonl")
	os.WriteFile(replay, demoConversation(t), 0o600)
	env := wendEnv(t, nil)
	if code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", "replay", "--replay", replay, "--approval", "full-auto", "The tests fail. Find out why and fix the bug."); code != 0 {
		t.Fatalf("run: %s %s", out, errOut)
	}
	ids, _ := filepath.Glob(filepath.Join(dir, ".git", "wend", "*", "events.jsonl"))
	if len(ids) != 1 {
		t.Fatalf("sessions: %v", ids)
	}
	// Another live process (pid 1 always runs) now owns the session.
	host, _ := os.Hostname()
	os.WriteFile(filepath.Join(filepath.Dir(ids[0]), "owner.json"), []byte(`{"pid":1,"host":"`+host+`"}`), 0o600)
	code, _, errOut := wend(t, env, "-C", dir, "accept", "all")
	if code != ExitFailed || !strings.Contains(errOut, "open in another wend (pid 1)") {
		t.Fatalf("accept on a live session: %d %s", code, errOut)
	}
	if staged := git(t, dir, "diff", "--cached"); staged != "" {
		t.Fatalf("something was staged: %s", staged)
	}
	// `wend changes` only reads, so it still works.
	if code, out, _ := wend(t, env, "-C", dir, "changes", "--stat"); code != 0 || !strings.Contains(out, "stats.go") {
		t.Fatalf("changes: %s", out)
	}
}

// "modify in $EDITOR" starts from the agent's version, not from a working tree the
// user may have edited since.
func TestModifyStartsFromTheAgentsVersion(t *testing.T) {
	dir := demoRepo(t)
	gs, err := gitops.Start(context.Background(), dir, "s1")
	if err != nil {
		t.Fatal(err)
	}
	defer gs.Close()
	if err := gs.WriteFile(context.Background(), "stats.go", []byte("package stats // agent\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "stats.go"), []byte("package stats // user edited since\n"), 0o644)
	got, err := review.New(gs).ChangeContent(context.Background(), "stats.go")
	if err != nil || !strings.Contains(got, "// agent") {
		t.Fatalf("content %q, %v", got, err)
	}
}
