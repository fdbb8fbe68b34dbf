package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/llm/llmtest"
)

// Without the sandbox's capture wend cannot tell the user's edits made while a
// command ran from the command's own; the review must say so, and reject must
// leave those bytes where they are.
func TestChangesSayWhenACommandRanWithoutCapture(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("one\n"), 0o644)
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "init")

	script := llmtest.Script{Turns: []llmtest.Turn{
		{ToolCalls: []llmtest.ToolCall{{Name: "run_command", Args: json.RawMessage(`{"command":"echo two >> notes.txt"}`)}}},
		{ToolCalls: []llmtest.ToolCall{{Name: "finish", Args: json.RawMessage(`{"summary":"ok"}`)}}},
	}}
	srv := llmtest.Start(t, llmtest.OpenAI, script)
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	cfg := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "wend")
	if err := os.MkdirAll(cfg, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg, "config.toml"), []byte("sandbox = \"off\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", "openai", "--base-url", srv.URL, "--model", "m", "--approval", "full-auto", "append"); code != 0 {
		t.Fatalf("run: %d %s %s", code, out, errOut)
	}
	code, out, errOut := wend(t, env, "-C", dir, "changes")
	if code != 0 || !strings.Contains(out, "notes.txt") || !strings.Contains(out, "changed while the command ran") {
		t.Fatalf("changes (%d) should mark the uncaptured change:\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = wend(t, env, "-C", dir, "changes", "--json")
	if code != 0 || !strings.Contains(strings.ReplaceAll(out, " ", ""), `"uncertain":true`) {
		t.Fatalf("changes --json (%d) should carry uncertain:\n%s\n%s", code, out, errOut)
	}
	code, _, _ = wend(t, env, "-C", dir, "reject", "notes.txt", "--reason", "no")
	if got, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(got) != "one\ntwo\n" || code == 0 {
		t.Fatalf("reject of an uncertain change: exit %d, file %q; want a refusal and the bytes kept", code, got)
	}
}
