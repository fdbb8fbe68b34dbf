package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/llm/llmtest"
)

// sessionIDs maps each stored session's task to its id.
func sessionIDs(t *testing.T, env func(string) string, dir string) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, s := range sessionsJSON(t, env, dir) {
		ids[s.Task] = s.ID
	}
	return ids
}

// wendRefs lists the sessions that still have refs under refs/wend/.
func wendRefs(t *testing.T, dir string) map[string]bool {
	t.Helper()
	out := git(t, dir, "for-each-ref", "--format=%(refname)", "refs/wend/")
	got := map[string]bool{}
	for _, ref := range strings.Fields(out) {
		got[strings.Split(strings.TrimPrefix(ref, "refs/wend/"), "/")[0]] = true
	}
	return got
}

// age makes a session look idle since d ago (its log's modification time).
func age(t *testing.T, dir, id string, d time.Duration) {
	t.Helper()
	then := time.Now().Add(-d)
	if err := os.Chtimes(filepath.Join(dir, ".git", "wend", id, "events.jsonl"), then, then); err != nil {
		t.Fatal(err)
	}
}

// `wend sessions --prune` removes exactly the ended sessions that hold nothing
// for the user, with their refs (packed ones too) and directories; sessions
// with undecided changes or undelivered feedback, and a running one, stay and
// still work; --dry-run and a too-young --older-than remove nothing.
func TestSessionsPruneRemovesOnlyFinishedWork(t *testing.T) {
	dir := notesRepo(t)
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	runScripted(t, env, dir, "decided", editCall("row-02\n", "FIRST\n"))
	if code, out, errOut := wend(t, env, "-C", dir, "accept", "all"); code != 0 {
		t.Fatalf("accept: %d %s %s", code, out, errOut)
	}
	runScripted(t, env, dir, "pending", createCall("new.txt", "hello\n"))
	runScripted(t, env, dir, "read only", llmtestListDir())
	runScripted(t, env, dir, "rejected", editCall("row-10\n", "TEN\n"))
	if code, out, errOut := wend(t, env, "-C", dir, "reject", "notes.txt", "--reason", "keep row ten"); code != 0 {
		t.Fatalf("reject: %d %s %s", code, out, errOut)
	}
	startWendChild(t, dir) // a running session
	ids := sessionIDs(t, env, dir)
	if len(ids) != 5 {
		t.Fatalf("sessions: %v", ids)
	}
	git(t, dir, "pack-refs", "--all") // prune must remove packed refs too
	gone := []string{ids["decided"], ids["read only"]}
	kept := []string{ids["pending"], ids["rejected"], ids["a long task"]}
	for _, id := range append(gone, kept...) {
		if !wendRefs(t, dir)[id] {
			t.Fatalf("session %s has no refs before pruning: %v", id, wendRefs(t, dir))
		}
	}

	code, out, errOut := wend(t, env, "-C", dir, "sessions", "--prune", "--dry-run")
	if code != 0 || !strings.Contains(out, "Would remove 2 sessions") || !strings.Contains(out, ids["decided"]) || strings.Contains(out, ids["pending"]) {
		t.Fatalf("dry run: %d %q %s", code, out, errOut)
	}
	code, out, errOut = wend(t, env, "-C", dir, "sessions", "--prune", "--older-than", "14d")
	if code != 0 || !strings.Contains(out, "Removed 0 sessions") {
		t.Fatalf("--older-than 14d on fresh sessions: %d %q %s", code, out, errOut)
	}
	if refs := wendRefs(t, dir); len(refs) != 5 {
		t.Fatalf("dry run and --older-than removed refs: %v", refs)
	}

	code, out, errOut = wend(t, env, "-C", dir, "sessions", "--prune")
	if code != 0 || !strings.Contains(out, "Removed 2 sessions (") || !strings.Contains(out, "kept 2 with undecided changes or undelivered feedback: wend changes") {
		t.Fatalf("prune: %d %q %s", code, out, errOut)
	}
	refs := wendRefs(t, dir)
	for _, id := range gone {
		if refs[id] {
			t.Errorf("session %s still has refs: %s", id, git(t, dir, "for-each-ref", "refs/wend/"+id))
		}
		if _, err := os.Stat(filepath.Join(dir, ".git", "wend", id)); !os.IsNotExist(err) {
			t.Errorf("session %s's directory is still there: %v", id, err)
		}
	}
	for _, id := range kept {
		if !refs[id] {
			t.Errorf("kept session %s lost its refs", id)
		}
	}
	if got := sessionIDs(t, env, dir); len(got) != 3 {
		t.Fatalf("sessions after pruning: %v", got)
	}
	// The kept sessions still work.
	code, out, _ = wend(t, env, "-C", dir, "changes", "--stat")
	if code != 0 || !strings.Contains(out, "new.txt") || !strings.Contains(out, "keep row ten") {
		t.Fatalf("changes after pruning: %d %s", code, out)
	}
	if code, out, errOut := wend(t, env, "-C", dir, "accept", "new.txt"); code != 0 || !strings.Contains(out, "Accepted 1 hunk in 1 file: new.txt") {
		t.Fatalf("accept after pruning: %d %s %s", code, out, errOut)
	}
	if staged := git(t, dir, "diff", "--cached", "--name-only"); !strings.Contains(staged, "new.txt") || !strings.Contains(staged, "notes.txt") {
		t.Fatalf("the index lost an accepted change: %s", staged)
	}
}

// `--older-than` counts from a session's last activity; `wend run` prunes
// month-old finished sessions by itself, silently, and keeps pending work.
func TestOldSessionsArePrunedAtStart(t *testing.T) {
	dir := notesRepo(t)
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	runScripted(t, env, dir, "old and done", llmtestListDir())
	runScripted(t, env, dir, "old and pending", createCall("new.txt", "hello\n"))
	runScripted(t, env, dir, "recent and done", llmtestListDir())
	ids := sessionIDs(t, env, dir)
	age(t, dir, ids["old and done"], 40*24*time.Hour)
	age(t, dir, ids["old and pending"], 40*24*time.Hour)
	age(t, dir, ids["recent and done"], 20*24*time.Hour)

	code, out, errOut := wend(t, env, "-C", dir, "sessions", "--prune", "--dry-run", "--older-than", "36h")
	if code != 0 || !strings.Contains(out, "Would remove 2 sessions") {
		t.Fatalf("--older-than 36h: %d %q %s", code, out, errOut)
	}
	if code, _, errOut := wend(t, env, "-C", dir, "sessions", "--prune", "--older-than", "fortnight"); code != ExitUsage || !strings.Contains(errOut, "14d") {
		t.Fatalf("a bad --older-than: %d %s", code, errOut)
	}

	srv := scriptedFinish(t)
	code, out, errOut = wend(t, env, "-C", dir, "run", "--provider", "openai", "--base-url", srv.URL, "--model", "m", "a new task")
	if code != 0 || strings.Contains(out+errOut, "prun") || strings.Contains(out+errOut, "emoved") {
		t.Fatalf("run: %d %q %q", code, out, errOut)
	}
	got := sessionIDs(t, env, dir)
	if _, ok := got["old and done"]; ok || len(got) != 3 {
		t.Fatalf("after a start: %v", got)
	}
	if refs := wendRefs(t, dir); refs[ids["old and done"]] || !refs[ids["old and pending"]] || !refs[ids["recent and done"]] {
		t.Fatalf("refs after a start: %v", refs)
	}
}

func llmtestListDir() llmtest.ToolCall {
	return llmtest.ToolCall{Name: "list_dir", Args: json.RawMessage(`{"path":"."}`)}
}

// scriptedFinish is a model server that finishes at once.
func scriptedFinish(t *testing.T) *llmtest.Server {
	t.Helper()
	return llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{
		{ToolCalls: []llmtest.ToolCall{{Name: "finish", Args: json.RawMessage(`{"summary":"ok"}`)}}},
	}})
}
func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"14d": 14 * 24 * time.Hour, "36h": 36 * time.Hour, "1d12h": 36 * time.Hour, "90m": 90 * time.Minute, "0.5d": 12 * time.Hour} {
		if got, err := parseAge(in); err != nil || got != want {
			t.Errorf("parseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "fortnight", "-3d", "d", "3x"} {
		if _, err := parseAge(in); err == nil {
			t.Errorf("parseAge(%q) accepted", in)
		}
	}
}
