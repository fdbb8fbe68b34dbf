package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// DefaultOpenAIBaseURL is used when Config.BaseURL is empty. It is always set
// explicitly so an OPENAI_BASE_URL in the environment cannot redirect wend behind
// its config's back.
const DefaultOpenAIBaseURL = "https://api.openai.com/v1/"

// openaiProvider speaks Chat Completions, the dialect shared by OpenAI, Ollama,
// vLLM and LiteLLM, over net/http: wend builds the body, reads the stream
// (openai_stream.go) and owns retries.
type openaiProvider struct {
	cfg    Config
	client *http.Client
	url    string // the chat/completions endpoint
	urlErr error  // base_url does not parse
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
	u, _ := url.Parse(base)
	ep, err := endpoint(base, "chat/completions")
	return &openaiProvider{
		cfg:           cfg,
		client:        cfg.httpClient(),
		url:           ep,
		urlErr:        err,
		maxCompletion: u != nil && u.Hostname() == "api.openai.com",
		cls: classifier{provider: "openai", keyEnv: "OPENAI_API_KEY", apiKey: cfg.APIKey,
			baseURL: base, now: cfg.Retry.withDefaults().Now},
	}
}

func (p *openaiProvider) Name() string { return "openai" }

func (p *openaiProvider) Stream(ctx context.Context, req Request, onDelta func(Delta)) (*Response, error) {
	cls := p.cls
	cls.model = req.Model
	if p.urlErr != nil {
		return nil, cls.badURL(p.urlErr)
	}
	body, err := openaiBody(req, p.cfg.maxTokens(req), p.maxCompletion)
	if err != nil {
		return nil, &Error{Kind: ErrBadRequest, Provider: "openai", Err: err,
			Message: "wend could not encode the request: " + err.Error()}
	}
	header := http.Header{}
	if p.cfg.APIKey != "" {
		// Local servers (Ollama, llama.cpp) take no key; an empty bearer
		// token would only confuse a proxy in front of them.
		header.Set("Authorization", "Bearer "+p.cfg.APIKey)
	}
	return withRetries(ctx, p.cfg.Retry, onDelta, func(ctx context.Context, onDelta func(Delta)) (*Response, error) {
		res, failed, err := post(ctx, p.client, p.url, header, body)
		if err != nil {
			return nil, cls.transport(ctx, err, "")
		}
		if failed != nil {
			f := bodyFailure(failed)
			return nil, quota(cls.api(f, failed.cause(p.url)), f)
		}
		defer res.Body.Close()
		var body io.Reader = res.Body
		if isJSONBody(res.Header) {
			body = wholeJSON{res.Body}
		}
		return readOpenAI(ctx, body, cls, onDelta)
	})
}

type openaiStreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// openaiRequest fixes the top-level field order: settings first, then tools,
// then messages (the system prompt is the first message), so a growing
// conversation only changes the tail of the body.
type openaiRequest struct {
	Model               string              `json:"model"`
	MaxTokens           int64               `json:"max_tokens,omitempty"`
	MaxCompletionTokens int64               `json:"max_completion_tokens,omitempty"`
	Stream              bool                `json:"stream"`
	StreamOptions       openaiStreamOptions `json:"stream_options"`
	Tools               []openaiTool        `json:"tools,omitempty"`
	Messages            []openaiMessage     `json:"messages"`
}

// openaiTool is a function tool. Parameters is a map so the encoder sorts its
// keys, which keeps the bytes deterministic whatever order the schema had.
type openaiTool struct {
	Function struct {
		Name        string         `json:"name"`
		Description string         `json:"description,omitempty"`
		Parameters  map[string]any `json:"parameters,omitempty"`
	} `json:"function"`
	Type string `json:"type"`
}

// openaiMessage is a system, user, assistant or tool message. Content is a
// pointer because a tool message sends its content even when empty, and an
// assistant that only calls tools sends none.
type openaiMessage struct {
	Content    *string          `json:"content,omitempty"`
	ToolCalls  []openaiToolCall `json:"tool_calls,omitempty"`
	ToolCallID string           `json:"tool_call_id,omitempty"`
	Role       string           `json:"role"`
}

type openaiToolCall struct {
	ID       string `json:"id"`
	Function struct {
		Arguments string `json:"arguments"`
		Name      string `json:"name"`
	} `json:"function"`
	Type string `json:"type"`
}

func openaiText(role, content string) openaiMessage {
	return openaiMessage{Content: &content, Role: role}
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
		tool := openaiTool{Type: "function"}
		tool.Function.Name, tool.Function.Description = t.Name, t.Description
		if len(bytes.TrimSpace(t.Schema)) > 0 {
			if err := json.Unmarshal(t.Schema, &tool.Function.Parameters); err != nil {
				return nil, errors.New("tool " + t.Name + ": schema is not a JSON object: " + err.Error())
			}
		}
		out.Tools = append(out.Tools, tool)
	}
	if req.System != "" {
		out.Messages = append(out.Messages, openaiText("system", req.System))
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
	return encodeBody(out)
}

func openaiUser(blocks []Block) []openaiMessage {
	var out []openaiMessage
	var texts []string
	for _, b := range blocks {
		switch b.Type {
		case BlockToolResult:
			content := b.Content
			if b.IsError {
				// Chat Completions has no error flag on tool results; say it in words.
				content = "Error: " + content
			}
			m := openaiText("tool", content)
			m.ToolCallID = b.ToolUseID
			out = append(out, m)
		case BlockText:
			if b.Text != "" {
				texts = append(texts, b.Text)
			}
		}
	}
	if len(texts) > 0 {
		out = append(out, openaiText("user", strings.Join(texts, "\n\n")))
	}
	return out
}

func openaiAssistant(blocks []Block) openaiMessage {
	m := openaiMessage{Role: "assistant"}
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
			call := openaiToolCall{ID: b.ID, Type: "function"}
			call.Function.Arguments, call.Function.Name = args, b.Name
			m.ToolCalls = append(m.ToolCalls, call)
		}
	}
	if len(texts) > 0 {
		text := strings.Join(texts, "\n\n")
		m.Content = &text
	}
	return m
}
