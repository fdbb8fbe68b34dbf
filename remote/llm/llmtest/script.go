// Package llmtest serves scripted model conversations on 127.0.0.1 in the real
// wire formats of the Anthropic Messages API and of OpenAI Chat Completions, so
// tests exercise the real adapters and HTTP stack without a network:
//
//	srv := llmtest.Start(t, llmtest.Anthropic, script) // or llmtest.OpenAI
//	p := llm.NewAnthropic(llm.Config{APIKey: "test-key", BaseURL: srv.URL})
//	... run the code under test with p (or pass --base-url srv.URL to the binary) ...
//	srv.Requests()[0].Parsed.Messages // what the model was sent
//
// A Script is a list of turns; each request to the server consumes the next turn.
// Scripts can be written in Go or loaded from JSON files (LoadScript), which is
// how the CLI's end-to-end tests and the offline demo use them. The JSON field
// names are those of Script, Turn, ToolCall and Fault; testdata/example.json:
//
//	{
//	  "api_key": "test-key",
//	  "turns": [
//	    {"fault": {"status": 429, "headers": {"Retry-After": "2"}}},
//	    {"text": "I'll look at the file.",
//	     "tool_calls": [{"name": "read_file", "args": {"path": "main.go"}}],
//	     "usage": {"input_tokens": 1200, "output_tokens": 40, "cache_read_tokens": 1000}},
//	    {"text": "Done: the typo is fixed.", "stop_reason": "end_turn"}
//	  ]
//	}
//
// Other turn shapes: {"fault": {"status": 404, "type": "not_found_error",
// "message": "model: x"}}, {"fault": {"drop": true}} (connection closed without
// a response), {"text": "...", "cut_after": 300} (connection aborted after 300
// bytes of the stream), {"raw": "event: ...\ndata: {...}\n\n"} (a hand-written,
// possibly malformed, event stream).
//
// A reply turn streams its text, then its tool calls, then usage and the end
// marker. Tool-call ids default to toolu_01, toolu_02... (Anthropic) or call_01...
// (OpenAI), numbered across the whole conversation. Text is sent in deltas of a
// few bytes and tool arguments in deltas of at most 4 bytes, so clients must
// accumulate them.
package llmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"gitlab.com/wend/wend/remote/llm"
)

// Script is a scripted conversation: one Turn per request, in order.
type Script struct {
	// APIKey, when set, is the key requests must carry; others get the dialect's 401.
	APIKey string `json:"api_key,omitempty"`
	// Model is named in replies; empty means echo the request's model.
	Model string `json:"model,omitempty"`
	Turns []Turn `json:"turns"`
}

// Turn is the server's answer to one request: a reply (Text and/or ToolCalls), a
// Fault, a Raw event-stream body, or a Go callback that decides from the request.
type Turn struct {
	Text      string     `json:"text,omitempty"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// Usage defaults to 100 input and 20 output tokens.
	Usage *llm.Usage `json:"usage,omitempty"`
	// StopReason in wend's terms (end_turn, tool_use, max_tokens); the default is
	// tool_use when there are tool calls, else end_turn. The OpenAI dialect maps it
	// to stop / tool_calls / length.
	StopReason string `json:"stop_reason,omitempty"`
	// CutAfter, when positive, aborts the connection after that many bytes of the
	// reply's event stream, as a crashed server or a proxy timeout would.
	CutAfter int `json:"cut_after,omitempty"`
	// Anthropic adds what only the Anthropic stream has: thinking blocks, error
	// events, a cut tool input, a refusal's explanation, an early end (see
	// anthropic_shapes.go). The OpenAI dialect ignores it.
	Anthropic *AnthropicTurn `json:"anthropic,omitempty"`
	// OpenAI adds what only the OpenAI-compatible streams have: refusal and
	// reasoning deltas, in-stream errors in each server's shape, arguments cut
	// at the limit, endings without [DONE] (see openai_dialects.go). The
	// Anthropic dialect ignores it.
	OpenAI *OpenAITurn `json:"openai,omitempty"`

	Fault *Fault `json:"fault,omitempty"`
	// Raw is sent verbatim with status 200 as text/event-stream (malformed events).
	Raw string `json:"raw,omitempty"`
	// Func computes the turn from the request, for tests that react to what was
	// sent (echo a tool_use id, branch on a tool result). Go scripts only.
	Func func(Request) Turn `json:"-"`
}

// ToolCall is one tool call in a reply.
type ToolCall struct {
	// ID defaults to the next deterministic id of the dialect.
	ID   string          `json:"id,omitempty"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
	// RawArgs, when set, is sent verbatim as the arguments instead of Args:
	// text that is not valid JSON, as small models write it.
	RawArgs string `json:"raw_args,omitempty"`
}

// Fault is an HTTP error answer, or a dropped connection.
type Fault struct {
	Status  int               `json:"status,omitempty"` // 0 means 500
	Headers map[string]string `json:"headers,omitempty"`
	// Type, Code and Message fill the dialect's error body; the defaults suit the
	// status (e.g. 529 overloaded_error, 404 not_found_error / model_not_found).
	Type    string `json:"type,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// Body, when set, is sent instead of the generated error body.
	Body string `json:"body,omitempty"`
	// Drop closes the connection without sending a response at all.
	Drop bool `json:"drop,omitempty"`
}

// LoadScript reads a JSON script (format in the package comment). Unknown fields
// are errors, so a typo in a fixture fails loudly instead of changing the test.
func LoadScript(path string) (Script, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Script{}, err
	}
	return ParseScript(data)
}

// ParseScript decodes a JSON script; see LoadScript.
func ParseScript(data []byte) (Script, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Script
	if err := dec.Decode(&s); err != nil {
		return Script{}, fmt.Errorf("llmtest script: %w", err)
	}
	for i, t := range s.Turns {
		if err := t.validate(); err != nil {
			return Script{}, fmt.Errorf("llmtest script: turn %d: %w", i+1, err)
		}
	}
	return s, nil
}

func (t Turn) validate() error {
	kinds := 0
	if t.Fault != nil {
		kinds++
	}
	if t.Raw != "" {
		kinds++
	}
	if t.Text != "" || len(t.ToolCalls) > 0 {
		kinds++
	}
	if kinds > 1 {
		return fmt.Errorf("a turn is a reply, a fault or raw, not several")
	}
	for _, c := range t.ToolCalls {
		if c.Name == "" {
			return fmt.Errorf("tool call without a name")
		}
		if a := bytes.TrimSpace(c.Args); c.RawArgs == "" && len(a) > 0 && (a[0] != '{' || !json.Valid(a)) {
			return fmt.Errorf("tool call %s: args are not a JSON object", c.Name)
		}
	}
	return nil
}

func (t Turn) usage() llm.Usage {
	if t.Usage != nil {
		return *t.Usage
	}
	return llm.Usage{InputTokens: 100, OutputTokens: 20}
}

func (t Turn) stopReason() string {
	switch {
	case t.StopReason != "":
		return t.StopReason
	case len(t.ToolCalls) > 0:
		return string(llm.StopToolUse)
	}
	return string(llm.StopEnd)
}

// args returns the call's arguments compacted, "{}" when absent.
func (c ToolCall) args() string {
	if c.RawArgs != "" {
		return c.RawArgs
	}
	if len(bytes.TrimSpace(c.Args)) == 0 {
		return "{}"
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, c.Args); err != nil {
		return string(c.Args)
	}
	return buf.String()
}
