package llmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// The OpenAI-compatible servers agree on data: chat.completion.chunk lines
// and differ in the rest. What each dialect here writes, as read from the
// servers' own streaming code:
//
//   - OpenAI: a role-first chunk, "usage": null on every chunk and a last
//     chunk with empty choices and the usage (stream_options.include_usage),
//     data: [DONE]; a refusal streams as delta.refusal with content null.
//   - Ollama: "role":"assistant" and "content" in every delta, reasoning as
//     delta.reasoning, each tool call whole (arguments not streamed) with an
//     index. Before 0.4.7 (OllamaOld) calls carry no index and all arrive in
//     one chunk, each with its own id, the turn ending with "stop"; HTTP
//     errors are {"error":"..."} with a string. An error once the stream has
//     begun is {"error":{...}} written bare (no "data: ") and no [DONE]
//     (middleware/openai.go, BaseWriter.writeError).
//   - vLLM: reasoning as delta.reasoning_content; errors flat,
//     {"object":"error","message",...,"code":400}, inside a 200 stream too,
//     followed by data: [DONE].
//   - llama.cpp: a "timings" object on the finishing chunk; an error while
//     streaming is an "error: {...}" line (the SSE field, not data:), then
//     data: [DONE]; a prompt over the context is exceed_context_size_error.
//   - Mistral: a reasoning (magistral) model's delta.content is a list of
//     typed parts, {"type":"thinking","thinking":[{"type":"text",...}]} and
//     {"type":"text","text":...}, plain text otherwise; each tool call whole
//     in one chunk; errors flat like vLLM's.
//   - LiteLLM: every absent field written as null (content, tool_calls,
//     function_call, refusal, a continuing call's id, type and name),
//     provider_specific_fields; error codes as strings ("429").
//
// A JSON script spells the OpenAI-only shapes as a turn's "openai" object:
//
//	{"openai": {"refusal": "I can't help with that."}}
//	{"text": "Done.", "openai": {"reasoning": "The user wants..."}}
//	{"stop_reason": "max_tokens", "tool_calls": [...], "openai": {"cut_args_at": 12}}
//	{"openai": {"error": {"code": "429", "message": "Rate limit", "early": true}}}
//	{"openai": {"end": "done_only"}}

// OpenAITurn shapes one OpenAI-compatible reply; every field is optional.
type OpenAITurn struct {
	// Refusal streams as delta.refusal after any text.
	Refusal string `json:"refusal,omitempty"`
	// Reasoning streams first, in the dialect's field (reasoning_content for
	// vLLM, reasoning for the others).
	Reasoning string `json:"reasoning,omitempty"`
	// CutArgsAt, when positive, ends the last tool call's arguments after that
	// many bytes, as a "length" stop does. Pair it with stop_reason max_tokens.
	CutArgsAt int `json:"cut_args_at,omitempty"`
	// FinishReason overrides the finish_reason sent (e.g. "content_filter").
	FinishReason string `json:"finish_reason,omitempty"`
	// Error ends the 200 stream with an error in the dialect's shape: right
	// after the role chunk when Early, else after the content.
	Error *OpenAIStreamError `json:"error,omitempty"`
	// End changes how the stream ends: "no_done" closes the connection cleanly
	// after the usage chunk without data: [DONE]; "done_only" sends the role
	// chunk and data: [DONE] and nothing else; "whole" ignores "stream": true
	// and answers one pretty-printed chat.completion as application/json, as
	// a server or gateway without streaming does.
	End string `json:"end,omitempty"`
}

// OpenAIStreamError is an error inside a 200 stream.
type OpenAIStreamError struct {
	Type    string `json:"type,omitempty"`
	Code    string `json:"code,omitempty"` // "429", "rate_limit_exceeded"...; numeric where the dialect writes numbers
	Message string `json:"message,omitempty"`
	Early   bool   `json:"early,omitempty"`
	// Form "event" sends it as "event: error" with the error in data, the way
	// SSE names events; "data" as llama.cpp's newer server does,
	// data: {"error":{"code","message","type"}} and no [DONE]; the default is
	// the dialect's own way.
	Form string `json:"form,omitempty"`
}

// traits are the per-dialect details of a chunk.
type traits struct {
	fingerprint    string
	nullUsage      bool   // "usage": null on chunks without usage
	nulls          bool   // absent delta fields written as null (LiteLLM)
	reasoningField string // where reasoning deltas go
	timings        bool   // llama.cpp's timings on the finishing chunk
}

func traitsOf(d Dialect) traits {
	switch d {
	case Ollama, OllamaOld:
		return traits{fingerprint: "fp_ollama", reasoningField: "reasoning"}
	case VLLM:
		return traits{reasoningField: "reasoning_content"}
	case LlamaCpp:
		return traits{fingerprint: "b5000-llmtest", reasoningField: "reasoning_content", timings: true}
	case Mistral:
		return traits{}
	case LiteLLM:
		return traits{nullUsage: true, nulls: true, reasoningField: "reasoning_content"}
	}
	return traits{fingerprint: "fp_llmtest", nullUsage: true, reasoningField: "reasoning"}
}

func has(o obj, key string) bool {
	for i := 0; i+1 < len(o); i += 2 {
		if o[i] == key {
			return true
		}
	}
	return false
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// intCode is code as the number servers that write numeric codes send.
func intCode(code string, def int) int {
	if n, err := strconv.Atoi(code); err == nil {
		return n
	}
	return def
}

// codeValue is code as a JSON string, or null when empty.
func codeValue(code string) any {
	if code == "" {
		return nil
	}
	return code
}

// openaiWhole is the reply as one chat.completion object (the non-streaming
// answer documented for Chat Completions), indented over many lines.
func openaiWhole(t Turn, model string, seq int, nextID func() string) string {
	msg := obj{"role", "assistant", "content", nil}
	if t.Text != "" {
		msg = obj{"role", "assistant", "content", t.Text}
	}
	if len(t.ToolCalls) > 0 {
		var calls []any
		for _, c := range t.ToolCalls {
			id := c.ID
			if id == "" {
				id = nextID()
			}
			calls = append(calls, obj{"id", id, "type", "function", "function", obj{"name", c.Name, "arguments", c.args()}})
		}
		msg = append(msg, "tool_calls", calls)
	}
	msg = append(msg, "refusal", nil)
	u := t.usage()
	prompt := u.InputTokens + u.CacheReadTokens
	c := obj{"id", fmt.Sprintf("chatcmpl-%02d", seq), "object", "chat.completion", "created", created, "model", model,
		"choices", []any{obj{"index", 0, "message", msg, "logprobs", nil, "finish_reason", openaiFinish(t.stopReason())}},
		"usage", obj{"prompt_tokens", prompt, "completion_tokens", u.OutputTokens, "total_tokens", prompt + u.OutputTokens}}
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(mustJSON(c)), "", "  "); err != nil {
		panic(err)
	}
	return buf.String() + "\n"
}
