package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/remote/llm/llmtest"
	"gitlab.com/wend/wend/session"
)

// worktreeUserRepo is a committed notes.txt of 30 rows, with the user's own
// change to row 5 staged.
func worktreeUserRepo(t *testing.T) (dir, body string) {
	dir = t.TempDir()
	var rows []string
	for i := 1; i <= 30; i++ {
		rows = append(rows, fmt.Sprintf("row-%02d", i))
	}
	body = strings.Join(rows, "\n") + "\n"
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte(body), 0o644)
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "init")
	body = strings.Replace(body, "row-05\n", "user staged\n", 1)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte(body), 0o644)
	git(t, dir, "add", "notes.txt")
	return dir, body
}

func readText(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// `wend run --worktree`: the agent edits in its worktree (its command sees
// its edit there and not in the user's file), the run's end removes the
// worktree and branch, and the review verbs then carry accepted hunks to
// the user's tree and index, refuse one that overlaps a user edit, and keep
// rejected ones out.
func TestWorktreeRunThenAccept(t *testing.T) {
	dir, body := worktreeUserRepo(t)
	check := fmt.Sprintf("grep -c FIRST notes.txt %q; pwd", filepath.Join(dir, "notes.txt"))
	cmdArgs, _ := json.Marshal(map[string]string{"command": check})
	script := llmtest.Script{Turns: []llmtest.Turn{
		{ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: json.RawMessage(`{"path":"notes.txt"}`)}}},
		{ToolCalls: []llmtest.ToolCall{
			{Name: "edit_file", Args: json.RawMessage(`{"path":"notes.txt","old_string":"row-02\n","new_string":"FIRST\n"}`)},
			{Name: "edit_file", Args: json.RawMessage(`{"path":"notes.txt","old_string":"row-29\n","new_string":"LAST\n"}`)},
			{Name: "create_file", Args: json.RawMessage(`{"path":"new.txt","content":"hello\n"}`)},
		}},
		{ToolCalls: []llmtest.ToolCall{{Name: "run_command", Args: cmdArgs}}},
		{ToolCalls: []llmtest.ToolCall{{Name: "finish", Args: json.RawMessage(`{"summary":"ok"}`)}}},
	}}
	srv := llmtest.Start(t, llmtest.OpenAI, script)
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	code, out, errOut := wend(t, env, "-C", dir, "--worktree", "run", "--json", "--provider", "openai", "--base-url", srv.URL,
		"--model", "m", "--approval", "full-auto", "edit notes")
	if code != 0 {
		t.Fatalf("run: %d %s %s", code, out, errOut)
	}
	// While it worked: the command ran in the worktree, which had the edit,
	// and the user's file did not.
	if !strings.Contains(out, `notes.txt:1\n`) || !strings.Contains(out, `/notes.txt:0\n`) || !strings.Contains(out, `/wend/`) {
		t.Fatalf("the agent's command did not see its edit only in its worktree:\n%s", out)
	}
	if got := readText(t, filepath.Join(dir, "notes.txt")); got != body {
		t.Fatalf("the user's file changed before any accept:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "new.txt")); err == nil {
		t.Fatal("the agent's new file reached the user's tree")
	}
	if wl := git(t, dir, "worktree", "list", "--porcelain"); strings.Count(wl, "worktree ") != 1 {
		t.Fatalf("the worktree outlived the session:\n%s", wl)
	}
	if br := git(t, dir, "branch", "--list", "wend/*"); strings.TrimSpace(br) != "" {
		t.Fatalf("the branch outlived the session: %s", br)
	}

	code, out, errOut = wend(t, env, "-C", dir, "changes", "--json")
	if code != 0 {
		t.Fatalf("changes: %s", errOut)
	}
	var listed struct {
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
	want := strings.Replace(body, "row-02\n", "FIRST\n", 1)
	if got := readText(t, filepath.Join(dir, "notes.txt")); got != want {
		t.Fatalf("user's file after accept:\n%s", got)
	}
	if got := git(t, dir, "show", ":notes.txt"); got != want {
		t.Fatalf("user's index after accept (on top of the staged row 5):\n%s", got)
	}
	// The user edits the line the other hunk changes: accepting it fails
	// with the line and changes nothing.
	edited := strings.Replace(want, "row-29\n", "mine\n", 1)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte(edited), 0o644)
	code, _, errOut = wend(t, env, "-C", dir, "accept", h[1].ID)
	if code != ExitFailed || !strings.Contains(errOut, "line 29") {
		t.Fatalf("overlapping accept: %d %s", code, errOut)
	}
	if got := readText(t, filepath.Join(dir, "notes.txt")); got != edited {
		t.Fatal("a refused accept changed the user's file")
	}
	if code, _, errOut := wend(t, env, "-C", dir, "reject", h[1].ID, "new.txt"); code != 0 {
		t.Fatalf("reject: %s", errOut)
	}
	if strings.Contains(git(t, dir, "diff", "HEAD"), "LAST") {
		t.Fatal("a rejected hunk reached the user's tree")
	}
	if _, err := os.Stat(filepath.Join(dir, "new.txt")); err == nil {
		t.Fatal("a rejected file reached the user's tree")
	}
	if code, out, _ := wend(t, env, "-C", dir, "changes"); code != 0 || !strings.Contains(out, "no undecided changes") {
		t.Fatalf("after the review: %s", out)
	}
	if wl := git(t, dir, "worktree", "list", "--porcelain"); strings.Count(wl, "worktree ") != 1 {
		t.Fatalf("a review verb left its worktree:\n%s", wl)
	}
}

// The engine's Reviewer in isolated mode mirrors accepts, keeps rejections in
// the worktree, and closing the staging removes the worktree.
func TestWorktreeStagingReviewer(t *testing.T) {
	ctx := context.Background()
	dir, body := worktreeUserRepo(t)
	var stderr bytes.Buffer
	g := &globals{dir: dir, worktree: true, stderr: &stderr, env: func(string) string { return "" }, changed: func(string) bool { return false }}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	ws, err := g.openWorkspace(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, err := assemble.NewStaging(ctx, g.assembly(ws, false), "live-1")
	if err != nil {
		t.Fatal(err)
	}
	wtRoot := st.Repo.Root()
	if wtRoot == ws.repo.Root() {
		t.Fatal("the agent's checkout is the user's")
	}
	agent := strings.Replace(strings.Replace(body, "row-02\n", "FIRST\n", 1), "row-29\n", "LAST\n", 1)
	if err := st.Workspace.WriteFile(ctx, "notes.txt", []byte(agent), 0o644); err != nil {
		t.Fatal(err)
	}
	if readText(t, filepath.Join(dir, "notes.txt")) != body {
		t.Fatal("the agent's write reached the user's tree")
	}
	fcs, err := st.Review.Changes(ctx)
	if err != nil || len(fcs) != 1 || len(fcs[0].Hunks) != 2 {
		t.Fatalf("list: %v %+v", err, fcs)
	}
	hs := fcs[0].Hunks
	if _, err := st.Review.Decide(ctx, session.Decision{Action: session.ReviewAccept, Targets: []string{hs[0].ID}}); err != nil {
		t.Fatal(err)
	}
	fb, err := st.Review.Decide(ctx, session.Decision{Action: session.ReviewReject, Targets: []string{hs[1].ID}, Reason: "no"})
	if err != nil || !strings.Contains(fb.Text, "rejected") {
		t.Fatalf("reject: %v %q", err, fb.Text)
	}
	want := strings.Replace(body, "row-02\n", "FIRST\n", 1)
	if got := readText(t, filepath.Join(dir, "notes.txt")); got != want {
		t.Fatalf("user's file:\n%s", got)
	}
	if got := git(t, dir, "show", ":notes.txt"); got != want {
		t.Fatalf("user's index:\n%s", got)
	}
	if strings.Contains(readText(t, filepath.Join(wtRoot, "notes.txt")), "LAST") {
		t.Fatal("the rejected hunk is still in the worktree")
	}
	st.Close()
	if _, err := os.Stat(wtRoot); !os.IsNotExist(err) {
		t.Fatal("closing the staging left the worktree")
	}
	if br := git(t, dir, "branch", "--list", "wend/*"); strings.TrimSpace(br) != "" {
		t.Fatalf("closing the staging left the branch: %s", br)
	}
}

// A worktree left by a session whose process died is removed at the next
// start, which says so; the session's proposals stay listed.
func TestWorktreeCrashRecoveredAtStart(t *testing.T) {
	ctx := context.Background()
	dir, _ := worktreeUserRepo(t)
	w, err := gitops.AddWorktree(ctx, nil, dir, "crashed-1")
	if err != nil {
		t.Fatal(err)
	}
	gs, err := w.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.WriteFile(ctx, "notes.txt", []byte("agent\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gs.Close()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	// Simulate the crash: the record names a process that has exited.
	meta := filepath.Join(w.StateDir, "worktree.json")
	data := strings.Replace(readText(t, meta), fmt.Sprintf(`"PID": %d`, os.Getpid()), fmt.Sprintf(`"PID": %d`, dead.Process.Pid), 1)
	os.WriteFile(meta, []byte(data), 0o600)

	env := wendEnv(t, nil)
	code, out, errOut := wend(t, env, "-C", dir, "changes", "--session", "crashed-1", "--stat")
	if code != 0 {
		t.Fatalf("changes: %d %s", code, errOut)
	}
	if !strings.Contains(errOut, "removed the worktree and branch wend/crashed-1") || !strings.Contains(errOut, "is gone") {
		t.Fatalf("recovery was not reported: %q", errOut)
	}
	if !strings.Contains(out, "notes.txt") {
		t.Fatalf("the crashed session's proposals were lost: %s", out)
	}
	if _, err := os.Stat(w.Dir); !os.IsNotExist(err) {
		t.Fatal("the crashed worktree is still there")
	}
	if br := git(t, dir, "branch", "--list", "wend/*"); strings.TrimSpace(br) != "" {
		t.Fatalf("the crashed session's branch is still there: %s", br)
	}
}
