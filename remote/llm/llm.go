// Package llm puts model providers behind one small interface: a request with a
// system prompt, tools and a message history goes in; streamed text and a final
// assistant message with tool calls and usage come out. Adapters: Anthropic
// Messages, OpenAI-compatible Chat Completions (OpenAI, Ollama, vLLM, LiteLLM), and
// replay of a recorded conversation. It imports nothing of wend's own.
package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Role of a message author.
type Role string

const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// BlockType tells which fields of a Block are set.
type BlockType string

const (
	BlockText       BlockType = "text"
	BlockToolUse    BlockType = "tool_use"
	BlockToolResult BlockType = "tool_result"
	// BlockThinking and BlockRedactedThinking are a model's extended thinking
	// (Anthropic). They are kept in the history and sent back byte for byte,
	// in their place before the tool calls: the API refuses a tool-use
	// continuation without them. Their text is never part of the answer.
	BlockThinking         BlockType = "thinking"
	BlockRedactedThinking BlockType = "redacted_thinking"
	// BlockOpaque is a provider block wend does not interpret (Anthropic's
	// server tools: server_tool_use, web_search_tool_result...). Raw holds it
	// as received and it goes back verbatim, so a paused turn continues.
	BlockOpaque BlockType = "opaque"
)

// Block is one piece of a message.
type Block struct {
	Type BlockType `json:"type"`
	Text string    `json:"text,omitempty"`
	// tool_use
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
	// tool_result
	ToolUseID string `json:"tool_use_id,omitempty"`
	Content   string `json:"content,omitempty"`
	IsError   bool   `json:"is_error,omitempty"`
	// thinking: the reasoning text and the provider's signature over it;
	// redacted_thinking: the provider's encrypted Data. Opaque to wend.
	Thinking  string `json:"thinking,omitempty"`
	Signature string `json:"signature,omitempty"`
	Data      string `json:"data,omitempty"`
	// Raw is an opaque block's JSON.
	Raw json.RawMessage `json:"raw,omitempty"`
	// CutAtLimit marks a tool_use whose input the model was still writing when
	// its output budget (max_tokens) ran out: Input is then {} and the call
	// must not run; the model should be told to take a smaller step.
	CutAtLimit bool `json:"cut_at_limit,omitempty"`
	// InputError says why a tool_use's arguments are unusable (not valid JSON,
	// not one object); Input then holds the model's raw text as a JSON string.
	// The call must not run: its error goes back to the model as the result.
	InputError string `json:"input_error,omitempty"`
}

// Text makes a text block.
func Text(s string) Block { return Block{Type: BlockText, Text: s} }

// Message is one turn of the conversation.
type Message struct {
	Role    Role    `json:"role"`
	Content []Block `json:"content"`
}

// Tool describes a tool the model may call; Schema is a JSON Schema object.
type Tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Schema      json.RawMessage `json:"input_schema"`
}

// Request is one model call. Providers must serialise System, then Tools, then
// Messages in order and deterministically, so consecutive requests of a session
// share their byte prefix and provider prompt caches hit.
type Request struct {
	Model     string    `json:"model"`
	System    string    `json:"system"`
	Tools     []Tool    `json:"tools,omitempty"`
	Messages  []Message `json:"messages"`
	MaxTokens int       `json:"max_tokens,omitempty"`
}

// Usage counts tokens of one call.
type Usage struct {
	InputTokens      int64 `json:"input_tokens"`
	OutputTokens     int64 `json:"output_tokens"`
	CacheReadTokens  int64 `json:"cache_read_tokens,omitempty"`
	CacheWriteTokens int64 `json:"cache_write_tokens,omitempty"`
}

// StopReason says why the model stopped.
type StopReason string

const (
	StopEnd       StopReason = "end_turn"
	StopToolUse   StopReason = "tool_use"
	StopMaxTokens StopReason = "max_tokens"
	// StopRefusal: the model declined; its own words are in the message text
	// (OpenAI delta.refusal) or StopDetail. The task was not done.
	StopRefusal StopReason = "refusal"
	// StopPauseTurn: the provider paused a long turn (Anthropic pause_turn);
	// sending the assistant content back unchanged lets the model continue.
	StopPauseTurn StopReason = "pause_turn"
)

// Response is the complete assistant message of one call.
type Response struct {
	Message    Message    `json:"message"`
	StopReason StopReason `json:"stop_reason"`
	// StopDetail is the provider's own explanation of the stop, when it gives
	// one (Anthropic's stop_details.explanation on a refusal).
	StopDetail string `json:"stop_detail,omitempty"`
	Usage      Usage  `json:"usage"`
}

// Delta is a streamed piece of a response, for live display only: the Response is
// the truth. Exactly one field is set.
type Delta struct {
	Text string
	// ToolStarted names a tool call the model has begun to write.
	ToolStarted string
	// Retry tells the user why the call is being retried and when.
	Retry string
}

// Provider is one model backend. Stream blocks until the response is complete,
// calling onDelta (which must be cheap and must not block) as pieces arrive.
// Transient failures (429, 5xx, 529, a dropped connection before any output) are
// retried inside with jittered backoff honouring Retry-After.
type Provider interface {
	Name() string
	Stream(ctx context.Context, req Request, onDelta func(Delta)) (*Response, error)
}

// ErrorKind classifies provider failures so callers can tell the user what to do.
type ErrorKind string

const (
	ErrAuth          ErrorKind = "auth"           // 401/403: wrong or missing key
	ErrUnknownModel  ErrorKind = "unknown_model"  // 404 model not found
	ErrContextLength ErrorKind = "context_length" // prompt too long
	ErrRateLimit     ErrorKind = "rate_limit"     // 429 after retries
	ErrOverloaded    ErrorKind = "overloaded"     // 529/503 after retries
	ErrServer        ErrorKind = "server"         // 5xx after retries
	ErrBadRequest    ErrorKind = "bad_request"    // other 4xx
	ErrStreamCut     ErrorKind = "stream_cut"     // the stream ended mid-answer
	ErrUnreachable   ErrorKind = "unreachable"    // DNS, refused, TLS
	ErrDiverged      ErrorKind = "diverged"       // replay: the conversation differs from the recording
	ErrMalformed     ErrorKind = "malformed"      // the provider sent something unparseable
	ErrEmpty         ErrorKind = "empty"          // a complete stream with no text and no tool call
	// ErrLimit: the server broke a bound of remote/httpx (silent past
	// stream_idle_timeout, larger than max_response_mb) or redirected to another
	// host. Not retried: the user has already waited the limit, and a redirect
	// or an oversized answer would repeat.
	ErrLimit ErrorKind = "limit"
)

// Error is a classified provider failure. Message is written for the user and says
// what to do; it never contains a key.
type Error struct {
	Kind       ErrorKind
	Provider   string
	Status     int
	Message    string
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	s := e.Provider + ": " + e.Message
	if e.Status != 0 {
		s = fmt.Sprintf("%s (HTTP %d)", s, e.Status)
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of a provider error, or "" for other errors.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}
