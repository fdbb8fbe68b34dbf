package llm_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/remote/llm/llmtest"
)

// The shapes real OpenAI-compatible servers send, through the real adapter.

var openaiDialects = []llmtest.Dialect{llmtest.OpenAI, llmtest.Ollama, llmtest.OllamaOld, llmtest.VLLM, llmtest.LlamaCpp, llmtest.LiteLLM}

func streamOnce(t *testing.T, d llmtest.Dialect, turns ...llmtest.Turn) (*llm.Response, error, *sleeper, *deltas) {
	t.Helper()
	srv := llmtest.Start(t, d, llmtest.Script{Turns: turns})
	sl := &sleeper{}
	var ds deltas
	resp, err := newProvider(d, srv.URL, sl).Stream(context.Background(), testRequest("m"), ds.add)
	return resp, err, sl, &ds
}

func TestOpenAIDialectsPlainAndToolCalls(t *testing.T) {
	for _, d := range openaiDialects {
		t.Run(string(d), func(t *testing.T) {
			resp, err, _, ds := streamOnce(t, d, llmtest.Turn{Text: "Looking.", ToolCalls: []llmtest.ToolCall{
				{Name: "read_file", Args: json.RawMessage(`{"path":"a.go"}`)},
				{Name: "grep", Args: json.RawMessage(`{"pattern":"func Mean"}`)},
			}})
			if err != nil {
				t.Fatal(err)
			}
			if ds.text() != "Looking." {
				t.Fatalf("streamed text %q", ds.text())
			}
			var calls []string
			ids := map[string]bool{}
			for _, b := range resp.Message.Content {
				if b.Type == llm.BlockToolUse {
					calls = append(calls, b.Name+string(b.Input))
					ids[b.ID] = true
				}
			}
			want := []string{`read_file{"path":"a.go"}`, `grep{"pattern":"func Mean"}`}
			if strings.Join(calls, " ") != strings.Join(want, " ") || len(ids) != 2 {
				t.Fatalf("calls %v ids %v, want %v", calls, ids, want)
			}
			if resp.StopReason != llm.StopToolUse {
				t.Fatalf("stop %q", resp.StopReason)
			}
		})
	}
}

func TestOpenAIReasoningNeverInTheAnswer(t *testing.T) {
	for _, d := range []llmtest.Dialect{llmtest.Ollama, llmtest.VLLM, llmtest.LlamaCpp, llmtest.LiteLLM} {
		t.Run(string(d), func(t *testing.T) {
			resp, err, _, ds := streamOnce(t, d, llmtest.Turn{Text: "The fix is in stats.go.",
				OpenAI: &llmtest.OpenAITurn{Reasoning: "Let me think about the divisor first."}})
			if err != nil {
				t.Fatal(err)
			}
			if ds.text() != "The fix is in stats.go." {
				t.Fatalf("streamed %q", ds.text())
			}
			for _, b := range resp.Message.Content {
				if strings.Contains(b.Text, "divisor") {
					t.Fatalf("reasoning leaked into the answer: %+v", resp.Message.Content)
				}
			}
		})
	}
}

func TestOpenAIRefusalIsAStopReason(t *testing.T) {
	resp, err, _, _ := streamOnce(t, llmtest.OpenAI, llmtest.Turn{OpenAI: &llmtest.OpenAITurn{Refusal: "I can't help with disabling the license check."}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StopReason != llm.StopRefusal {
		t.Fatalf("stop %q", resp.StopReason)
	}
	if got := messageText(resp.Message); got != "I can't help with disabling the license check." {
		t.Fatalf("the model's words are not kept: %q", got)
	}
}

func TestOpenAIContentFilterIsARefusal(t *testing.T) {
	resp, err, _, _ := streamOnce(t, llmtest.OpenAI, llmtest.Turn{Text: "Sure, here", OpenAI: &llmtest.OpenAITurn{FinishReason: "content_filter"}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StopReason != llm.StopRefusal || !strings.Contains(resp.StopDetail, "content filter") {
		t.Fatalf("stop %q detail %q", resp.StopReason, resp.StopDetail)
	}
}

func TestOpenAIStreamErrorsKeepTheServersWords(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    llmtest.Dialect
		err  llmtest.OpenAIStreamError
		kind llm.ErrorKind
	}{
		{"llamacpp error line", llmtest.LlamaCpp, llmtest.OpenAIStreamError{Message: "slot unavailable: model crashed"}, llm.ErrServer},
		{"llamacpp context", llmtest.LlamaCpp, llmtest.OpenAIStreamError{Code: "400", Type: "exceed_context_size_error",
			Message: "request (9412 tokens) exceeds the available context size (8192 tokens), try increasing it"}, llm.ErrContextLength},
		{"vllm flat", llmtest.VLLM, llmtest.OpenAIStreamError{Message: "guided decoding backend failed", Type: "InternalServerError", Code: "500"}, llm.ErrServer},
		{"event error", llmtest.OpenAI, llmtest.OpenAIStreamError{Message: "upstream reset", Type: "server_error", Form: "event"}, llm.ErrServer},
		{"openai object", llmtest.OpenAI, llmtest.OpenAIStreamError{Message: "content policy engine unavailable", Type: "invalid_request_error"}, llm.ErrBadRequest},
		{"ollama bare line", llmtest.Ollama, llmtest.OpenAIStreamError{Message: "model runner has unexpectedly stopped, this may be due to resource limitations"}, llm.ErrServer},
		{"llamacpp data error", llmtest.LlamaCpp, llmtest.OpenAIStreamError{Message: "failed to decode the batch", Form: "data"}, llm.ErrServer},
		{"litellm string code", llmtest.LiteLLM, llmtest.OpenAIStreamError{Message: "litellm.APIConnectionError: upstream closed", Code: "500"}, llm.ErrServer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.err
			resp, err, _, _ := streamOnce(t, tc.d, llmtest.Turn{Text: "Partial", OpenAI: &llmtest.OpenAITurn{Error: &e}})
			if err == nil {
				t.Fatalf("an error in the stream became an answer: %+v", resp)
			}
			if llm.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.err.Message) {
				t.Fatalf("got %v (%s), want kind %s with the server's words %q", err, llm.KindOf(err), tc.kind, tc.err.Message)
			}
			if strings.Contains(err.Error(), "base-url") {
				t.Fatalf("blames the URL: %v", err)
			}
		})
	}
}

func TestOpenAIInStreamRateLimitIsRetried(t *testing.T) {
	for _, tc := range []struct {
		d   llmtest.Dialect
		err llmtest.OpenAIStreamError
	}{
		{llmtest.LiteLLM, llmtest.OpenAIStreamError{Code: "429", Message: "litellm.RateLimitError: quota per minute", Early: true}},
		{llmtest.OpenAI, llmtest.OpenAIStreamError{Type: "rate_limit_error", Message: "slow down", Early: true}},
		{llmtest.OpenAI, llmtest.OpenAIStreamError{Code: "rate_limit_exceeded", Message: "slow down", Early: true}},
	} {
		t.Run(string(tc.d)+"/"+tc.err.Code+tc.err.Type, func(t *testing.T) {
			e := tc.err
			resp, err, sl, _ := streamOnce(t, tc.d, llmtest.Turn{OpenAI: &llmtest.OpenAITurn{Error: &e}}, llmtest.Turn{Text: "ok now"})
			if err != nil {
				t.Fatalf("not retried: %v", err)
			}
			if messageText(resp.Message) != "ok now" || len(sl.Waits()) != 1 {
				t.Fatalf("resp %+v waits %v", resp.Message, sl.Waits())
			}
		})
	}
}

func TestOpenAIFlatErrorBodies(t *testing.T) {
	for _, tc := range []struct {
		d      llmtest.Dialect
		fault  llmtest.Fault
		kind   llm.ErrorKind
		phrase string
	}{
		{llmtest.VLLM, llmtest.Fault{Status: 400, Message: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens."}, llm.ErrContextLength, "maximum context length is 4096"},
		{llmtest.OllamaOld, llmtest.Fault{Status: 404, Message: `model "qwen3:4b" not found, try pulling it first`}, llm.ErrUnknownModel, "try pulling it first"},
		{llmtest.OllamaOld, llmtest.Fault{Status: 400, Message: "registry.ollama.ai/library/qwen3 does not support tools"}, llm.ErrBadRequest, "does not support tools"},
		{llmtest.LlamaCpp, llmtest.Fault{Status: 400, Type: "exceed_context_size_error", Message: "request (9412 tokens) exceeds the available context size (8192 tokens), try increasing it"}, llm.ErrContextLength, "9412 tokens"},
	} {
		t.Run(string(tc.d)+"/"+tc.phrase, func(t *testing.T) {
			f := tc.fault
			_, err, _, _ := streamOnce(t, tc.d, llmtest.Turn{Fault: &f})
			if err == nil || llm.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.phrase) {
				t.Fatalf("got %v (%s), want %s with %q", err, llm.KindOf(err), tc.kind, tc.phrase)
			}
		})
	}
}

func TestOpenAIStreamEndings(t *testing.T) {
	t.Run("done without anything is not an answer", func(t *testing.T) {
		resp, err, _, _ := streamOnce(t, llmtest.OpenAI, llmtest.Turn{OpenAI: &llmtest.OpenAITurn{End: "done_only"}})
		if err == nil || llm.KindOf(err) != llm.ErrEmpty || !strings.Contains(err.Error(), "no text and no tool call") {
			t.Fatalf("got %+v, %v", resp, err)
		}
	})
	t.Run("clean end after a finish reason is complete", func(t *testing.T) {
		resp, err, _, _ := streamOnce(t, llmtest.LlamaCpp, llmtest.Turn{Text: "All done.", OpenAI: &llmtest.OpenAITurn{End: "no_done"}})
		if err != nil || messageText(resp.Message) != "All done." || resp.StopReason != llm.StopEnd {
			t.Fatalf("got %+v, %v", resp, err)
		}
	})
}

func TestOpenAICallsWithoutIndex(t *testing.T) {
	// Ollama before 0.4.7: both calls in one chunk, no index, distinct ids.
	resp, err, _, _ := streamOnce(t, llmtest.OllamaOld, llmtest.Turn{ToolCalls: []llmtest.ToolCall{
		{ID: "call_a", Name: "read_file", Args: json.RawMessage(`{"path":"a.go"}`)},
		{ID: "call_b", Name: "read_file", Args: json.RawMessage(`{"path":"b.go"}`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range resp.Message.Content {
		if b.Type == llm.BlockToolUse {
			got = append(got, b.ID+":"+string(b.Input))
		}
	}
	if strings.Join(got, " ") != `call_a:{"path":"a.go"} call_b:{"path":"b.go"}` {
		t.Fatalf("calls %v", got)
	}
	if resp.StopReason != llm.StopToolUse {
		t.Fatalf("stop %q", resp.StopReason)
	}
}

func TestOpenAIBadArgumentsAreTheCallsError(t *testing.T) {
	for _, raw := range []string{`{"path": "a.go"`, `{"path":"a.go"}{"path":"b.go"}`, `{path: a.go}`} {
		t.Run(raw, func(t *testing.T) {
			resp, err, _, _ := streamOnce(t, llmtest.Ollama, llmtest.Turn{ToolCalls: []llmtest.ToolCall{
				{Name: "read_file", RawArgs: raw}, {Name: "grep", Args: json.RawMessage(`{"pattern":"x"}`)}}})
			if err != nil {
				t.Fatalf("the whole answer failed for one call's arguments: %v", err)
			}
			calls := toolUses(resp.Message)
			if len(calls) != 2 || calls[0].InputError == "" || calls[1].InputError != "" || string(calls[1].Input) != `{"pattern":"x"}` {
				t.Fatalf("calls %+v", calls)
			}
			var kept string
			if json.Unmarshal(calls[0].Input, &kept) != nil || kept != raw {
				t.Fatalf("the model's text is not kept for its error: %s", calls[0].Input)
			}
		})
	}
}

func TestOpenAICallCutAtTheLimit(t *testing.T) {
	resp, err, _, _ := streamOnce(t, llmtest.OpenAI, llmtest.Turn{StopReason: "max_tokens",
		ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: json.RawMessage(`{"path":"a-very-long-name.go"}`)}},
		OpenAI:    &llmtest.OpenAITurn{CutArgsAt: 12}})
	if err != nil {
		t.Fatal(err)
	}
	calls := toolUses(resp.Message)
	if resp.StopReason != llm.StopMaxTokens || len(calls) != 1 || !calls[0].CutAtLimit || string(calls[0].Input) != "{}" {
		t.Fatalf("stop %q calls %+v", resp.StopReason, calls)
	}
}

func messageText(m llm.Message) string {
	var parts []string
	for _, b := range m.Content {
		if b.Type == llm.BlockText {
			parts = append(parts, b.Text)
		}
	}
	return strings.Join(parts, "")
}

func toolUses(m llm.Message) []llm.Block {
	var out []llm.Block
	for _, b := range m.Content {
		if b.Type == llm.BlockToolUse {
			out = append(out, b)
		}
	}
	return out
}
