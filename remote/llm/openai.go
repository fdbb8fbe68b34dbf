package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// DefaultOpenAIBaseURL is used when Config.BaseURL is empty. It is always set
// explicitly so an OPENAI_BASE_URL in the environment cannot redirect wend behind
// its config's back.
const DefaultOpenAIBaseURL = "https://api.openai.com/v1/"

// openaiProvider speaks Chat Completions, the dialect shared by OpenAI, Ollama,
// vLLM and LiteLLM, through the official SDK (transport, message types, chunk
// decoding); wend builds the body's top level and owns retries.
type openaiProvider struct {
	cfg    Config
	client openai.Client
	cls    classifier
	// maxCompletion selects max_completion_tokens (api.openai.com, whose newer
	// models reject max_tokens) over max_tokens (what local servers understand).
	maxCompletion bool
}

// NewOpenAI returns a provider for an OpenAI-compatible Chat Completions API at
// cfg.BaseURL (which usually ends in /v1, e.g. http://localhost:11434/v1 for Ollama).
func NewOpenAI(cfg Config) Provider {
	base := cfg.BaseURL
	if base == "" {
		base = DefaultOpenAIBaseURL
	}
	client := openai.NewClient(
		option.WithAPIKey(cfg.APIKey),
		option.WithBaseURL(base),
		option.WithMaxRetries(0),
		option.WithHTTPClient(cfg.httpClient()),
	)
	u, _ := url.Parse(base)
	return &openaiProvider{
		cfg:           cfg,
		client:        client,
		maxCompletion: u != nil && u.Hostname() == "api.openai.com",
		cls: classifier{provider: "openai", keyEnv: "OPENAI_API_KEY", apiKey: cfg.APIKey,
			baseURL: base, now: cfg.Retry.withDefaults().Now},
	}
}

func (p *openaiProvider) Name() string { return "openai" }

func (p *openaiProvider) Stream(ctx context.Context, req Request, onDelta func(Delta)) (*Response, error) {
	cls := p.cls
	cls.model = req.Model
	body, err := openaiBody(req, p.cfg.maxTokens(req), p.maxCompletion)
	if err != nil {
		return nil, &Error{Kind: ErrBadRequest, Provider: "openai", Err: err,
			Message: "wend could not encode the request: " + err.Error()}
	}
	return withRetries(ctx, p.cfg.Retry, onDelta, func(ctx context.Context, onDelta func(Delta)) (*Response, error) {
		// The SDK's transport; wend reads the body itself: the servers' error
		// shapes and stream endings are where the SDK's decoder is silent (see
		// sseReader), and the SDK's own chunk type decodes by reflection at
		// ~95 µs a chunk, a sixth of wend's CPU while streaming a long answer.
		var captured errorCapture
		var raw *http.Response
		err := p.client.Post(ctx, "chat/completions", nil, &raw,
			option.WithRequestBody("application/json", body), option.WithMiddleware(captured.middleware))
		if err != nil {
			return nil, openaiError(ctx, err, &captured, cls)
		}
		defer raw.Body.Close()
		return readOpenAI(ctx, raw.Body, cls, onDelta)
	})
}

type openaiStreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// openaiRequest fixes the top-level field order: settings first, then tools,
// then messages (the system prompt is the first message), so a growing
// conversation only changes the tail of the body.
type openaiRequest struct {
	Model               string                                   `json:"model"`
	MaxTokens           int64                                    `json:"max_tokens,omitempty"`
	MaxCompletionTokens int64                                    `json:"max_completion_tokens,omitempty"`
	Stream              bool                                     `json:"stream"`
	StreamOptions       openaiStreamOptions                      `json:"stream_options"`
	Tools               []openai.ChatCompletionToolUnionParam    `json:"tools,omitempty"`
	Messages            []openai.ChatCompletionMessageParamUnion `json:"messages"`
}

// openaiBody maps wend's blocks onto chat messages: an assistant message carries
// its text and tool_calls; a user message's tool results become "tool" messages,
// which must directly follow the assistant's calls, and its text follows them.
func openaiBody(req Request, maxTokens int64, maxCompletion bool) ([]byte, error) {
	out := openaiRequest{Model: req.Model, Stream: true, StreamOptions: openaiStreamOptions{IncludeUsage: true}}
	if maxCompletion {
		out.MaxCompletionTokens = maxTokens
	} else {
		out.MaxTokens = maxTokens
	}
	for _, t := range req.Tools {
		fn := shared.FunctionDefinitionParam{Name: t.Name}
		if t.Description != "" {
			fn.Description = openai.String(t.Description)
		}
		if len(bytes.TrimSpace(t.Schema)) > 0 {
			// A map: the encoder sorts its keys, which keeps the bytes deterministic.
			var params shared.FunctionParameters
			if err := json.Unmarshal(t.Schema, &params); err != nil {
				return nil, errors.New("tool " + t.Name + ": schema is not a JSON object: " + err.Error())
			}
			fn.Parameters = params
		}
		out.Tools = append(out.Tools, openai.ChatCompletionToolUnionParam{OfFunction: &openai.ChatCompletionFunctionToolParam{Function: fn}})
	}
	if req.System != "" {
		out.Messages = append(out.Messages, openai.SystemMessage(req.System))
	}
	for _, m := range req.Messages {
		switch m.Role {
		case RoleUser:
			out.Messages = append(out.Messages, openaiUser(m.Content)...)
		case RoleAssistant:
			out.Messages = append(out.Messages, openaiAssistant(m.Content))
		default:
			return nil, errors.New("unknown message role " + string(m.Role))
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func openaiUser(blocks []Block) []openai.ChatCompletionMessageParamUnion {
	var out []openai.ChatCompletionMessageParamUnion
	var texts []string
	for _, b := range blocks {
		switch b.Type {
		case BlockToolResult:
			content := b.Content
			if b.IsError {
				// Chat Completions has no error flag on tool results; say it in words.
				content = "Error: " + content
			}
			out = append(out, openai.ToolMessage(content, b.ToolUseID))
		case BlockText:
			if b.Text != "" {
				texts = append(texts, b.Text)
			}
		}
	}
	if len(texts) > 0 {
		out = append(out, openai.UserMessage(strings.Join(texts, "\n\n")))
	}
	return out
}

func openaiAssistant(blocks []Block) openai.ChatCompletionMessageParamUnion {
	var m openai.ChatCompletionAssistantMessageParam
	var texts []string
	for _, b := range blocks {
		switch b.Type {
		case BlockText:
			if b.Text != "" {
				texts = append(texts, b.Text)
			}
		case BlockToolUse:
			args := string(b.Input)
			if strings.TrimSpace(args) == "" {
				args = "{}"
			}
			m.ToolCalls = append(m.ToolCalls, openai.ChatCompletionMessageToolCallUnionParam{
				OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{ID: b.ID,
					Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: b.Name, Arguments: args}}})
		}
	}
	if len(texts) > 0 {
		m.Content.OfString = openai.String(strings.Join(texts, "\n\n"))
	}
	return openai.ChatCompletionMessageParamUnion{OfAssistant: &m}
}
