package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/session/tools"
)

func TestToolCommandRunsOneToolLikeTheModel(t *testing.T) {
	dir := demoRepo(t)
	env := wendEnv(t, nil)
	code, out, errOut := wend(t, env, "-C", dir, "tool", "read_file", "--args", `{"path":"stats.go","limit":3}`)
	if code != 0 || !strings.Contains(out, "1\t// Package stats") && !strings.Contains(out, "Package stats") {
		t.Fatalf("read_file: %d %s %s", code, out, errOut)
	}
	code, out, _ = wend(t, env, "-C", dir, "tool", "read_file", "--args", `{"path":"../../etc/passwd"}`, "--json")
	var res tools.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || !res.IsError || code != ExitFailed {
		t.Fatalf("escape: %d %s", code, out)
	}
	code, out, _ = wend(t, env, "-C", dir, "tool")
	if code != 0 || !strings.Contains(out, "run_command") || strings.Contains(out, "set_plan") {
		t.Fatalf("tool list: %s", out)
	}
	code, _, errOut = wend(t, env, "-C", dir, "tool", "grep", "--args", `{not json`)
	if code != ExitUsage || !strings.Contains(errOut, "not valid JSON") {
		t.Fatalf("bad args: %d %s", code, errOut)
	}
}

func TestConfigCommandShowsOriginsAndRedacts(t *testing.T) {
	dir := demoRepo(t)
	os.WriteFile(filepath.Join(dir, ".wend.toml"), []byte("model = \"from-repo\"\n"), 0o644)
	env := wendEnv(t, map[string]string{"ANTHROPIC_API_KEY": "sk-ant-very-secret", "WEND_APPROVAL": "auto-edit"})
	code, out, errOut := wend(t, env, "-C", dir, "config", "--base-url", "http://127.0.0.1:1")
	if code != 0 {
		t.Fatal(errOut)
	}
	for _, want := range []string{"from-repo", ".wend.toml:1", "env WEND_APPROVAL", "flag --base-url", "inferred from the API key", "redacted"} {
		if !strings.Contains(out, want) {
			t.Errorf("config output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "sk-ant-very-secret") {
		t.Fatal("the key was printed")
	}
}

func TestSessionsListsRunsNewestFirst(t *testing.T) {
	dir := demoRepo(t)
	env := wendEnv(t, nil)
	code, out, _ := wend(t, env, "-C", dir, "sessions")
	if code != 0 || !strings.Contains(out, "No sessions yet") {
		t.Fatalf("empty: %s", out)
	}
	replay := filepath.Join(t.TempDir(), "c.jsonl")
	os.WriteFile(replay, demoConversation(t), 0o600)
	if code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", "replay", "--replay", replay, "--approval", "full-auto", "The tests fail. Find out why and fix the bug."); code != 0 {
		t.Fatalf("run: %s %s", out, errOut)
	}
	code, out, _ = wend(t, env, "-C", dir, "sessions")
	if code != 0 || !strings.Contains(out, "finished") || !strings.Contains(out, "4/4") {
		t.Fatalf("sessions: %s", out)
	}
}
