package llmtest

import (
	"encoding/json"
	"fmt"
	"strings"

	"gitlab.com/wend/wend/remote/llm"
)

// decodeRequest turns a wire request body back into wend's terms, so scripted
// turns and assertions can look at messages instead of JSON. It is the inverse
// of the adapters' mapping as far as the wire format allows: OpenAI tool results
// and the user text after them become one user message again.
func decodeRequest(d Dialect, body []byte) (llm.Request, error) {
	if d == Anthropic {
		return decodeAnthropic(body)
	}
	return decodeOpenAI(body)
}

func decodeAnthropic(body []byte) (llm.Request, error) {
	var w struct {
		Model     string          `json:"model"`
		MaxTokens int             `json:"max_tokens"`
		System    json.RawMessage `json:"system"`
		Tools     []llm.Tool      `json:"tools"`
		Messages  []struct {
			Role    llm.Role        `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return llm.Request{}, fmt.Errorf("anthropic body: %w", err)
	}
	req := llm.Request{Model: w.Model, MaxTokens: w.MaxTokens, Tools: w.Tools, System: textOf(w.System)}
	for _, m := range w.Messages {
		msg := llm.Message{Role: m.Role}
		var s string
		if json.Unmarshal(m.Content, &s) == nil {
			msg.Content = []llm.Block{llm.Text(s)}
		} else {
			var blocks []struct {
				llm.Block
				RawContent json.RawMessage `json:"content"`
			}
			if err := json.Unmarshal(m.Content, &blocks); err != nil {
				return req, fmt.Errorf("anthropic message content: %w", err)
			}
			for _, b := range blocks {
				blk := b.Block
				blk.Content = textOf(b.RawContent)
				msg.Content = append(msg.Content, blk)
			}
		}
		req.Messages = append(req.Messages, msg)
	}
	return req, nil
}

// textOf reads Anthropic content that is either a string or a list of text blocks.
func textOf(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal(raw, &parts)
	texts := make([]string, 0, len(parts))
	for _, p := range parts {
		texts = append(texts, p.Text)
	}
	return strings.Join(texts, "")
}

func decodeOpenAI(body []byte) (llm.Request, error) {
	var w struct {
		Model               string `json:"model"`
		MaxTokens           int    `json:"max_tokens"`
		MaxCompletionTokens int    `json:"max_completion_tokens"`
		Tools               []struct {
			Function struct {
				Name        string          `json:"name"`
				Description string          `json:"description"`
				Parameters  json.RawMessage `json:"parameters"`
			} `json:"function"`
		} `json:"tools"`
		Messages []struct {
			Role       string          `json:"role"`
			Content    json.RawMessage `json:"content"`
			ToolCallID string          `json:"tool_call_id"`
			ToolCalls  []struct {
				ID       string `json:"id"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return llm.Request{}, fmt.Errorf("openai body: %w", err)
	}
	req := llm.Request{Model: w.Model, MaxTokens: max(w.MaxTokens, w.MaxCompletionTokens)}
	for _, t := range w.Tools {
		req.Tools = append(req.Tools, llm.Tool{Name: t.Function.Name, Description: t.Function.Description, Schema: t.Function.Parameters})
	}
	// user appends to the last message when it is a user message, so tool
	// results and the text after them form one message, as wend sent them.
	user := func(b llm.Block) {
		if n := len(req.Messages); n > 0 && req.Messages[n-1].Role == llm.RoleUser {
			req.Messages[n-1].Content = append(req.Messages[n-1].Content, b)
			return
		}
		req.Messages = append(req.Messages, llm.Message{Role: llm.RoleUser, Content: []llm.Block{b}})
	}
	for i, m := range w.Messages {
		text := textOf(m.Content)
		switch m.Role {
		case "system", "developer":
			if i == 0 {
				req.System = text
			}
		case "user":
			user(llm.Text(text))
		case "tool":
			user(llm.Block{Type: llm.BlockToolResult, ToolUseID: m.ToolCallID, Content: text})
		case "assistant":
			msg := llm.Message{Role: llm.RoleAssistant}
			if text != "" {
				msg.Content = append(msg.Content, llm.Text(text))
			}
			for _, c := range m.ToolCalls {
				msg.Content = append(msg.Content, llm.Block{Type: llm.BlockToolUse, ID: c.ID,
					Name: c.Function.Name, Input: json.RawMessage(c.Function.Arguments)})
			}
			req.Messages = append(req.Messages, msg)
		default:
			return req, fmt.Errorf("openai body: unknown role %q", m.Role)
		}
	}
	return req, nil
}
