package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gitlab.com/wend/wend/cli/demo"
	"gitlab.com/wend/wend/remote/llm/llmtest"
	"gitlab.com/wend/wend/session"
)

// wendEnv isolates a test's wend from the user's configuration and state.
func wendEnv(t *testing.T, extra map[string]string) func(string) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, "state"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	return func(k string) string {
		if v, ok := extra[k]; ok {
			return v
		}
		switch k {
		case "XDG_STATE_HOME", "XDG_CONFIG_HOME":
			return os.Getenv(k)
		}
		return ""
	}
}

// wend runs the CLI in-process and returns its exit code and output.
func wend(t *testing.T, env func(string) string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb, env)
	return code, out.String(), errb.String()
}

func demoRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := demo.CreateRepo(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func decodeEvents(t *testing.T, out string) []session.Event {
	t.Helper()
	var evs []session.Event
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e session.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("not an event line: %q: %v", line, err)
		}
		evs = append(evs, e)
	}
	return evs
}

func goTest(t *testing.T, dir string) error {
	t.Helper()
	cmd := exec.Command("go", "test", "./...")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Logf("go test: %s", out)
	}
	return err
}

// The "done when": a headless run against a scripted provider server fixes a
// real failing test in a temporary repository, through each provider's wire format.
func TestRunFixesFailingTestThroughEachProvider(t *testing.T) {
	script, err := llmtest.LoadScript("../testdata/demo/script.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		provider string
		dialect  llmtest.Dialect
		keyEnv   string
	}{
		{"openai", llmtest.OpenAI, "OPENAI_API_KEY"},
		{"anthropic", llmtest.Anthropic, "ANTHROPIC_API_KEY"},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			s := script
			s.APIKey = "test-key-" + tc.provider
			srv := llmtest.Start(t, tc.dialect, s)
			dir := demoRepo(t)
			if goTest(t, dir) == nil {
				t.Fatal("the sample's test should fail before the run")
			}
			env := wendEnv(t, map[string]string{tc.keyEnv: s.APIKey})
			code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", tc.provider,
				"--base-url", srv.URL, "--model", "m", "--approval", "full-auto", "--json", "fix the failing test")
			if code != ExitOK {
				t.Fatalf("exit %d\nstderr: %s\nstdout: %s", code, errOut, out)
			}
			if err := goTest(t, dir); err != nil {
				t.Fatalf("the test still fails after the run: %v", err)
			}
			evs := decodeEvents(t, out)
			var types []string
			for _, e := range evs {
				types = append(types, e.Payload.Type())
			}
			for _, want := range []string{"session_started", "plan_proposed", "step_started", "tool_called", "tool_finished", "change_staged", "step_finished", "usage_reported", "session_finished"} {
				if !slices.Contains(types, want) {
					t.Errorf("no %s event in %v", want, types)
				}
			}
			fin := evs[len(evs)-1].Payload.(session.SessionFinished)
			if fin.State != session.StateFinished {
				t.Fatalf("final state %s: %s", fin.State, fin.Error)
			}
			done, total := fin.Plan.Done()
			if done != 4 || total != 4 {
				t.Fatalf("plan %d/%d done", done, total)
			}
			var staged []session.ChangeStaged
			for _, e := range evs {
				if c, ok := e.Payload.(session.ChangeStaged); ok {
					staged = append(staged, c)
				}
			}
			if len(staged) != 1 || staged[0].Path != "stats.go" || staged[0].Added != 1 || staged[0].Deleted != 1 {
				t.Fatalf("staged %+v", staged)
			}
			if srv.Remaining() != 0 {
				t.Fatalf("%d scripted turns were not used", srv.Remaining())
			}
			// The key went to the server, and nowhere into the output.
			if strings.Contains(out+errOut, s.APIKey) {
				t.Fatal("the API key appears in the output")
			}
		})
	}
}
