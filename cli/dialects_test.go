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

// The rest of issue 12 through `wend run --json`: every way each dialect of
// the fake model servers ends a stream, reports an error or writes a field,
// with the exit code and the error the user reads asserted. stops_test.go and
// anthropic_stops_test.go hold the first cases.

// runOpenAIWith is runAgainst with the user's config.toml.
func runOpenAIWith(t *testing.T, d llmtest.Dialect, userConfig string, turns ...llmtest.Turn) stopRun {
	t.Helper()
	srv := llmtest.Start(t, d, llmtest.Script{Turns: turns})
	dir := demoRepo(t)
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	writeUserConfig(t, userConfig)
	code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", "openai", "--base-url", srv.URL,
		"--model", "m", "--approval", "full-auto", "--json", "fix the failing test")
	r := stopRun{code: code, out: out, err: errOut, srv: srv, evs: decodeEvents(t, out)}
	fin, ok := r.evs[len(r.evs)-1].Payload.(session.SessionFinished)
	if !ok {
		t.Fatalf("the last event is not session_finished:\n%s", out)
	}
	r.fin = fin
	return r
}

func writeUserConfig(t *testing.T, text string) {
	t.Helper()
	if text == "" {
		return
	}
	path := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "wend", "config.toml")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// notices are the texts of the run's notices of one level.
func notices(evs []session.Event, level string) []string {
	var out []string
	for _, e := range evs {
		if n, ok := e.Payload.(session.Notice); ok && n.Level == level {
			out = append(out, n.Text)
		}
	}
	return out
}

// An error object inside a 200 stream, in each server's own way of writing
// it, fails the run with the server's words.
func TestRunErrorObjectsInTheStreamFail(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    llmtest.Dialect
		err  llmtest.OpenAIStreamError
	}{
		{"ollama bare line", llmtest.Ollama, llmtest.OpenAIStreamError{Message: "model runner has unexpectedly stopped, this may be due to resource limitations"}},
		{"llamacpp data error", llmtest.LlamaCpp, llmtest.OpenAIStreamError{Message: "failed to decode the batch", Form: "data"}},
		{"litellm", llmtest.LiteLLM, llmtest.OpenAIStreamError{Message: "litellm.APIError: upstream returned garbage", Code: "400"}},
		{"openai data error", llmtest.OpenAI, llmtest.OpenAIStreamError{Message: "The server had an error while processing your request.", Type: "server_error"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.err
			r := runAgainst(t, tc.d, llmtest.Turn{Text: "Let me look", OpenAI: &llmtest.OpenAITurn{Error: &e}})
			r.failed(t, tc.err.Message)
		})
	}
}

// A clean end of the body after the finish reason, without data: [DONE]
// (llama.cpp forks, proxies), is a complete answer.
func TestRunEndWithoutDoneIsComplete(t *testing.T) {
	r := runAgainst(t, llmtest.LlamaCpp, llmtest.Turn{Text: "Nothing to change.", OpenAI: &llmtest.OpenAITurn{End: "no_done"}})
	r.finished(t)
	if r.fin.Summary != "Nothing to change." {
		t.Fatalf("summary %q", r.fin.Summary)
	}
}

// An in-stream rate limit (LiteLLM's "code": "429" as a string, Anthropic's
// rate_limit_error and overloaded_error events) before any output is retried
// with backoff like an HTTP 429, and the run completes.
func TestRunInStreamRateLimitIsRetried(t *testing.T) {
	t.Run("litellm 429", func(t *testing.T) {
		r := runAgainst(t, llmtest.LiteLLM,
			llmtest.Turn{OpenAI: &llmtest.OpenAITurn{Error: &llmtest.OpenAIStreamError{Code: "429", Message: "litellm.RateLimitError: tpm limit", Early: true}}},
			llmtest.Turn{Text: "Nothing to change."})
		r.finished(t)
		if w := notices(r.evs, "warn"); len(w) != 1 || !strings.Contains(w[0], "rate limited") || !strings.Contains(w[0], "retrying") {
			t.Fatalf("retry notices %q", w)
		}
	})
	for _, typ := range []string{"rate_limit_error", "overloaded_error"} {
		t.Run("anthropic "+typ, func(t *testing.T) {
			r := runAnthropic(t, "",
				llmtest.Turn{Anthropic: &llmtest.AnthropicTurn{Error: &llmtest.StreamError{Type: typ, Message: "Overloaded", Early: true}}},
				llmtest.Turn{Text: "Nothing to change."})
			if r.code != ExitOK || r.fin.State != session.StateFinished || r.fin.Summary != "Nothing to change." {
				t.Fatalf("exit %d, state %s: %s", r.code, r.fin.State, r.fin.Error)
			}
			if w := notices(r.evs, "warn"); len(w) != 1 || !strings.Contains(w[0], "retrying") {
				t.Fatalf("retry notices %q", w)
			}
		})
	}
}

// Context-size errors in each server's words get the context-too-long
// advice with the server's sentence, never "check --base-url".
func TestRunContextTooLongInEachServersWords(t *testing.T) {
	t.Run("vllm flat body", func(t *testing.T) {
		r := runAgainst(t, llmtest.VLLM, llmtest.Turn{Fault: &llmtest.Fault{Status: 400,
			Message: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens."}})
		r.failed(t, "too long", "maximum context length is 4096 tokens")
	})
	t.Run("anthropic error event", func(t *testing.T) {
		r := runAnthropic(t, "", llmtest.Turn{Anthropic: &llmtest.AnthropicTurn{Error: &llmtest.StreamError{
			Type: "invalid_request_error", Message: "prompt is too long: 210000 tokens > 200000 maximum", Early: true}}})
		r.failedWith(t, "too long", "210000 tokens > 200000 maximum")
	})
}

// Flat and string error bodies keep the server's sentence.
func TestRunFlatErrorBodiesKeepTheServersSentence(t *testing.T) {
	for _, tc := range []struct {
		d     llmtest.Dialect
		fault llmtest.Fault
	}{
		{llmtest.VLLM, llmtest.Fault{Status: 404, Type: "NotFoundError", Message: "The model `m` does not exist."}},
		{llmtest.OllamaOld, llmtest.Fault{Status: 404, Message: `model "m" not found, try pulling it first`}},
		{llmtest.Mistral, llmtest.Fault{Status: 400, Type: "invalid_request_message_order", Message: "Expected last role User or Tool (or Assistant with prefix True) for serving but got assistant"}},
	} {
		t.Run(string(tc.d), func(t *testing.T) {
			f := tc.fault
			r := runAgainst(t, tc.d, llmtest.Turn{Fault: &f})
			if r.code == ExitOK || r.fin.State != session.StateFailed || !strings.Contains(r.fin.Error, tc.fault.Message) {
				t.Fatalf("exit %d, state %s, error %q", r.code, r.fin.State, r.fin.Error)
			}
		})
	}
}

// Reasoning in every dialect's field (reasoning_content, reasoning, Mistral's
// thinking parts) never reaches the answer or the output.
func TestRunReasoningInEveryDialectStaysOut(t *testing.T) {
	for _, d := range []llmtest.Dialect{llmtest.Ollama, llmtest.LlamaCpp, llmtest.LiteLLM, llmtest.Mistral} {
		t.Run(string(d), func(t *testing.T) {
			r := runAgainst(t, d,
				llmtest.Turn{ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: json.RawMessage(`{"path":"stats.go"}`)}},
					OpenAI: &llmtest.OpenAITurn{Reasoning: "secret chain of thought"}},
				llmtest.Turn{Text: "Nothing to change.", OpenAI: &llmtest.OpenAITurn{Reasoning: "more secret thoughts"}})
			r.finished(t)
			if r.fin.Summary != "Nothing to change." || strings.Contains(r.out, "secret") || strings.Contains(r.err, "secret") {
				t.Fatalf("summary %q; the reasoning leaked: %v", r.fin.Summary, strings.Contains(r.out+r.err, "secret"))
			}
		})
	}
}

// Arguments that are not valid JSON for another reason than the output
// limit (cut by the server, unbalanced) go back to the model as that call's
// error; the run goes on and completes.
func TestRunMalformedArgumentsGoBackToTheModel(t *testing.T) {
	r := runAgainst(t, llmtest.LiteLLM,
		llmtest.Turn{ToolCalls: []llmtest.ToolCall{{Name: "read_file", RawArgs: `{"path": "stats.go"`}}},
		llmtest.Turn{ToolCalls: []llmtest.ToolCall{finishCall("ok")}})
	r.finished(t)
	msgs := r.srv.Requests()[1].Parsed.Messages
	got := msgs[len(msgs)-1].Content[0]
	if got.Type != "tool_result" || !strings.Contains(got.Content, "not a valid JSON object") || !strings.Contains(got.Content, `{"path": "stats.go"`) {
		t.Fatalf("the model was not told what was wrong with its arguments: %+v", got)
	}
}

// An answer at the output limit in Anthropic's words (stop_reason
// max_tokens) is continued, then fails saying so; the configured max_tokens
// is what the request asks for and what the error names.
func TestRunAnthropicAnswerAtTheOutputLimit(t *testing.T) {
	cut := llmtest.Turn{Text: "The divisor", StopReason: "max_tokens"}
	r := runAnthropic(t, "max_tokens = 2048\n", cut, cut, cut)
	r.failedWith(t, "output limit (max_tokens 2048)", "3 times")
	var first struct {
		MaxTokens int `json:"max_tokens"`
	}
	if err := json.Unmarshal(r.srv.Requests()[0].Body, &first); err != nil || first.MaxTokens != 2048 {
		t.Fatalf("max_tokens sent %d (%v)", first.MaxTokens, err)
	}
	if len(r.srv.Requests()) != 3 {
		t.Fatalf("%d requests, want the answer continued twice", len(r.srv.Requests()))
	}
}

// pause_turn: the paused content (the provider's own tool blocks) goes back
// unchanged and the model finishes in the next turn; the run completes.
func TestRunAnthropicPauseTurnContinues(t *testing.T) {
	use := `{"type":"server_tool_use","id":"srvtoolu_01","name":"web_search","input":{"query":"go 1.26 release notes"}}`
	result := `{"type":"web_search_tool_result","tool_use_id":"srvtoolu_01","content":[{"type":"web_search_result","title":"Go 1.26","url":"https://go.dev/doc/go1.26","encrypted_content":"EqgfCioIARgB","page_age":null}]}`
	r := runAnthropic(t, "",
		llmtest.Turn{Text: "Let me look that up.", StopReason: "pause_turn",
			Anthropic: &llmtest.AnthropicTurn{ServerBlocks: []json.RawMessage{json.RawMessage(use), json.RawMessage(result)}}},
		llmtest.Turn{Text: " Nothing to change."})
	if r.code != ExitOK || r.fin.State != session.StateFinished {
		t.Fatalf("exit %d, state %s: %s", r.code, r.fin.State, r.fin.Error)
	}
	if r.fin.Summary != "Let me look that up. Nothing to change." {
		t.Fatalf("summary %q", r.fin.Summary)
	}
	var second struct {
		Messages []struct {
			Role    string            `json:"role"`
			Content []json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(r.srv.Requests()[1].Body, &second); err != nil {
		t.Fatal(err)
	}
	last := second.Messages[len(second.Messages)-1]
	if last.Role != "assistant" || len(last.Content) != 3 {
		t.Fatalf("the paused turn was not sent back as the last message: %d messages, the last a %s turn of %d blocks", len(second.Messages), last.Role, len(last.Content))
	}
	for i, want := range []string{use, result} {
		var a, b any
		_ = json.Unmarshal([]byte(want), &a)
		_ = json.Unmarshal(last.Content[i+1], &b)
		aj, _ := json.Marshal(a)
		bj, _ := json.Marshal(b)
		if string(aj) != string(bj) {
			t.Errorf("block %d changed:\n got %s\nwant %s", i+1, bj, aj)
		}
	}
}

// The output budget configured for an OpenAI-compatible server is sent, and
// `wend config` shows it with where it came from.
func TestRunOutputBudgetReachesTheServer(t *testing.T) {
	r := runOpenAIWith(t, llmtest.VLLM, "max_tokens = 3000\n", llmtest.Turn{Text: "Nothing to change."})
	r.finished(t)
	var body map[string]json.RawMessage
	if err := json.Unmarshal(r.srv.Requests()[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if string(body["max_tokens"]) != "3000" && string(body["max_completion_tokens"]) != "3000" {
		t.Fatalf("the budget was not sent: %s", r.srv.Requests()[0].Body)
	}
	env := func(k string) string {
		if k == "XDG_STATE_HOME" || k == "XDG_CONFIG_HOME" {
			return os.Getenv(k)
		}
		return ""
	}
	code, out, errOut := wend(t, env, "config")
	if code != ExitOK || !strings.Contains(out, "max_tokens") || !strings.Contains(out, "3000") {
		t.Fatalf("wend config (exit %d) does not show the budget:\n%s%s", code, out, errOut)
	}
}

// A server that ignores "stream": true and answers the whole chat.completion
// as JSON over many lines: the run does its task instead of failing on "not
// valid JSON; check --base-url".
func TestRunWholeJSONAnswerCompletes(t *testing.T) {
	r := runAgainst(t, llmtest.VLLM,
		llmtest.Turn{ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: json.RawMessage(`{"path":"stats.go"}`)}}, OpenAI: &llmtest.OpenAITurn{End: "whole"}},
		llmtest.Turn{ToolCalls: []llmtest.ToolCall{finishCall("read it")}, OpenAI: &llmtest.OpenAITurn{End: "whole"}})
	r.finished(t)
	if r.fin.Summary != "read it" {
		t.Fatalf("summary %q", r.fin.Summary)
	}
}

// finish_reason "error" with no error object (OpenRouter, vLLM): the run
// fails saying the server ended the answer in an error, not with a stop
// reason wend "does not know".
func TestRunFinishReasonErrorFails(t *testing.T) {
	r := runAgainst(t, llmtest.VLLM, llmtest.Turn{Text: "Let me", OpenAI: &llmtest.OpenAITurn{FinishReason: "error"}})
	r.failed(t, `finish_reason "error"`, "server's log")
}
