package cli

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/llm/llmtest"
)

// Every bad input gets a clear message that says what to do, the right exit code,
// and leaves the working tree as it was.
func TestBadInputIsExplained(t *testing.T) {
	repoDir := demoRepo(t)
	notRepo := t.TempDir()
	detached := demoRepo(t)
	git(t, detached, "checkout", "-q", "--detach")
	closed := closedPort(t)
	wrongKey := llmtest.Start(t, llmtest.Anthropic, llmtest.Script{APIKey: "right-key", Turns: []llmtest.Turn{{Text: "never"}}})
	noModel := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{{Fault: &llmtest.Fault{Status: 404}}}})
	badCfg := filepath.Join(t.TempDir(), "c.toml")
	os.WriteFile(badCfg, []byte("model = \"m\"\nfavourite_colour = \"blue\"\n"), 0o644)

	cases := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want []string
	}{
		{"not a repository", nil, []string{"-C", notRepo, "run", "x"}, ExitUsage, []string{"not inside a git repository", "wend demo"}},
		{"detached HEAD", nil, []string{"-C", detached, "run", "--provider", "openai", "x"}, ExitUsage, []string{"detached"}},
		{"no provider", nil, []string{"-C", repoDir, "run", "x"}, ExitUsage, []string{"no model provider is configured", "ANTHROPIC_API_KEY", "wend demo"}},
		{"no key", nil, []string{"-C", repoDir, "run", "--provider", "anthropic", "x"}, ExitUsage, []string{"ANTHROPIC_API_KEY"}},
		{"unreachable base URL", map[string]string{"OPENAI_API_KEY": "k"}, []string{"-C", repoDir, "run", "--provider", "openai", "--base-url", "http://" + closed + "/v1", "--model", "m", "x"}, ExitFailed, []string{closed}},
		{"wrong key", map[string]string{"ANTHROPIC_API_KEY": "wrong-key"}, []string{"-C", repoDir, "run", "--provider", "anthropic", "--base-url", wrongKey.URL, "--model", "m", "x"}, ExitFailed, []string{"ANTHROPIC_API_KEY"}},
		{"unknown model", map[string]string{"OPENAI_API_KEY": "k"}, []string{"-C", repoDir, "run", "--provider", "openai", "--base-url", noModel.URL, "--model", "no-such-model", "x"}, ExitFailed, []string{"no-such-model"}},
		{"unknown flag", nil, []string{"run", "--frobnicate", "x"}, ExitUsage, []string{"unknown flag", "--frobnicate"}},
		{"unknown config key", nil, []string{"-C", repoDir, "--config", badCfg, "run", "x"}, ExitUsage, []string{badCfg + ":2", "favourite_colour"}},
		{"missing task file", nil, []string{"-C", repoDir, "run", "--task-file", "/nonexistent/task.md"}, ExitUsage, []string{"reading the task", "/nonexistent/task.md"}},
		{"unknown provider", nil, []string{"-C", repoDir, "run", "--provider", "skynet", "x"}, ExitUsage, []string{"unknown provider", "anthropic, openai, replay or gitlab-duo"}},
		{"bad approval", map[string]string{"OPENAI_API_KEY": "k"}, []string{"-C", repoDir, "run", "--provider", "openai", "--approval", "yolo", "x"}, ExitUsage, []string{"read-only, ask, auto-edit or full-auto"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := git(t, repoDir, "status", "--porcelain")
			code, out, errOut := wend(t, wendEnv(t, c.env), c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, out, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q:\nstdout: %s\nstderr: %s", w, out, errOut)
				}
			}
			if strings.Contains(out+errOut, "wrong-key") {
				t.Error("the key was printed")
			}
			if after := git(t, repoDir, "status", "--porcelain"); after != before {
				t.Errorf("the working tree changed: %q → %q", before, after)
			}
		})
	}
}

// closedPort returns an address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
