package llm_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/remote/llm/llmtest"
)

// The Anthropic adapter reports what the model really did: every stop reason,
// a tool call cut by the output budget, error events inside the stream,
// endings without message_stop, and thinking blocks that must go back.

func anthropicOnce(t *testing.T, turns ...llmtest.Turn) (*llm.Response, error, *deltas, *sleeper, *llmtest.Server) {
	t.Helper()
	srv := llmtest.Start(t, llmtest.Anthropic, llmtest.Script{Turns: turns})
	var sl sleeper
	var seen deltas
	resp, err := newProvider(llmtest.Anthropic, srv.URL, &sl).Stream(context.Background(), testRequest("m"), seen.add)
	return resp, err, &seen, &sl, srv
}

func TestAnthropicStopReasonsAreReported(t *testing.T) {
	for _, c := range []struct {
		wire string
		want llm.StopReason
	}{
		{"end_turn", llm.StopEnd},
		{"tool_use", llm.StopToolUse},
		// wend sends no stop sequences; a gateway's own one still ends the turn.
		{"stop_sequence", llm.StopEnd},
		{"max_tokens", llm.StopMaxTokens},
		{"pause_turn", llm.StopPauseTurn},
		{"refusal", llm.StopRefusal},
	} {
		t.Run(c.wire, func(t *testing.T) {
			resp, err, _, _, _ := anthropicOnce(t, llmtest.Turn{Text: "Partial answer.", StopReason: c.wire})
			if err != nil {
				t.Fatal(err)
			}
			if resp.StopReason != c.want {
				t.Errorf("stop reason %q, want %q", resp.StopReason, c.want)
			}
			if diff := cmp.Diff([]llm.Block{llm.Text("Partial answer.")}, resp.Message.Content); diff != "" {
				t.Errorf("content (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAnthropicRefusalCarriesTheModelsWords: the classifier's explanation
// reaches the caller, and a tool call the refusal cut off is not run.
func TestAnthropicRefusalCarriesTheModelsWords(t *testing.T) {
	resp, err, _, _, _ := anthropicOnce(t, llmtest.Turn{Text: "I can't help with that.", StopReason: "refusal",
		ToolCalls: []llmtest.ToolCall{{Name: "run_command", Args: json.RawMessage(`{"command":"nmap -sS 10.0.0.0/8"}`)}},
		Anthropic: &llmtest.AnthropicTurn{StopExplanation: "Declined by a policy classifier.", CutInputAt: 12}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StopReason != llm.StopRefusal || resp.StopDetail != "Declined by a policy classifier." {
		t.Errorf("stop %q detail %q", resp.StopReason, resp.StopDetail)
	}
	if len(resp.Message.Content) != 2 || resp.Message.Content[0].Text != "I can't help with that." || !resp.Message.Content[1].CutAtLimit {
		t.Errorf("content %+v", resp.Message.Content)
	}
}

// TestAnthropicMaxTokensInsideToolUse: the budget ran out while the model
// wrote a tool call's input. That is not a broken server: the call comes back
// marked CutAtLimit with an empty input, the response says max_tokens.
func TestAnthropicMaxTokensInsideToolUse(t *testing.T) {
	big, _ := json.Marshal(map[string]string{"path": "big.go", "content": strings.Repeat("x := 1\n", 200)})
	resp, err, seen, sl, _ := anthropicOnce(t, llmtest.Turn{Text: "Writing the file.", StopReason: "max_tokens",
		ToolCalls: []llmtest.ToolCall{{ID: "toolu_cut", Name: "create_file", Args: big}},
		Anthropic: &llmtest.AnthropicTurn{CutInputAt: 300}})
	if err != nil {
		t.Fatalf("a max_tokens stop is an answer, not a failure: %v", err)
	}
	want := []llm.Block{llm.Text("Writing the file."),
		{Type: llm.BlockToolUse, ID: "toolu_cut", Name: "create_file", Input: json.RawMessage(`{}`), CutAtLimit: true}}
	if diff := cmp.Diff(want, resp.Message.Content); diff != "" {
		t.Errorf("content (-want +got):\n%s", diff)
	}
	if resp.StopReason != llm.StopMaxTokens || len(sl.Waits()) != 0 || len(seen.of("tool")) != 1 {
		t.Errorf("stop %q, waits %v, tools %v", resp.StopReason, sl.Waits(), seen.of("tool"))
	}
}

// TestAnthropicBrokenToolInputIsTheCallsError: without a budget stop, tool
// JSON that does not parse is the call's error, for the model to fix, as with
// the OpenAI dialects; the session goes on.
func TestAnthropicBrokenToolInputIsTheCallsError(t *testing.T) {
	resp, err, _, _, _ := anthropicOnce(t, llmtest.Turn{StopReason: "tool_use",
		ToolCalls: []llmtest.ToolCall{{ID: "toolu_bad", Name: "grep", Args: json.RawMessage(`{"pattern":"abcdef"}`)}},
		Anthropic: &llmtest.AnthropicTurn{CutInputAt: 8}})
	if err != nil {
		t.Fatal(err)
	}
	b := resp.Message.Content[0]
	if b.ID != "toolu_bad" || b.CutAtLimit || !strings.Contains(b.InputError, "not a valid JSON object") || string(b.Input) != `"{\"patter"` {
		t.Errorf("block %+v", b)
	}
}

// TestAnthropicEmptyAnswerIsAnError: end_turn with nothing said is not a
// finished task.
func TestAnthropicEmptyAnswerIsAnError(t *testing.T) {
	_, err, _, _, _ := anthropicOnce(t, llmtest.Turn{StopReason: "end_turn",
		Anthropic: &llmtest.AnthropicTurn{Thinking: []llmtest.ThinkingBlock{{Thinking: "hmm", Signature: "c2ln"}}}})
	e := mustKind(t, err, llm.ErrEmpty)
	if !strings.Contains(e.Message, "no text and no tool call") {
		t.Errorf("message %q", e.Message)
	}
}

func TestAnthropicErrorEvents(t *testing.T) {
	for _, c := range []struct {
		name     string
		ev       llmtest.StreamError
		kind     llm.ErrorKind
		retried  bool
		contains string
	}{
		{"overloaded after output", llmtest.StreamError{Type: "overloaded_error", Message: "Overloaded"}, llm.ErrOverloaded, false, "Overloaded"},
		{"api_error after output", llmtest.StreamError{Type: "api_error", Message: "Internal server error"}, llm.ErrServer, false, "Internal server error"},
		{"overloaded before output", llmtest.StreamError{Type: "overloaded_error", Message: "Overloaded", Early: true}, llm.ErrOverloaded, true, "Overloaded"},
		{"prompt too long", llmtest.StreamError{Type: "invalid_request_error", Message: "prompt is too long: 210000 tokens > 200000 maximum", Early: true}, llm.ErrContextLength, false, "new session"},
		{"rate limited before output", llmtest.StreamError{Type: "rate_limit_error", Message: "Number of requests has exceeded your rate limit", Early: true}, llm.ErrRateLimit, true, "exceeded your rate limit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ev := c.ev
			bad := llmtest.Turn{Text: "Half an ans", Anthropic: &llmtest.AnthropicTurn{Error: &ev}}
			resp, err, _, sl, srv := anthropicOnce(t, bad, bad, bad)
			if err == nil {
				t.Fatalf("an error event must fail the call, got %+v", resp)
			}
			e := mustKind(t, err, c.kind)
			if !strings.Contains(e.Message, c.contains) {
				t.Errorf("message %q does not carry the server's words %q", e.Message, c.contains)
			}
			if got := len(srv.Requests()) > 1; got != c.retried {
				t.Errorf("retried %v (%d requests, waits %v), want %v", got, len(srv.Requests()), sl.Waits(), c.retried)
			}
		})
	}
}

func TestAnthropicStreamEndings(t *testing.T) {
	// message_delta carried the stop reason: the answer is complete even if
	// message_stop never came.
	resp, err, _, _, _ := anthropicOnce(t, llmtest.Turn{Text: "Done.", Anthropic: &llmtest.AnthropicTurn{End: "no_message_stop"}})
	if err != nil {
		t.Fatalf("complete answer without message_stop: %v", err)
	}
	if resp.StopReason != llm.StopEnd || resp.Message.Content[0].Text != "Done." {
		t.Errorf("response %+v", resp)
	}
	// No stop reason at all after content: the stream ended early.
	_, err, _, _, _ = anthropicOnce(t, llmtest.Turn{Text: "Done so f", Anthropic: &llmtest.AnthropicTurn{End: "no_message_delta"}})
	e := mustKind(t, err, llm.ErrStreamCut)
	if !strings.Contains(e.Message, "ended early") {
		t.Errorf("message %q", e.Message)
	}
}

// TestAnthropicContextWindowStop: a model that fills its context window while
// answering gets the same advice as a prompt that is too long.
func TestAnthropicContextWindowStop(t *testing.T) {
	_, err, _, _, _ := anthropicOnce(t, llmtest.Turn{Text: "Let me", StopReason: "model_context_window_exceeded"})
	e := mustKind(t, err, llm.ErrContextLength)
	if !strings.Contains(e.Message, "new session") {
		t.Errorf("message %q", e.Message)
	}
}

// TestAnthropicThinkingRoundTrip: thinking and redacted_thinking blocks are
// kept in order before the tool call, their text never reaches the answer,
// and the next request sends them back byte for byte.
func TestAnthropicThinkingRoundTrip(t *testing.T) {
	thinking := llmtest.ThinkingBlock{Thinking: "The mean divides by n-1; \"quotes\" & <tags> stay.", Signature: "EqQBCkYIBxgCKkD+/sig=="}
	redacted := llmtest.ThinkingBlock{Data: "EmwKAhgBEgy3va3pzix/LafPsn4a"}
	srv := llmtest.Start(t, llmtest.Anthropic, llmtest.Script{Turns: []llmtest.Turn{
		{Text: "Reading it.", ToolCalls: []llmtest.ToolCall{{Name: "read_file", Args: json.RawMessage(`{"path":"a.go"}`)}},
			Anthropic: &llmtest.AnthropicTurn{Thinking: []llmtest.ThinkingBlock{thinking, redacted}}},
		ok,
	}})
	var sl sleeper
	var seen deltas
	p := newProvider(llmtest.Anthropic, srv.URL, &sl)
	req := testRequest("m")
	resp, err := p.Stream(context.Background(), req, seen.add)
	if err != nil {
		t.Fatal(err)
	}
	want := []llm.Block{
		{Type: llm.BlockThinking, Thinking: thinking.Thinking, Signature: thinking.Signature},
		{Type: llm.BlockRedactedThinking, Data: redacted.Data},
		llm.Text("Reading it."),
		{Type: llm.BlockToolUse, ID: "toolu_01", Name: "read_file", Input: json.RawMessage(`{"path":"a.go"}`)},
	}
	if diff := cmp.Diff(want, resp.Message.Content); diff != "" {
		t.Fatalf("content (-want +got):\n%s", diff)
	}
	if got := seen.text(); got != "Reading it." {
		t.Errorf("streamed text %q: thinking must not leak into the answer", got)
	}
	req.Messages = append(req.Messages, resp.Message, llm.Message{Role: llm.RoleUser,
		Content: []llm.Block{{Type: llm.BlockToolResult, ToolUseID: "toolu_01", Content: "package a"}}})
	if _, err := p.Stream(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	var body struct {
		Messages []struct {
			Role    string                       `json:"role"`
			Content []map[string]json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(srv.Requests()[1].Body, &body); err != nil {
		t.Fatal(err)
	}
	sent := body.Messages[1].Content
	str := func(m map[string]json.RawMessage, k string) string {
		var s string
		_ = json.Unmarshal(m[k], &s)
		return s
	}
	if len(sent) != 4 || str(sent[0], "type") != "thinking" || str(sent[1], "type") != "redacted_thinking" || str(sent[3], "type") != "tool_use" {
		t.Fatalf("assistant blocks sent back: %s", srv.Requests()[1].Body)
	}
	if str(sent[0], "thinking") != thinking.Thinking || str(sent[0], "signature") != thinking.Signature || len(sent[0]) != 3 {
		t.Errorf("thinking block changed: %v", sent[0])
	}
	if str(sent[1], "data") != redacted.Data || len(sent[1]) != 2 {
		t.Errorf("redacted_thinking block changed: %v", sent[1])
	}
}

// TestAnthropicThinkingBudget: thinking_budget turns extended thinking on,
// and the budget always stays below max_tokens, which caps the output.
func TestAnthropicThinkingBudget(t *testing.T) {
	for _, c := range []struct {
		name                 string
		budget, maxTokens    int
		wantBudget, wantMax  int
		wantThinkingDisabled bool
	}{
		{"off", 0, 8000, 0, 8000, true},
		{"on", 4000, 16000, 4000, 16000, false},
		{"budget above the cap is lowered", 20000, 16000, 16000 - 1024, 16000, false},
		{"cap too small to think", 4000, 1500, 0, 1500, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := llmtest.Start(t, llmtest.Anthropic, llmtest.Script{Turns: []llmtest.Turn{ok}})
			p := llm.NewAnthropic(llm.Config{BaseURL: srv.URL, MaxTokens: c.maxTokens, ThinkingBudget: c.budget})
			req := testRequest("claude-sonnet-4-5")
			req.MaxTokens = 0
			if _, err := p.Stream(context.Background(), req, nil); err != nil {
				t.Fatal(err)
			}
			var body struct {
				MaxTokens int `json:"max_tokens"`
				Thinking  *struct {
					Type         string `json:"type"`
					BudgetTokens int    `json:"budget_tokens"`
				} `json:"thinking"`
			}
			raw := srv.Requests()[0].Body
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatal(err)
			}
			if body.MaxTokens != c.wantMax {
				t.Errorf("max_tokens %d, want %d", body.MaxTokens, c.wantMax)
			}
			switch {
			case c.wantThinkingDisabled && body.Thinking != nil:
				t.Errorf("thinking sent: %s", raw)
			case !c.wantThinkingDisabled && (body.Thinking == nil || body.Thinking.Type != "enabled" || body.Thinking.BudgetTokens != c.wantBudget):
				t.Errorf("thinking %+v, want enabled with %d: %s", body.Thinking, c.wantBudget, raw)
			}
		})
	}
}

// TestAnthropicMaxTokensPerModel: without max_tokens in the request or the
// config, the budget comes from the model family's table.
func TestAnthropicMaxTokensPerModel(t *testing.T) {
	for model, want := range map[string]int{
		"claude-sonnet-4-5-20250929": 32000, "claude-opus-4-1": 32000, "claude-3-5-haiku-latest": 8192,
		"claude-3-opus-20240229": 4096, "some-gateway-model": 8192,
	} {
		if got := llm.DefaultMaxTokensFor("anthropic", model); got != want {
			t.Errorf("%s: %d, want %d", model, got, want)
		}
		srv := llmtest.Start(t, llmtest.Anthropic, llmtest.Script{Turns: []llmtest.Turn{ok}})
		req := testRequest(model)
		req.MaxTokens = 0
		if _, err := llm.NewAnthropic(llm.Config{BaseURL: srv.URL}).Stream(context.Background(), req, nil); err != nil {
			t.Fatal(err)
		}
		if got := srv.Requests()[0].Parsed.MaxTokens; got != want {
			t.Errorf("%s: sent max_tokens %d, want %d", model, got, want)
		}
	}
	if got := llm.DefaultMaxTokensFor("openai", "gpt-4.1"); got != 0 {
		t.Errorf("OpenAI-compatible default %d, want 0 (left to the server)", got)
	}
}

// TestAnthropicPauseTurnContentGoesBackUnchanged: a turn paused in the middle
// of the provider's own tool (web search) comes back as StopPauseTurn, and
// sending its content back repeats every block, the provider's included, so
// the model can continue where it paused.
func TestAnthropicPauseTurnContentGoesBackUnchanged(t *testing.T) {
	use := `{"type":"server_tool_use","id":"srvtoolu_01","name":"web_search","input":{"query":"go 1.26 release notes"}}`
	result := `{"type":"web_search_tool_result","tool_use_id":"srvtoolu_01","content":[{"type":"web_search_result","title":"Go 1.26","url":"https://go.dev/doc/go1.26","encrypted_content":"EqgfCioIARgB","page_age":null}]}`
	srv := llmtest.Start(t, llmtest.Anthropic, llmtest.Script{Turns: []llmtest.Turn{
		{Text: "Let me look that up.", StopReason: "pause_turn",
			Anthropic: &llmtest.AnthropicTurn{ServerBlocks: []json.RawMessage{json.RawMessage(use), json.RawMessage(result)}}},
		ok,
	}})
	var sl sleeper
	p := newProvider(llmtest.Anthropic, srv.URL, &sl)
	req := testRequest("m")
	resp, err := p.Stream(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StopReason != llm.StopPauseTurn || len(resp.Message.Content) != 3 {
		t.Fatalf("stop %q, content %+v", resp.StopReason, resp.Message.Content)
	}
	req.Messages = append(req.Messages, resp.Message)
	if _, err := p.Stream(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	var body struct {
		Messages []struct {
			Content []json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(srv.Requests()[1].Body, &body); err != nil {
		t.Fatal(err)
	}
	sent := body.Messages[len(body.Messages)-1].Content
	if len(sent) != 3 {
		t.Fatalf("blocks sent back: %s", srv.Requests()[1].Body)
	}
	for i, want := range []string{use, result} {
		var a, b any
		_ = json.Unmarshal([]byte(want), &a)
		_ = json.Unmarshal(sent[i+1], &b)
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("block %d changed (-want +got):\n%s", i+1, diff)
		}
	}
}
