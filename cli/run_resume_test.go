package cli

import (
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/llm/llmtest"
)

// `wend run --resume` leaves a session that ended as it is (no request to the
// model, no new task in the log) and says how to go on; it refuses the flags
// that would give it another task.
func TestRunResumeLeavesAnEndedSession(t *testing.T) {
	dir := notesRepo(t)
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	first := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{finishTurn("done")}})
	base := []string{"-C", dir, "run", "--provider", "openai", "--model", "m", "--approval", "auto-edit"}
	if code, out, errOut := wend(t, env, append(base, "--base-url", first.URL, "first task")...); code != 0 {
		t.Fatalf("first run: %d %s %s", code, out, errOut)
	}
	list := sessionsJSON(t, env, dir)
	second := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{})
	before := len(loadEvents(t, dir, list[0].ID))
	code, _, errOut := wend(t, env, append(base, "--base-url", second.URL, "--resume", list[0].ID)...)
	if code != 0 || !strings.Contains(errOut, "nothing to resume") || !strings.Contains(errOut, "--continue") {
		t.Fatalf("resume of a finished session: %d %q", code, errOut)
	}
	if n := len(second.Requests()); n != 0 {
		t.Fatalf("the model was asked %d times", n)
	}
	if after := len(loadEvents(t, dir, list[0].ID)); after != before {
		t.Fatalf("the log grew from %d to %d events", before, after)
	}
	if code, _, errOut := wend(t, env, append(base, "--resume", "--retry")...); code != ExitUsage || !strings.Contains(errOut, "--resume") {
		t.Fatalf("--resume --retry: %d %q", code, errOut)
	}
}
