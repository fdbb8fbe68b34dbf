package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"gitlab.com/wend/wend/remote/llm/llmtest"
	"gitlab.com/wend/wend/session"
)

// bodyMessages is the raw "messages" array of an OpenAI request body, each
// message as the bytes wend sent.
func bodyMessages(t *testing.T, body []byte) (msgs []json.RawMessage, tools json.RawMessage) {
	t.Helper()
	var b struct {
		Messages []json.RawMessage `json:"messages"`
		Tools    json.RawMessage   `json:"tools"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	return b.Messages, b.Tools
}

// assertSharedPrefix fails unless the later request starts with every message
// of the earlier, byte for byte, and has the same tools: the provider's prompt
// cache covers the whole earlier conversation.
func assertSharedPrefix(t *testing.T, earlier, later []byte) {
	t.Helper()
	a, at := bodyMessages(t, earlier)
	b, bt := bodyMessages(t, later)
	if string(at) != string(bt) {
		t.Fatal("the tools differ between the requests")
	}
	if len(b) <= len(a) {
		t.Fatalf("the later request has %d messages, the earlier %d", len(b), len(a))
	}
	for i := range a {
		if string(a[i]) != string(b[i]) {
			t.Fatalf("message %d differs:\n%s\n%s", i, a[i], b[i])
		}
	}
}

func finishTurn(summary string) llmtest.Turn {
	args, _ := json.Marshal(map[string]string{"summary": summary})
	return llmtest.Turn{ToolCalls: []llmtest.ToolCall{{Name: "finish", Args: args}}}
}

// `wend run --continue TASK` goes on with the latest session: the model gets
// the earlier task's conversation as the unchanged prefix of its first request,
// the rejection decided after that task ended, and the new task; the session
// list shows one session of two tasks. `--continue ID --retry` runs the last
// task again, saying so.
func TestRunContinueAndRetry(t *testing.T) {
	dir := notesRepo(t)
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	first := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{
		{ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: json.RawMessage(`{"path":"notes.txt"}`)}}},
		{ToolCalls: []llmtest.ToolCall{editCall("row-02\n", "FIRST\n")}},
		finishTurn("edited"),
	}})
	base := []string{"-C", dir, "run", "--provider", "openai", "--model", "m", "--approval", "auto-edit"}
	if code, out, errOut := wend(t, env, append(base, "--base-url", first.URL, "first task")...); code != 0 {
		t.Fatalf("first run: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := wend(t, env, "-C", dir, "reject", "notes.txt", "--reason", "keep row two as it is"); code != 0 {
		t.Fatalf("reject: %d %s %s", code, out, errOut)
	}

	second := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{finishTurn("second done")}})
	code, out, errOut := wend(t, env, append(base, "--base-url", second.URL, "--json", "--continue", "now also sort the rows")...)
	if code != 0 {
		t.Fatalf("continue: %d %s %s", code, out, errOut)
	}
	reqs := second.Requests()
	if len(reqs) != 1 {
		t.Fatalf("requests: %d", len(reqs))
	}
	prev := first.Requests()
	assertSharedPrefix(t, prev[len(prev)-1].Body, reqs[0].Body)
	body := string(reqs[0].Body)
	for _, want := range []string{"first task", "now also sort the rows", "keep row two as it is"} {
		if !strings.Contains(body, want) {
			t.Errorf("the follow-up request lacks %q", want)
		}
	}
	evs := decodeEvents(t, out)
	if s, ok := evs[0].Payload.(session.SessionStarted); !ok || s.TaskIndex != 1 || evs[0].Seq == 1 {
		t.Fatalf("the continued run printed from %+v (earlier events again?)", evs[0])
	}
	list := sessionsJSON(t, env, dir)
	if len(list) != 1 || list[0].Task != "now also sort the rows" || list[0].State != session.StateFinished {
		t.Fatalf("sessions: %+v", list)
	}

	third := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{finishTurn("again")}})
	if code, out, errOut := wend(t, env, append(base, "--base-url", third.URL, "--continue", list[0].ID, "--retry")...); code != 0 {
		t.Fatalf("retry: %d %s %s", code, out, errOut)
	}
	retry := third.Requests()
	assertSharedPrefix(t, reqs[0].Body, retry[0].Body)
	msgs, _ := bodyMessages(t, retry[0].Body)
	if last := string(msgs[len(msgs)-1]); !strings.Contains(last, "again") || !strings.Contains(last, "now also sort the rows") {
		t.Fatalf("the retry message: %s", last)
	}
	if code, _, errOut := wend(t, env, append(base, "--base-url", third.URL, "--retry")...); code != ExitUsage || !strings.Contains(errOut, "--continue") {
		t.Fatalf("--retry alone: %d %s", code, errOut)
	}
}

// TestContinueChildProcess is not a test: it is the wend of
// TestResumeAfterKill, killed with SIGKILL while a command runs.
func TestContinueChildProcess(t *testing.T) {
	args := os.Getenv("WEND_CONTINUE_CHILD_ARGS")
	if args == "" {
		t.Skip("the child of TestResumeAfterKill")
	}
	var argv []string
	json.Unmarshal([]byte(args), &argv)
	env := func(k string) string { return os.Getenv(k) }
	os.Exit(run(t.Context(), argv, strings.NewReader(""), os.Stdout, os.Stderr, env))
}

// A wend killed with SIGKILL while a command runs leaves its session
// interrupted (not running forever). `wend run --continue --retry` reopens
// it: the log gets the end the task never recorded, the model is told the
// command was interrupted (it is not run again), and the conversation goes on
// from the stored prefix.
func TestResumeAfterKill(t *testing.T) {
	dir := notesRepo(t)
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	first := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{
		{ToolCalls: []llmtest.ToolCall{{Name: "run_command", Args: json.RawMessage(`{"command":"echo ran >> ran.txt; sleep 30"}`)}}},
		finishTurn("never reached"),
	}})
	argv, _ := json.Marshal([]string{"-C", dir, "run", "--provider", "openai", "--model", "m", "--approval", "full-auto",
		"--base-url", first.URL, "--json", "long task"})
	cmd := exec.Command(os.Args[0], "-test.run=^TestContinueChildProcess$")
	cmd.Env = append(os.Environ(), "WEND_CONTINUE_CHILD_ARGS="+string(argv), "OPENAI_API_KEY=k")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"type":"tool_called"`) && strings.Contains(sc.Text(), "run_command") {
			break
		}
	}
	// The call is announced, so the model's answer that asked for it is
	// stored: kill now, whether or not the command has started yet.
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Wait()

	list := sessionsJSON(t, env, dir)
	if len(list) != 1 || list[0].State != session.StateInterrupted {
		t.Fatalf("after SIGKILL: %+v", list)
	}
	second := llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{finishTurn("resumed")}})
	code, stdout, errOut := wend(t, env, "-C", dir, "run", "--provider", "openai", "--model", "m", "--approval", "full-auto",
		"--base-url", second.URL, "--json", "--continue", "--retry")
	if code != 0 {
		t.Fatalf("resume: %d %s %s", code, stdout, errOut)
	}
	reqs := second.Requests()
	prev := first.Requests()
	assertSharedPrefix(t, prev[0].Body, reqs[0].Body)
	msgs, _ := bodyMessages(t, reqs[0].Body)
	var sawInterrupted bool
	for _, m := range msgs[1:] {
		if strings.Contains(string(m), `"role":"tool"`) && strings.Contains(string(m), "interrupted") {
			sawInterrupted = true
		}
	}
	if !sawInterrupted {
		t.Fatalf("the model was not told the command was interrupted: %s", msgs)
	}
	for _, e := range decodeEvents(t, stdout) {
		if c, ok := e.Payload.(session.ToolCalled); ok && c.Tool == "run_command" {
			t.Fatal("the interrupted command ran again")
		}
	}
	// The stored log: the killed task's end, recorded on reopening, then the retry.
	var types []string
	var states []session.State
	for _, e := range loadEvents(t, dir, list[0].ID) {
		switch p := e.Payload.(type) {
		case session.SessionStarted:
			types = append(types, "started")
		case session.SessionFinished:
			types = append(types, "finished")
			states = append(states, p.State)
		}
	}
	if !slices.Equal(types, []string{"started", "finished", "started", "finished"}) ||
		states[0] != session.StateInterrupted || states[1] != session.StateFinished {
		t.Fatalf("task boundaries %v, ends %v", types, states)
	}
}

func loadEvents(t *testing.T, dir, id string) []session.Event {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, ".git", "wend", id, "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []session.Event
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var e session.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

// `wend resume` and `wend run --continue` say what is missing before any UI
// or model: no session yet, or a named one that does not exist. `wend resume`
// is a verb, not a task named "resume".
func TestContinueWithoutASession(t *testing.T) {
	dir := notesRepo(t)
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	for _, args := range [][]string{
		{"-C", dir, "--provider", "openai", "resume"},
		{"-C", dir, "run", "--provider", "openai", "--model", "m", "--continue", "--retry"},
	} {
		code, out, errOut := wend(t, env, args...)
		if code != ExitUsage || !strings.Contains(errOut, "no session to continue") {
			t.Errorf("%v: %d %q %q", args, code, out, errOut)
		}
	}
	runScripted(t, env, dir, "first task", editCall("row-02\n", "FIRST\n"))
	code, _, errOut := wend(t, env, "-C", dir, "--provider", "openai", "resume", "20990101-000000-nope")
	if code != ExitUsage || !strings.Contains(errOut, `no session "20990101-000000-nope"`) {
		t.Errorf("resume of a missing id: %d %q", code, errOut)
	}
}
