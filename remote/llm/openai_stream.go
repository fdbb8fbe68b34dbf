package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// openaiChunk is the part of a chat.completion.chunk wend reads. Fields that
// are null (LiteLLM writes every absent one so) decode as zero values.
type openaiChunk struct {
	Choices []struct {
		Index int64       `json:"index"`
		Delta openaiDelta `json:"delta"`
		// Message is a whole chat.completion's answer, from a server that
		// answered a streaming request in one JSON body.
		Message      *openaiDelta `json:"message"`
		FinishReason string       `json:"finish_reason"`
	} `json:"choices"`
	// Usage is read apart (openaiUsage): counts in an unexpected shape cost
	// the counts, never the answer.
	Usage json.RawMessage `json:"usage"`
}

// openaiDelta is what one chunk adds to the answer.
type openaiDelta struct {
	Content wireText `json:"content"`
	// Refusal is the model declining, in its own words (OpenAI).
	Refusal wireText `json:"refusal"`
	// Reasoning is a thinking model's reasoning: vLLM and llama.cpp call
	// it reasoning_content, Ollama and newer vLLM reasoning. Never answer.
	ReasoningContent wireText `json:"reasoning_content"`
	Reasoning        wireText `json:"reasoning"`
	ToolCalls        []struct {
		// Index is absent in Ollama before 0.4.7, which sends every call
		// whole in one chunk, each with its own id.
		Index    *int64 `json:"index"`
		ID       string `json:"id"`
		Function struct {
			Name      string   `json:"name"`
			Arguments wireArgs `json:"arguments"`
		} `json:"function"`
	} `json:"tool_calls"`
}

// openaiUsage is a chunk's token counts; ok is false when there are none or
// they do not read as counts.
func openaiUsage(raw json.RawMessage) (Usage, bool) {
	var u struct {
		PromptTokens        float64 `json:"prompt_tokens"`
		CompletionTokens    float64 `json:"completion_tokens"`
		PromptTokensDetails struct {
			CachedTokens     float64 `json:"cached_tokens"`
			CacheWriteTokens float64 `json:"cache_write_tokens"`
		} `json:"prompt_tokens_details"`
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" || json.Unmarshal(raw, &u) != nil {
		return Usage{}, false
	}
	cached := int64(u.PromptTokensDetails.CachedTokens)
	// OpenAI counts cached tokens inside prompt_tokens; wend's InputTokens,
	// like Anthropic's, excludes them.
	return Usage{InputTokens: int64(u.PromptTokens) - cached, OutputTokens: int64(u.CompletionTokens),
		CacheReadTokens: cached, CacheWriteTokens: int64(u.PromptTokensDetails.CacheWriteTokens)}, true
}

// openaiCall is one tool call being assembled from deltas.
type openaiCall struct {
	id, name string
	args     strings.Builder
}

// openaiTurn accumulates one streamed answer.
type openaiTurn struct {
	text, refusal strings.Builder
	reasoning     int // characters of reasoning seen, dropped from the answer
	calls         []*openaiCall
	byIndex       map[int64]*openaiCall
	last          *openaiCall
	finish        string
	chunks        int
	usage         Usage
}

// readOpenAI consumes one chat.completion.chunk stream. An error in the
// stream, in any server's shape, is an error with the server's words; the
// stream is complete at data: [DONE], or at a clean end of the body after a
// finish_reason (llama.cpp forks and proxies that omit [DONE]).
func readOpenAI(ctx context.Context, body io.Reader, cls classifier, onDelta func(Delta)) (*Response, error) {
	if whole, ok := body.(wholeJSON); ok {
		return readOpenAIWhole(ctx, whole, cls, onDelta)
	}
	sse := newSSEReader(body)
	t := &openaiTurn{byIndex: map[int64]*openaiCall{}}
	done := false
	for !done {
		ev, ok := sse.Next()
		if !ok {
			break
		}
		data := bytes.TrimSpace(ev.data)
		if string(data) == "[DONE]" {
			done = true
			break
		}
		if len(data) == 0 || ev.name == "ping" {
			continue // a keep-alive: "data:" with nothing, or a named ping
		}
		if ev.name == "error" {
			f, ok := wireFailure(http.StatusOK, data, true)
			if !ok {
				f = apiFailure{status: http.StatusOK, message: clipText(string(data), 300)}
			}
			return nil, streamFailure(cls, f)
		}
		if f, ok := wireFailure(http.StatusOK, data, false); ok {
			return nil, streamFailure(cls, f)
		}
		var ch openaiChunk
		if err := json.Unmarshal(data, &ch); err != nil {
			return nil, cls.transport(ctx, err, "")
		}
		t.add(ch, onDelta)
	}
	if err := sse.Err(); err != nil {
		where := ""
		if t.chunks > 0 {
			where = t.cutWhere()
		}
		return nil, cls.transport(ctx, err, where)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if !done && (t.finish == "" || sse.cutTail) {
		return nil, cls.cut(t.cutWhere())
	}
	return t.response(cls)
}

// streamFailure classifies an error the server sent inside its 200 stream.
func streamFailure(cls classifier, f apiFailure) error {
	return quota(cls.api(f, errors.New("error in the stream: "+cls.redact(f.message))), f)
}

func (t *openaiTurn) add(ch openaiChunk, onDelta func(Delta)) {
	t.chunks++
	if u, ok := openaiUsage(ch.Usage); ok {
		t.usage = u
	}
	for _, c := range ch.Choices {
		if c.Index != 0 {
			continue // wend asks for one choice
		}
		d := c.Delta
		if c.Message != nil {
			d = *c.Message
		}
		t.reasoning += len(d.ReasoningContent.text) + len(d.Reasoning.text) + d.Content.other
		if d.Content.text != "" {
			t.text.WriteString(d.Content.text)
			onDelta(Delta{Text: d.Content.text})
		}
		if d.Refusal.text != "" {
			t.refusal.WriteString(d.Refusal.text)
			onDelta(Delta{Text: d.Refusal.text})
		}
		for _, tc := range d.ToolCalls {
			b := t.callFor(tc.Index, tc.ID, tc.Function.Name)
			if b.id == "" && tc.ID != "" {
				b.id = tc.ID
			}
			// Some servers repeat the name in every delta; the first one counts.
			if b.name == "" && tc.Function.Name != "" {
				b.name = tc.Function.Name
				onDelta(Delta{ToolStarted: b.name})
			}
			b.args.WriteString(string(tc.Function.Arguments))
		}
		if c.FinishReason != "" {
			t.finish = c.FinishReason
		}
	}
}

// callFor finds the call a tool_calls delta continues, or starts one. With an
// index, the index names the call, unless the delta brings an id other than
// the one the call has (servers that number every call 0). Without an index,
// a new id, or a name while the last call already has one, starts a new call;
// anything else continues the last.
func (t *openaiTurn) callFor(index *int64, id, name string) *openaiCall {
	var c *openaiCall
	if index != nil {
		c = t.byIndex[*index]
		if c != nil && id != "" && c.id != "" && id != c.id {
			c = nil
		}
	} else if l := t.last; l != nil {
		newID := id != "" && l.id != "" && id != l.id
		newName := id == "" && name != "" && l.name != ""
		if !newID && !newName {
			c = l
		}
	}
	if c == nil {
		c = &openaiCall{}
		t.calls = append(t.calls, c)
		if index != nil {
			t.byIndex[*index] = c
		}
	}
	t.last = c
	return c
}

func (t *openaiTurn) response(cls classifier) (*Response, error) {
	if t.finish == "error" {
		// OpenRouter and vLLM end a generation that failed with this reason;
		// when no error object came with it, the reason is all there is.
		return nil, &Error{Kind: ErrServer, Provider: cls.provider, Message: fmt.Sprintf(
			"the server at %s ended the answer with finish_reason \"error\" and gave no message; try again, or check the server's log", cls.where())}
	}
	resp := &Response{Message: Message{Role: RoleAssistant}, Usage: t.usage}
	text := t.text.String() + t.refusal.String()
	if text != "" {
		resp.Message.Content = append(resp.Message.Content, Text(text))
	}
	resp.StopReason, resp.StopDetail = openaiStop(t.finish, len(t.calls) > 0, t.refusal.Len() > 0)
	for i, c := range t.calls {
		b := Block{Type: BlockToolUse, ID: c.id, Name: c.name}
		if b.ID == "" {
			b.ID = fmt.Sprintf("call_%d", i) // some local servers omit ids
		}
		raw := c.args.String()
		input, err := toolInput(raw)
		switch {
		case err == nil:
			b.Input = input
		case resp.StopReason == StopMaxTokens && i == len(t.calls)-1:
			// The output budget ran out while the model wrote these arguments.
			b.Input, b.CutAtLimit = json.RawMessage(`{}`), true
		default:
			b.Input, _ = json.Marshal(raw)
			b.InputError = argumentsProblem(raw, err)
		}
		resp.Message.Content = append(resp.Message.Content, b)
	}
	if text == "" && len(t.calls) == 0 && resp.StopReason != StopMaxTokens && resp.StopReason != StopRefusal {
		said := ""
		if t.reasoning > 0 {
			said = fmt.Sprintf(", only %d characters of reasoning", t.reasoning)
		}
		return nil, &Error{Kind: ErrEmpty, Provider: cls.provider, Message: fmt.Sprintf(
			"the answer from %s had no text and no tool call (finish_reason %q%s); the model produced nothing: check the server's log, or try again",
			cls.where(), t.finish, said)}
	}
	return resp, nil
}

// argumentsProblem says what is wrong with a call's arguments, in words the
// model can act on.
func argumentsProblem(raw string, err error) string {
	dec := json.NewDecoder(strings.NewReader(raw))
	var first any
	if dec.Decode(&first) == nil && dec.More() {
		return "its arguments are several JSON values back to back; send one call per JSON object"
	}
	return fmt.Sprintf("its arguments are not a valid JSON object (%v)", err)
}

// openaiStop maps finish_reason onto wend's stop reasons. Servers disagree on
// the words: older Ollama reports "stop" for a turn that called tools, some
// say "eos"; content_filter is the provider declining for the model.
func openaiStop(finish string, calledTools, refused bool) (StopReason, string) {
	switch finish {
	case "content_filter":
		return StopRefusal, "the provider's content filter stopped the answer (finish_reason content_filter)"
	case "length", "max_tokens":
		return StopMaxTokens, ""
	}
	if refused {
		return StopRefusal, ""
	}
	switch finish {
	case "tool_calls", "function_call", "stop", "", "eos", "eos_token", "end_turn", "stop_sequence":
		if calledTools {
			return StopToolUse, ""
		}
		return StopEnd, ""
	}
	return StopReason(finish), ""
}

func (t *openaiTurn) cutWhere() string {
	switch {
	case t.chunks == 0:
		return "the stream ended before the first chunk"
	case t.finish == "":
		for _, b := range t.calls {
			if b.name != "" {
				return fmt.Sprintf("in the middle of a call to tool %q", b.name)
			}
		}
	}
	return "before data: [DONE]"
}

// quota keeps an exhausted account from being retried as a rate limit: OpenAI
// answers 429 for both, and only the code tells them apart.
func quota(e *Error, f apiFailure) *Error {
	if f.code == "insufficient_quota" {
		e.Kind = ErrBadRequest
		e.RetryAfter = 0
		e.Message = "the account has no quota left; check the plan and billing of the key in " + "OPENAI_API_KEY"
	}
	return e
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// wholeJSON is a 2xx body that is one JSON document (Content-Type
// application/json), not an event stream: a server or gateway that ignores
// "stream": true answers with the whole chat.completion, often pretty-printed
// over many lines.
type wholeJSON struct{ io.Reader }

// maxWholeAnswer bounds a whole JSON answer read into memory.
const maxWholeAnswer = 32 << 20

// readOpenAIWhole reads a whole chat.completion (or an error object sent
// with status 200) as the one chunk of a complete stream.
func readOpenAIWhole(ctx context.Context, body wholeJSON, cls classifier, onDelta func(Delta)) (*Response, error) {
	data, err := io.ReadAll(io.LimitReader(body, maxWholeAnswer))
	if err != nil {
		return nil, cls.transport(ctx, err, "")
	}
	data = bytes.TrimSpace(data)
	if !bytes.HasPrefix(data, []byte("{")) {
		// An event stream labelled as JSON (a proxy's mistake): read as one.
		return readOpenAI(ctx, bytes.NewReader(data), cls, onDelta)
	}
	if f, ok := wireFailure(http.StatusOK, data, false); ok {
		return nil, streamFailure(cls, f)
	}
	var ch openaiChunk
	if err := json.Unmarshal(data, &ch); err != nil {
		return nil, cls.transport(ctx, err, "")
	}
	t := &openaiTurn{byIndex: map[int64]*openaiCall{}}
	t.add(ch, onDelta)
	return t.response(cls)
}
