package llmtest

import (
	"fmt"
	"net/http"
)

// anthropicEvents renders a reply as the Messages streaming API documents it:
// message_start, then per block content_block_start / _delta... / _stop (with a
// ping after the first start), then message_delta with stop_reason and usage,
// then message_stop. t.Anthropic adds thinking blocks before the text, error
// events and other endings (anthropic_shapes.go).
func anthropicEvents(t Turn, model string, seq int, nextID func() string) []string {
	u := t.usage()
	var a AnthropicTurn
	if t.Anthropic != nil {
		a = *t.Anthropic
	}
	var ev []string
	add := func(typ string, data obj) {
		ev = append(ev, fmt.Sprintf("event: %s\ndata: %s\n\n", typ, mustJSON(data)))
	}
	add("message_start", obj{"type", "message_start", "message", obj{
		"id", fmt.Sprintf("msg_%02d", seq), "type", "message", "role", "assistant", "model", model,
		"content", []any{}, "stop_reason", nil, "stop_sequence", nil,
		"usage", obj{"input_tokens", u.InputTokens, "cache_creation_input_tokens", u.CacheWriteTokens,
			"cache_read_input_tokens", u.CacheReadTokens, "output_tokens", 1}}})
	index := 0
	pinged := false
	ping := func() {
		if !pinged {
			add("ping", obj{"type", "ping"})
			pinged = true
		}
	}
	if a.Error != nil && a.Error.Early {
		anthropicErrorEvent(*a.Error, add)
		return ev
	}
	index = anthropicThinking(a.Thinking, index, add, ping)
	if t.Text != "" {
		add("content_block_start", obj{"type", "content_block_start", "index", index, "content_block", obj{"type", "text", "text", ""}})
		ping()
		for _, p := range split(t.Text, textPiece) {
			add("content_block_delta", obj{"type", "content_block_delta", "index", index, "delta", obj{"type", "text_delta", "text", p}})
		}
		add("content_block_stop", obj{"type", "content_block_stop", "index", index})
		index++
	}
	index = anthropicServerBlocks(a.ServerBlocks, index, add, ping)
	for n, c := range t.ToolCalls {
		id := c.ID
		if id == "" {
			id = nextID()
		}
		add("content_block_start", obj{"type", "content_block_start", "index", index,
			"content_block", obj{"type", "tool_use", "id", id, "name", c.Name, "input", obj{}}})
		ping()
		// The API's first input delta is empty; clients must cope with it.
		add("content_block_delta", obj{"type", "content_block_delta", "index", index, "delta", obj{"type", "input_json_delta", "partial_json", ""}})
		args := c.args()
		if a.CutInputAt > 0 && n == len(t.ToolCalls)-1 && a.CutInputAt < len(args) {
			args = args[:a.CutInputAt]
		}
		for _, p := range split(args, argsPiece) {
			add("content_block_delta", obj{"type", "content_block_delta", "index", index, "delta", obj{"type", "input_json_delta", "partial_json", p}})
		}
		add("content_block_stop", obj{"type", "content_block_stop", "index", index})
		index++
	}
	if a.Error != nil {
		anthropicErrorEvent(*a.Error, add)
		return ev
	}
	if a.End == "no_message_delta" {
		return ev
	}
	add("message_delta", obj{"type", "message_delta",
		"delta", anthropicStop(t.stopReason(), a),
		"usage", obj{"output_tokens", u.OutputTokens}})
	if a.End != "no_message_stop" {
		add("message_stop", obj{"type", "message_stop"})
	}
	return ev
}

// anthropicError is the documented error body: {"type":"error","error":{...}}.
func anthropicError(f Fault) string {
	typ, msg := f.Type, f.Message
	if typ == "" {
		typ = map[int]string{400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
			404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
			503: "overloaded_error", 529: "overloaded_error"}[f.Status]
		if typ == "" {
			typ = "api_error"
		}
	}
	if msg == "" {
		msg = map[string]string{"rate_limit_error": "Number of request tokens has exceeded your per-minute rate limit",
			"overloaded_error": "Overloaded", "api_error": "Internal server error",
			"authentication_error": "invalid x-api-key", "not_found_error": "Not found"}[typ]
		if msg == "" {
			msg = http.StatusText(f.Status)
		}
	}
	return mustJSON(obj{"type", "error", "error", obj{"type", typ, "message", msg}})
}
