package cli

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/llm/llmtest"
	"gitlab.com/wend/wend/session"
)

// Quitting the UI with undecided changes says, on the normal terminal once the
// UI is gone, what waits and how to review it.
func TestQuitWithUndecidedChangesSaysWhatWaits(t *testing.T) {
	bin := wendBinary(t)
	dir := notesRepo(t)
	call := func(name, args string) llmtest.ToolCall {
		return llmtest.ToolCall{Name: name, Args: json.RawMessage(args)}
	}
	srv := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{
		{ToolCalls: []llmtest.ToolCall{call("read_file", `{"path":"notes.txt"}`)}},
		{ToolCalls: []llmtest.ToolCall{
			call("edit_file", `{"path":"notes.txt","old_string":"row-02\n","new_string":"FIRST\nSECOND\n"}`),
			call("create_file", `{"path":"new.txt","content":"hello\n"}`)}},
		{ToolCalls: []llmtest.ToolCall{call("finish", `{"summary":"Edited the notes."}`)}},
	}})
	home := t.TempDir()
	p := newPane(t, 160, 30, []string{"HOME=" + home, "XDG_STATE_HOME=" + home, "XDG_CONFIG_HOME=" + home, "OPENAI_API_KEY=k", "TERM=xterm-256color"},
		bin, "-C", dir, "--provider", "openai", "--base-url", srv.URL, "--model", "m", "--approval", "auto-edit")
	p.waitFor("Describe a task")
	p.typeText("edit the notes")
	p.keys("Enter")
	p.waitFor("finished")
	p.keys("C-c")
	p.keys("C-c")
	// The lines go to the normal screen below where the UI was, so the first
	// may have scrolled into the pane's history: read that too.
	s := p.waitForInHistory("wait for your review")
	for _, want := range []string{"2 changed files wait for your review in session", "notes.txt +2 -1", "new.txt +1", "wend changes", "wend accept all"} {
		if !strings.Contains(s, want) {
			t.Errorf("the exit message lacks %q:\n%s", want, s)
		}
	}
}

func TestWaitingNote(t *testing.T) {
	if got := waitingNote("s1", nil); got != "" {
		t.Fatalf("nothing waits, yet: %q", got)
	}
	got := waitingNote("3f2a", []session.FileChange{
		{Path: "calc.go", Added: 3, Deleted: 1}, {Path: "README.md", Added: 1}, {Path: "logo.png", Binary: true}, {Path: "run.sh", Kind: session.ChangeMode},
	})
	want := "4 changed files wait for your review in session 3f2a (calc.go +3 -1, README.md +1, logo.png (binary), run.sh (mode)).\n" +
		"Review: wend changes · accept: wend accept all --session 3f2a · reject: wend reject PATH --reason WHY"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	var many []session.FileChange
	for i := range 7 {
		many = append(many, session.FileChange{Path: fmt.Sprintf("f%d", i), Added: 1})
	}
	if got := waitingNote("s", many[:1]); !strings.HasPrefix(got, "1 changed file waits for your review") {
		t.Fatalf("one file: %q", got)
	}
	if got := waitingNote("s", many); !strings.Contains(got, "f4 +1, and 2 more)") {
		t.Fatalf("seven files: %q", got)
	}
}

// waitForInHistory polls the pane, with its scrollback, until it contains want.
func (p *pane) waitForInHistory(want string) string {
	p.t.Helper()
	var s []byte
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		s, _ = exec.Command("tmux", "capture-pane", "-p", "-J", "-S", "-200", "-t", p.name).Output()
		if strings.Contains(string(s), want) {
			return string(s)
		}
	}
	p.t.Fatalf("the pane never showed %q; it shows:\n%s", want, s)
	return ""
}
