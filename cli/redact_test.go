package cli

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/internal/gittest"
	"gitlab.com/wend/wend/remote/llm/llmtest"
)

// Finding 4 end to end: a headless run whose tools read a .env file, a file
// holding the user's own API key (which has no recognisable shape) and a remote
// URL with a token, and a task that attaches that file (@notes.txt). Nothing of them may reach the model's requests, the --json
// events, the --record file, stderr or the session log.
func TestRunKeepsSecretsOutOfEventsRecordingAndModel(t *testing.T) {
	const (
		userKey     = "wend-user-key-Q7u2Lr9Xc4Vb"         // the configured OPENAI_API_KEY
		envFileKey  = "sk-proj-EnvFile3Key8Value1Zq5Wx0Tn" // a shaped key in .env
		remoteToken = "glpat-RemoteUrl4Token7Qx2"
	)
	secrets := []string{userKey, envFileKey, remoteToken}
	dir := gittest.NewRepo(t, map[string]string{
		".env":      "OPENAI_API_KEY=" + envFileKey + "\nDEBUG=1\n",
		"notes.txt": "pasted by mistake: " + userKey + "\n",
	})
	gittest.Run(t, dir, "remote", "add", "origin", "https://oauth2:"+remoteToken+"@gitlab.example.com/g/p.git")
	srv := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{
		{ToolCalls: []llmtest.ToolCall{
			{Name: "read_file", Args: []byte(`{"path":".env"}`)},
			{Name: "read_file", Args: []byte(`{"path":"notes.txt"}`)},
			{Name: "grep", Args: []byte(`{"pattern":"KEY|mistake"}`)},
			{Name: "run_command", Args: []byte(`{"command":"git config --get remote.origin.url; cat .env notes.txt"}`)},
		}},
		{Text: "Nothing to change.", StopReason: "end_turn"},
	}})
	rec := filepath.Join(t.TempDir(), "conversation.jsonl")
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": userKey})
	code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", "openai", "--base-url", srv.URL,
		"--model", "m", "--approval", "full-auto", "--json", "--record", rec, "look at the configuration in @notes.txt")
	if code != ExitOK {
		t.Fatalf("exit %d\nstderr: %s\nstdout: %s", code, errOut, out)
	}
	if !strings.Contains(out, "gitlab.example.com/g/p.git") || !strings.Contains(out, "DEBUG=1") {
		t.Fatalf("the tools' output is not in the events (did they run?):\n%s", out)
	}
	recorded, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	places := map[string]string{"--json events": out, "stderr": errOut, "--record file": string(recorded)}
	for i, r := range srv.Requests() {
		places["model request "+string(rune('1'+i))] = string(r.Body)
	}
	err = filepath.WalkDir(filepath.Join(dir, ".git", "wend"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			places["session file "+p] = string(b)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for where, text := range places {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s holds the secret %s", where, s)
			}
		}
	}
}
