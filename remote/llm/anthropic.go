package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/param"
)

// anthropicProvider speaks the Anthropic Messages API through the official SDK.
// The SDK provides transport, block types and the stream decoder; wend builds the
// request body itself (to fix the field order, see anthropicBody) and owns retries.
type anthropicProvider struct {
	cfg    Config
	client anthropic.Client
	cls    classifier
}

// NewAnthropic returns a provider for the Anthropic Messages API (or a gateway
// speaking it at cfg.BaseURL). It does not read the environment: the caller
// passes the key, so what wend uses is what its config says.
func NewAnthropic(cfg Config) Provider {
	opts := []option.RequestOption{
		option.WithoutEnvironmentDefaults(),
		option.WithAPIKey(cfg.APIKey),
		option.WithMaxRetries(0),
		option.WithHTTPClient(cfg.httpClient()),
	}
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(cfg.BaseURL))
	}
	base := cfg.BaseURL
	if base == "" {
		base = "https://api.anthropic.com"
	}
	return &anthropicProvider{
		cfg:    cfg,
		client: anthropic.NewClient(opts...),
		cls: classifier{provider: "anthropic", keyEnv: "ANTHROPIC_API_KEY", apiKey: cfg.APIKey,
			baseURL: base, now: cfg.Retry.withDefaults().Now},
	}
}

func (p *anthropicProvider) Name() string { return "anthropic" }

func (p *anthropicProvider) Stream(ctx context.Context, req Request, onDelta func(Delta)) (*Response, error) {
	cls := p.cls
	cls.model = req.Model
	maxTokens := p.cfg.maxTokens(req)
	if maxTokens == 0 {
		maxTokens = int64(DefaultMaxTokensFor("anthropic", req.Model))
	}
	body, err := anthropicBody(req, maxTokens, thinkingBudget(p.cfg.ThinkingBudget, maxTokens))
	if err != nil {
		return nil, &Error{Kind: ErrBadRequest, Provider: "anthropic", Err: err,
			Message: "wend could not encode the request: " + err.Error()}
	}
	return withRetries(ctx, p.cfg.Retry, onDelta, func(ctx context.Context, onDelta func(Delta)) (*Response, error) {
		// The empty params are replaced by body; the SDK still sets "stream": true,
		// which body already ends with, so the bytes stay as built.
		stream := p.client.Messages.NewStreaming(ctx, anthropic.MessageNewParams{},
			option.WithRequestBody("application/json", body))
		defer stream.Close()
		return readAnthropic(ctx, stream, cls, onDelta)
	})
}

// anthropicRequest fixes the top-level field order: model and budget, then
// system, tools and messages, so that a growing conversation only changes the
// tail of the body. (The SDK's own MessageNewParams puts messages first.)
type anthropicRequest struct {
	Model     string                     `json:"model"`
	MaxTokens int64                      `json:"max_tokens"`
	Thinking  *anthropicThinking         `json:"thinking,omitempty"`
	System    []anthropic.TextBlockParam `json:"system,omitempty"`
	Tools     []anthropic.ToolUnionParam `json:"tools,omitempty"`
	Messages  []anthropic.MessageParam   `json:"messages"`
	Stream    bool                       `json:"stream"`
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
		Messages: make([]anthropic.MessageParam, 0, len(req.Messages))}
	if thinking > 0 {
		out.Thinking = &anthropicThinking{Type: "enabled", BudgetTokens: thinking}
	}
	if req.System != "" {
		out.System = []anthropic.TextBlockParam{{Text: req.System, CacheControl: anthropic.NewCacheControlEphemeralParam()}}
	}
	for i, t := range req.Tools {
		schema := t.Schema
		if len(bytes.TrimSpace(schema)) == 0 {
			schema = json.RawMessage(`{"type":"object"}`)
		}
		tp := &anthropic.ToolParam{
			Name: t.Name,
			// Override sends the caller's schema bytes verbatim, in the caller's key order.
			InputSchema: param.Override[anthropic.ToolInputSchemaParam](schema),
		}
		if t.Description != "" {
			tp.Description = anthropic.String(t.Description)
		}
		if i == len(req.Tools)-1 {
			tp.CacheControl = anthropic.NewCacheControlEphemeralParam()
		}
		out.Tools = append(out.Tools, anthropic.ToolUnionParam{OfTool: tp})
	}
	for i, m := range req.Messages {
		blocks, err := anthropicBlocks(m.Content, i == len(req.Messages)-1)
		if err != nil {
			return nil, err
		}
		switch m.Role {
		case RoleUser:
			out.Messages = append(out.Messages, anthropic.NewUserMessage(blocks...))
		case RoleAssistant:
			out.Messages = append(out.Messages, anthropic.NewAssistantMessage(blocks...))
		default:
			return nil, errors.New("unknown message role " + string(m.Role))
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // code is full of < > &; keep it readable and short
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func anthropicBlocks(in []Block, cacheLast bool) ([]anthropic.ContentBlockParamUnion, error) {
	out := make([]anthropic.ContentBlockParamUnion, 0, len(in))
	for _, b := range in {
		switch b.Type {
		case BlockText:
			if b.Text == "" {
				continue // the API rejects empty text blocks
			}
			out = append(out, anthropic.ContentBlockParamUnion{OfText: &anthropic.TextBlockParam{Text: b.Text}})
		case BlockToolUse:
			input := b.Input
			if t := bytes.TrimSpace(input); len(t) == 0 || t[0] != '{' {
				// The API takes only an object back; unusable arguments (see
				// Block.InputError) go back as an empty call.
				input = json.RawMessage(`{}`)
			}
			out = append(out, anthropic.ContentBlockParamUnion{OfToolUse: &anthropic.ToolUseBlockParam{
				ID: b.ID, Name: b.Name, Input: input}})
		case BlockToolResult:
			r := &anthropic.ToolResultBlockParam{ToolUseID: b.ToolUseID}
			if b.Content != "" {
				r.Content = []anthropic.ToolResultBlockParamContentUnion{{OfText: &anthropic.TextBlockParam{Text: b.Content}}}
			}
			if b.IsError {
				r.IsError = anthropic.Bool(true)
			}
			out = append(out, anthropic.ContentBlockParamUnion{OfToolResult: r})
		case BlockThinking:
			// Sent back exactly as received: the signature covers the text.
			out = append(out, anthropic.ContentBlockParamUnion{OfThinking: &anthropic.ThinkingBlockParam{
				Thinking: b.Thinking, Signature: b.Signature}})
		case BlockRedactedThinking:
			out = append(out, anthropic.ContentBlockParamUnion{OfRedactedThinking: &anthropic.RedactedThinkingBlockParam{Data: b.Data}})
		case BlockOpaque:
			out = append(out, param.Override[anthropic.ContentBlockParamUnion](b.Raw))
		default:
			return nil, errors.New("unknown block type " + string(b.Type))
		}
	}
	if cacheLast && len(out) > 0 {
		cc := anthropic.NewCacheControlEphemeralParam()
		switch last := out[len(out)-1]; {
		case last.OfText != nil:
			last.OfText.CacheControl = cc
		case last.OfToolUse != nil:
			last.OfToolUse.CacheControl = cc
		case last.OfToolResult != nil:
			last.OfToolResult.CacheControl = cc
		}
	}
	return out, nil
}
