package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

// DefaultAnthropicBaseURL is used when Config.BaseURL is empty; Messages
// requests go to its v1/messages.
const DefaultAnthropicBaseURL = "https://api.anthropic.com"

// anthropicVersion is the Messages API version wend speaks: the one every
// Anthropic-compatible gateway knows, whose event stream readAnthropic reads.
const anthropicVersion = "2023-06-01"

// anthropicProvider speaks the Anthropic Messages API over net/http: wend
// builds the body (anthropicBody fixes the field order), reads the event
// stream (anthropic_stream.go) and owns retries.
type anthropicProvider struct {
	cfg    Config
	client *http.Client
	url    string // the v1/messages endpoint
	urlErr error  // base_url does not parse
	cls    classifier
}

// NewAnthropic returns a provider for the Anthropic Messages API (or a gateway
// speaking it at cfg.BaseURL). It does not read the environment: the caller
// passes the key, so what wend uses is what its config says.
func NewAnthropic(cfg Config) Provider {
	base := cfg.BaseURL
	if base == "" {
		base = DefaultAnthropicBaseURL
	}
	ep, err := endpoint(base, "v1/messages")
	return &anthropicProvider{
		cfg:    cfg,
		client: cfg.httpClient(),
		url:    ep,
		urlErr: err,
		cls: classifier{provider: "anthropic", keyEnv: "ANTHROPIC_API_KEY", apiKey: cfg.APIKey,
			baseURL: base, now: cfg.Retry.withDefaults().Now},
	}
}

func (p *anthropicProvider) Name() string { return "anthropic" }

func (p *anthropicProvider) Stream(ctx context.Context, req Request, onDelta func(Delta)) (*Response, error) {
	cls := p.cls
	cls.model = req.Model
	if p.urlErr != nil {
		return nil, cls.badURL(p.urlErr)
	}
	maxTokens := p.cfg.maxTokens(req)
	if maxTokens == 0 {
		maxTokens = int64(DefaultMaxTokensFor("anthropic", req.Model))
	}
	body, err := anthropicBody(req, maxTokens, thinkingBudget(p.cfg.ThinkingBudget, maxTokens))
	if err != nil {
		return nil, &Error{Kind: ErrBadRequest, Provider: "anthropic", Err: err,
			Message: "wend could not encode the request: " + err.Error()}
	}
	header := http.Header{}
	header.Set("anthropic-version", anthropicVersion)
	if p.cfg.APIKey != "" {
		header.Set("x-api-key", p.cfg.APIKey)
	}
	return withRetries(ctx, p.cfg.Retry, onDelta, func(ctx context.Context, onDelta func(Delta)) (*Response, error) {
		res, failed, err := post(ctx, p.client, p.url, header, body)
		if err != nil {
			return nil, cls.transport(ctx, err, "")
		}
		if failed != nil {
			return nil, cls.api(bodyFailure(failed), failed.cause(p.url))
		}
		defer res.Body.Close()
		return readAnthropic(ctx, res.Body, res.Header, cls, onDelta)
	})
}

// anthropicRequest fixes the top-level field order: model and budget, then
// system, tools and messages, so that a growing conversation only changes the
// tail of the body. Every struct below keeps the field order the official SDK
// wrote, so bodies are the same as before wend dropped it (pinned by
// testdata/wire/anthropic.json).
type anthropicRequest struct {
	Model     string             `json:"model"`
	MaxTokens int64              `json:"max_tokens"`
	Thinking  *anthropicThinking `json:"thinking,omitempty"`
	System    []*anthropicText   `json:"system,omitempty"`
	Tools     []anthropicTool    `json:"tools,omitempty"`
	Messages  []anthropicMessage `json:"messages"`
	Stream    bool               `json:"stream"`
}

// anthropicCache is a prompt-cache breakpoint.
type anthropicCache struct {
	Type string `json:"type"`
}

func ephemeral() *anthropicCache { return &anthropicCache{Type: "ephemeral"} }

type anthropicTool struct {
	// InputSchema goes verbatim, in the caller's key order.
	InputSchema  json.RawMessage `json:"input_schema"`
	Name         string          `json:"name"`
	Description  string          `json:"description,omitempty"`
	CacheControl *anthropicCache `json:"cache_control,omitempty"`
}

type anthropicMessage struct {
	// Content holds *anthropicText, *anthropicToolUse, *anthropicToolResult,
	// anthropicThinkingBlock, anthropicRedacted or an opaque json.RawMessage.
	Content []any  `json:"content"`
	Role    string `json:"role"`
}

type anthropicText struct {
	Text         string          `json:"text"`
	CacheControl *anthropicCache `json:"cache_control,omitempty"`
	Type         string          `json:"type"`
}

type anthropicToolUse struct {
	ID           string          `json:"id"`
	Input        json.RawMessage `json:"input"`
	Name         string          `json:"name"`
	CacheControl *anthropicCache `json:"cache_control,omitempty"`
	Type         string          `json:"type"`
}

type anthropicToolResult struct {
	ToolUseID    string           `json:"tool_use_id"`
	IsError      bool             `json:"is_error,omitempty"`
	CacheControl *anthropicCache  `json:"cache_control,omitempty"`
	Content      []*anthropicText `json:"content,omitempty"`
	Type         string           `json:"type"`
}

type anthropicThinkingBlock struct {
	Signature string `json:"signature"`
	Thinking  string `json:"thinking"`
	Type      string `json:"type"`
}

type anthropicRedacted struct {
	Data string `json:"data"`
	Type string `json:"type"`
}

// anthropicThinking turns on extended thinking with a token budget.
type anthropicThinking struct {
	Type         string `json:"type"`
	BudgetTokens int64  `json:"budget_tokens"`
}

// minThinking is the API's smallest thinking budget; it is also the room kept
// for the answer after the thinking, inside max_tokens.
const minThinking = 1024

// thinkingBudget fits the configured budget under maxTokens, which caps the
// whole output: thinking plus answer. Lowering the budget, rather than raising
// max_tokens, keeps max_tokens the spending bound a repository may tighten.
// Zero means thinking off.
func thinkingBudget(configured int, maxTokens int64) int64 {
	b := min(int64(configured), maxTokens-minThinking)
	if configured <= 0 || b < minThinking {
		return 0
	}
	return b
}

// anthropicBody serialises req deterministically, with three prompt-cache
// breakpoints: the system prompt, the last tool (caching all tools), and the
// last block of the last message (caching the whole history for the next call).
// A positive thinking budget enables extended thinking.
func anthropicBody(req Request, maxTokens, thinking int64) ([]byte, error) {
	out := anthropicRequest{Model: req.Model, MaxTokens: maxTokens, Stream: true,
		Messages: make([]anthropicMessage, 0, len(req.Messages))}
	if thinking > 0 {
		out.Thinking = &anthropicThinking{Type: "enabled", BudgetTokens: thinking}
	}
	if req.System != "" {
		out.System = []*anthropicText{{Text: req.System, CacheControl: ephemeral(), Type: "text"}}
	}
	for i, t := range req.Tools {
		schema := t.Schema
		if len(bytes.TrimSpace(schema)) == 0 {
			schema = json.RawMessage(`{"type":"object"}`)
		}
		tool := anthropicTool{InputSchema: schema, Name: t.Name, Description: t.Description}
		if i == len(req.Tools)-1 {
			tool.CacheControl = ephemeral()
		}
		out.Tools = append(out.Tools, tool)
	}
	for i, m := range req.Messages {
		if m.Role != RoleUser && m.Role != RoleAssistant {
			return nil, errors.New("unknown message role " + string(m.Role))
		}
		blocks, err := anthropicBlocks(m.Content, i == len(req.Messages)-1)
		if err != nil {
			return nil, err
		}
		out.Messages = append(out.Messages, anthropicMessage{Content: blocks, Role: string(m.Role)})
	}
	return encodeBody(out)
}

func anthropicBlocks(in []Block, cacheLast bool) ([]any, error) {
	out := make([]any, 0, len(in))
	for _, b := range in {
		switch b.Type {
		case BlockText:
			if b.Text == "" {
				continue // the API rejects empty text blocks
			}
			out = append(out, &anthropicText{Text: b.Text, Type: "text"})
		case BlockToolUse:
			input := b.Input
			if t := bytes.TrimSpace(input); len(t) == 0 || t[0] != '{' {
				// The API takes only an object back; unusable arguments (see
				// Block.InputError) go back as an empty call.
				input = json.RawMessage(`{}`)
			}
			out = append(out, &anthropicToolUse{ID: b.ID, Input: input, Name: b.Name, Type: "tool_use"})
		case BlockToolResult:
			r := &anthropicToolResult{ToolUseID: b.ToolUseID, IsError: b.IsError, Type: "tool_result"}
			if b.Content != "" {
				r.Content = []*anthropicText{{Text: b.Content, Type: "text"}}
			}
			out = append(out, r)
		case BlockThinking:
			// Sent back exactly as received: the signature covers the text.
			out = append(out, anthropicThinkingBlock{Signature: b.Signature, Thinking: b.Thinking, Type: "thinking"})
		case BlockRedactedThinking:
			out = append(out, anthropicRedacted{Data: b.Data, Type: "redacted_thinking"})
		case BlockOpaque:
			out = append(out, b.Raw)
		default:
			return nil, errors.New("unknown block type " + string(b.Type))
		}
	}
	if cacheLast && len(out) > 0 {
		switch last := out[len(out)-1].(type) {
		case *anthropicText:
			last.CacheControl = ephemeral()
		case *anthropicToolUse:
			last.CacheControl = ephemeral()
		case *anthropicToolResult:
			last.CacheControl = ephemeral()
		}
	}
	return out, nil
}
