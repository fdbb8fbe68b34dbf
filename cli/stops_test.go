package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/llm/llmtest"
	"gitlab.com/wend/wend/session"
)

// No run that did not complete its task exits 0: each way a real
// OpenAI-compatible server says "not done" (a refusal, an answer cut at the
// output limit, an error inside the stream, an empty stream) fails the run
// with the real cause; each shape of a good answer (calls without index, bad
// arguments the model can fix, a call cut at the limit) lets it go on.

type stopRun struct {
	code     int
	out, err string
	fin      session.SessionFinished
	evs      []session.Event
	srv      *llmtest.Server
}

func runAgainst(t *testing.T, d llmtest.Dialect, turns ...llmtest.Turn) stopRun {
	t.Helper()
	srv := llmtest.Start(t, d, llmtest.Script{Turns: turns})
	dir := demoRepo(t)
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", "openai", "--base-url", srv.URL,
		"--model", "m", "--approval", "full-auto", "--json", "fix the failing test")
	r := stopRun{code: code, out: out, err: errOut, srv: srv}
	r.evs = decodeEvents(t, out)
	fin, ok := r.evs[len(r.evs)-1].Payload.(session.SessionFinished)
	if !ok {
		t.Fatalf("the last event is not session_finished:\n%s", out)
	}
	r.fin = fin
	return r
}

// failed asserts the run failed, exit code and event both, naming the cause.
func (r stopRun) failed(t *testing.T, cause ...string) {
	t.Helper()
	if r.code == ExitOK || r.fin.State != session.StateFailed {
		t.Fatalf("a run that did not do its task: exit %d, state %s\nstdout: %s\nstderr: %s", r.code, r.fin.State, r.out, r.err)
	}
	for _, c := range cause {
		if !strings.Contains(r.fin.Error, c) || !strings.Contains(r.err, c) {
			t.Fatalf("the cause %q is not in the error event %q or on stderr %q", c, r.fin.Error, r.err)
		}
	}
	if strings.Contains(r.fin.Error, "base-url") {
		t.Fatalf("blames --base-url: %s", r.fin.Error)
	}
}

func (r stopRun) finished(t *testing.T) {
	t.Helper()
	if r.code != ExitOK || r.fin.State != session.StateFinished {
		t.Fatalf("exit %d, state %s: %s\nstderr: %s", r.code, r.fin.State, r.fin.Error, r.err)
	}
	if n := r.srv.Remaining(); n != 0 {
		t.Fatalf("%d scripted turns unused", n)
	}
}

func finishCall(summary string) llmtest.ToolCall {
	return llmtest.ToolCall{Name: "finish", Args: json.RawMessage(`{"summary":"` + summary + `"}`)}
}

func TestRunRefusalFailsWithTheModelsWords(t *testing.T) {
	r := runAgainst(t, llmtest.OpenAI, llmtest.Turn{OpenAI: &llmtest.OpenAITurn{Refusal: "I can't help with bypassing the licence check."}})
	r.failed(t, "refused", "I can't help with bypassing the licence check.")
	if r.fin.Summary != "" {
		t.Fatalf("a refusal summarised as work done: %q", r.fin.Summary)
	}
}

func TestRunContentFilterFails(t *testing.T) {
	r := runAgainst(t, llmtest.LiteLLM, llmtest.Turn{Text: "Here is", OpenAI: &llmtest.OpenAITurn{FinishReason: "content_filter"}})
	r.failed(t, "content filter")
}

func TestRunAnswerAtTheOutputLimitIsContinued(t *testing.T) {
	r := runAgainst(t, llmtest.OpenAI,
		llmtest.Turn{Text: "The divisor was", StopReason: "max_tokens"},
		llmtest.Turn{Text: " n-1; it should be n."})
	r.finished(t)
	if r.fin.Summary != "The divisor was n-1; it should be n." {
		t.Fatalf("summary %q", r.fin.Summary)
	}
	second := r.srv.Requests()[1].Parsed
	last := second.Messages[len(second.Messages)-1]
	if prev := second.Messages[len(second.Messages)-2]; prev.Role != "assistant" || !strings.Contains(last.Content[0].Text, "output limit") {
		t.Fatalf("the continuation request: %+v", second.Messages)
	}
}

func TestRunAnswerThatKeepsHittingTheLimitFails(t *testing.T) {
	cut := llmtest.Turn{Text: "and more", StopReason: "max_tokens"}
	r := runAgainst(t, llmtest.VLLM, cut, cut, cut)
	r.failed(t, "output limit")
}

func TestRunToolCallCutAtTheLimitAsksForASmallerStep(t *testing.T) {
	big := `{"path":"stats.go","content":"` + strings.Repeat("x", 200) + `"}`
	r := runAgainst(t, llmtest.OpenAI,
		llmtest.Turn{StopReason: "max_tokens", ToolCalls: []llmtest.ToolCall{{Name: "create_file", Args: json.RawMessage(big)}},
			OpenAI: &llmtest.OpenAITurn{CutArgsAt: 60}},
		llmtest.Turn{ToolCalls: []llmtest.ToolCall{finishCall("gave up on the big write")}})
	r.finished(t)
	res := r.srv.Requests()[1].Parsed.Messages
	got := res[len(res)-1].Content[0]
	if got.Type != "tool_result" || !got.IsError && !strings.Contains(got.Content, "Error") ||
		!strings.Contains(got.Content, "output limit") || !strings.Contains(got.Content, "smaller") {
		t.Fatalf("the model was not told its call was cut: %+v", got)
	}
	var saw bool
	for _, e := range r.evs {
		if tf, ok := e.Payload.(session.ToolFinished); ok && tf.Tool == "create_file" && tf.IsError && strings.Contains(tf.Summary, "output limit") {
			saw = true
		}
	}
	if !saw {
		t.Fatalf("the user does not see that the call was cut at the limit:\n%s", r.out)
	}
}

func TestRunServerErrorInTheStreamFails(t *testing.T) {
	for _, tc := range []struct {
		d   llmtest.Dialect
		err llmtest.OpenAIStreamError
	}{
		{llmtest.LlamaCpp, llmtest.OpenAIStreamError{Message: "llama_decode failed: out of memory"}},
		{llmtest.VLLM, llmtest.OpenAIStreamError{Message: "engine dead: CUDA error", Type: "InternalServerError", Code: "500"}},
		{llmtest.OpenAI, llmtest.OpenAIStreamError{Message: "stream interrupted by upstream", Form: "event"}},
	} {
		t.Run(string(tc.d), func(t *testing.T) {
			e := tc.err
			r := runAgainst(t, tc.d, llmtest.Turn{Text: "Let me", OpenAI: &llmtest.OpenAITurn{Error: &e}})
			r.failed(t, tc.err.Message)
		})
	}
}

func TestRunContextTooLongInTheStreamGivesTheAdvice(t *testing.T) {
	r := runAgainst(t, llmtest.LlamaCpp, llmtest.Turn{OpenAI: &llmtest.OpenAITurn{Error: &llmtest.OpenAIStreamError{Early: true,
		Code: "400", Type: "exceed_context_size_error", Message: "request (9412 tokens) exceeds the available context size (8192 tokens), try increasing it"}}})
	r.failed(t, "too long", "9412 tokens")
}

func TestRunEmptyStreamFails(t *testing.T) {
	r := runAgainst(t, llmtest.Ollama, llmtest.Turn{OpenAI: &llmtest.OpenAITurn{End: "done_only"}})
	r.failed(t, "no text and no tool call")
}

func TestRunCallsWithoutIndexAreSeparateCalls(t *testing.T) {
	r := runAgainst(t, llmtest.OllamaOld,
		llmtest.Turn{ToolCalls: []llmtest.ToolCall{
			{ID: "call_x1", Name: "read_file", Args: json.RawMessage(`{"path":"stats.go"}`)},
			{ID: "call_x2", Name: "read_file", Args: json.RawMessage(`{"path":"stats_test.go"}`)}}},
		llmtest.Turn{ToolCalls: []llmtest.ToolCall{finishCall("read both")}})
	r.finished(t)
	var read []string
	for _, e := range r.evs {
		if tc, ok := e.Payload.(session.ToolCalled); ok && tc.Tool == "read_file" {
			read = append(read, string(tc.Args))
		}
	}
	if len(read) != 2 || !strings.Contains(read[0], "stats.go") || !strings.Contains(read[1], "stats_test.go") {
		t.Fatalf("read_file calls %v", read)
	}
}

func TestRunBadArgumentsGoBackToTheModel(t *testing.T) {
	r := runAgainst(t, llmtest.Ollama,
		llmtest.Turn{ToolCalls: []llmtest.ToolCall{{Name: "read_file", RawArgs: `{"path":"stats.go"}{"path":"stats_test.go"}`}}},
		llmtest.Turn{ToolCalls: []llmtest.ToolCall{finishCall("ok")}})
	r.finished(t)
	msgs := r.srv.Requests()[1].Parsed.Messages
	got := msgs[len(msgs)-1].Content[0]
	if got.Type != "tool_result" || !strings.Contains(got.Content, "JSON") {
		t.Fatalf("the model was not told what was wrong with its arguments: %+v", got)
	}
}

func TestRunReasoningStaysOutOfTheSummary(t *testing.T) {
	r := runAgainst(t, llmtest.VLLM, llmtest.Turn{Text: "Nothing to change.", OpenAI: &llmtest.OpenAITurn{Reasoning: "secret chain of thought"}})
	r.finished(t)
	if r.fin.Summary != "Nothing to change." || strings.Contains(r.out, "secret chain") {
		t.Fatalf("summary %q; output has the reasoning: %v", r.fin.Summary, strings.Contains(r.out, "secret chain"))
	}
}
