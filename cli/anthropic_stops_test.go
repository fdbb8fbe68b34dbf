package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/llm/llmtest"
	"gitlab.com/wend/wend/session"
)

// The Anthropic side of "no run that did not do its task exits 0": wend run
// --json against a scripted Anthropic Messages server that refuses, runs out
// of output budget inside a tool call, fails inside the stream, or thinks.

type anthropicRun struct {
	code     int
	out, err string
	fin      session.SessionFinished
	evs      []session.Event
	srv      *llmtest.Server
}

// runAnthropic runs wend headless on the demo repository; userConfig, when
// set, is the user's config.toml.
func runAnthropic(t *testing.T, userConfig string, turns ...llmtest.Turn) anthropicRun {
	t.Helper()
	srv := llmtest.Start(t, llmtest.Anthropic, llmtest.Script{APIKey: "test-key-anthropic", Turns: turns})
	dir := demoRepo(t)
	env := wendEnv(t, map[string]string{"ANTHROPIC_API_KEY": "test-key-anthropic"})
	if userConfig != "" {
		path := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "wend", "config.toml")
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(userConfig), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", "anthropic", "--base-url", srv.URL,
		"--model", "claude-sonnet-4-5", "--approval", "full-auto", "--json", "fix the failing test")
	r := anthropicRun{code: code, out: out, err: errOut, srv: srv, evs: decodeEvents(t, out)}
	fin, ok := r.evs[len(r.evs)-1].Payload.(session.SessionFinished)
	if !ok {
		t.Fatalf("the last event is not session_finished:\n%s", out)
	}
	r.fin = fin
	return r
}

func (r anthropicRun) failedWith(t *testing.T, words ...string) {
	t.Helper()
	if r.code == ExitOK || r.fin.State != session.StateFailed {
		t.Fatalf("a run that did not do its task: exit %d, state %s\nstdout: %s\nstderr: %s", r.code, r.fin.State, r.out, r.err)
	}
	for _, w := range words {
		if !strings.Contains(r.fin.Error, w) {
			t.Fatalf("the error %q does not carry %q", r.fin.Error, w)
		}
	}
	if strings.Contains(r.fin.Error, "base-url") {
		t.Fatalf("blames --base-url: %s", r.fin.Error)
	}
}

func TestRunAnthropicRefusalFails(t *testing.T) {
	r := runAnthropic(t, "", llmtest.Turn{Text: "I can't help with disabling the licence check.", StopReason: "refusal",
		Anthropic: &llmtest.AnthropicTurn{StopExplanation: "Declined by a policy classifier."}})
	r.failedWith(t, "I can't help with disabling the licence check.")
	if r.fin.Summary != "" {
		t.Fatalf("a refusal summarised as work done: %q", r.fin.Summary)
	}
}

func TestRunAnthropicToolCallCutAtTheLimit(t *testing.T) {
	big, _ := json.Marshal(map[string]string{"path": "stats.go", "content": strings.Repeat("// x\n", 100)})
	r := runAnthropic(t, "",
		llmtest.Turn{Text: "Rewriting stats.go.", StopReason: "max_tokens",
			ToolCalls: []llmtest.ToolCall{{Name: "create_file", Args: big}},
			Anthropic: &llmtest.AnthropicTurn{CutInputAt: 80}},
		llmtest.Turn{ToolCalls: []llmtest.ToolCall{{Name: "finish", Args: json.RawMessage(`{"summary":"stopped before the big write"}`)}}})
	if r.code != ExitOK || r.fin.State != session.StateFinished {
		t.Fatalf("exit %d, state %s: %s\nstderr: %s", r.code, r.fin.State, r.fin.Error, r.err)
	}
	msgs := r.srv.Requests()[1].Parsed.Messages
	res := msgs[len(msgs)-1].Content[0]
	if res.Type != "tool_result" || !res.IsError || !strings.Contains(res.Content, "smaller") || strings.Contains(res.Content, "base-url") {
		t.Fatalf("the model was not told to take a smaller step: %+v", res)
	}
	for _, e := range r.evs {
		if c, ok := e.Payload.(session.ChangeStaged); ok {
			t.Fatalf("the cut call changed %s", c.Path)
		}
	}
}

func TestRunAnthropicErrorEventFails(t *testing.T) {
	r := runAnthropic(t, "", llmtest.Turn{Text: "Let me look at",
		Anthropic: &llmtest.AnthropicTurn{Error: &llmtest.StreamError{Type: "overloaded_error", Message: "Overloaded"}}})
	r.failedWith(t, "overloaded", "Overloaded")
}

// TestRunAnthropicThinkingRoundTrip: with thinking_budget set, the request
// enables thinking under max_tokens; the thinking blocks come back in the
// next request unchanged, before the tool call, and never show as text.
func TestRunAnthropicThinkingRoundTrip(t *testing.T) {
	thinking := llmtest.ThinkingBlock{Thinking: "Mean divides by len(xs)-1; the test expects len(xs). Read stats.go first.",
		Signature: "EqQBCkYIBxgCKkDsig+/=="}
	redacted := llmtest.ThinkingBlock{Data: "EmwKAhgBEgy3va3pzix/LafPsn4a"}
	r := runAnthropic(t, "max_tokens = 16000\nthinking_budget = 4096\n",
		llmtest.Turn{Text: "Reading stats.go.", ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: json.RawMessage(`{"path":"stats.go"}`)}},
			Anthropic: &llmtest.AnthropicTurn{Thinking: []llmtest.ThinkingBlock{thinking, redacted}}},
		llmtest.Turn{ToolCalls: []llmtest.ToolCall{{Name: "finish", Args: json.RawMessage(`{"summary":"read it"}`)}}})
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s\nstderr: %s", r.code, r.fin.Error, r.err)
	}
	reqs := r.srv.Requests()
	var first struct {
		MaxTokens int `json:"max_tokens"`
		Thinking  struct {
			Type         string `json:"type"`
			BudgetTokens int    `json:"budget_tokens"`
		} `json:"thinking"`
	}
	if err := json.Unmarshal(reqs[0].Body, &first); err != nil {
		t.Fatal(err)
	}
	if first.MaxTokens != 16000 || first.Thinking.Type != "enabled" || first.Thinking.BudgetTokens != 4096 {
		t.Fatalf("first request: max_tokens %d, thinking %+v", first.MaxTokens, first.Thinking)
	}
	var second struct {
		Messages []struct {
			Role    string                       `json:"role"`
			Content []map[string]json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(reqs[1].Body, &second); err != nil {
		t.Fatal(err)
	}
	asst := second.Messages[1]
	want := []map[string]string{
		{"type": "thinking", "thinking": thinking.Thinking, "signature": thinking.Signature},
		{"type": "redacted_thinking", "data": redacted.Data},
	}
	if asst.Role != "assistant" || len(asst.Content) != 4 {
		t.Fatalf("the assistant turn sent back: %s", reqs[1].Body)
	}
	for i, w := range want {
		got := map[string]string{}
		for k, v := range asst.Content[i] {
			var s string
			if json.Unmarshal(v, &s) != nil {
				t.Fatalf("block %d field %s is not a string: %s", i, k, v)
			}
			got[k] = s
		}
		if len(got) != len(w) {
			t.Errorf("block %d changed: %v, want %v", i, got, w)
		}
		for k, v := range w {
			if got[k] != v {
				t.Errorf("block %d %s: %q, want %q", i, k, got[k], v)
			}
		}
	}
	var typ3 string
	_ = json.Unmarshal(asst.Content[3]["type"], &typ3)
	if typ3 != "tool_use" {
		t.Errorf("the tool call is not after the thinking: %s", reqs[1].Body)
	}
	if strings.Contains(r.out, "Mean divides by") || strings.Contains(r.err, "Mean divides by") {
		t.Fatal("thinking text leaked into the output")
	}
}
