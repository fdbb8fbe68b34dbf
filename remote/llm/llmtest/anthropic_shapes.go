package llmtest

import "encoding/json"

// The Anthropic stream shapes beyond plain text and tool calls, as the
// Messages API documents them (streaming, extended thinking, errors) and as
// the SDKs' own stream tests record them:
//
//	event: content_block_start  {"type":"thinking","thinking":"","signature":""}
//	event: content_block_delta  {"type":"thinking_delta","thinking":"..."}
//	event: content_block_delta  {"type":"signature_delta","signature":"..."}
//	event: content_block_start  {"type":"redacted_thinking","data":"..."}
//	event: error                {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}
//	event: message_delta        {"delta":{"stop_reason":"refusal","stop_details":{"type":"refusal",...}}}
//
// A JSON script spells them as a turn's "anthropic" object, for example
//
//	{"text": "I'll check.", "anthropic": {"thinking": [{"thinking": "The test...", "signature": "c2ln"}]},
//	 "tool_calls": [{"name": "read_file", "args": {"path": "a.go"}}]}
//	{"stop_reason": "max_tokens", "tool_calls": [...], "anthropic": {"cut_input_at": 10}}
//	{"text": "Hel", "anthropic": {"error": {"type": "overloaded_error", "message": "Overloaded"}}}

// AnthropicTurn shapes one Anthropic reply; every field is optional.
type AnthropicTurn struct {
	// Thinking blocks are streamed first, in order, before any text.
	Thinking []ThinkingBlock `json:"thinking,omitempty"`
	// ServerBlocks are content blocks of the provider's own tools
	// (server_tool_use, web_search_tool_result), streamed after the text as the
	// API does: a block's "input" arrives as input_json_delta pieces.
	ServerBlocks []json.RawMessage `json:"server_blocks,omitempty"`
	// CutInputAt, when positive, ends the last tool call's input after that
	// many bytes, as a max_tokens stop does: the block is closed but its JSON
	// is incomplete. Pair it with stop_reason "max_tokens".
	CutInputAt int `json:"cut_input_at,omitempty"`
	// StopExplanation fills message_delta's stop_details, which the API sends
	// with stop_reason "refusal".
	StopExplanation string `json:"stop_explanation,omitempty"`
	// Error sends an error event inside the 200 stream and ends it there:
	// right after message_start when Early, else after the content.
	Error *StreamError `json:"error,omitempty"`
	// End changes how the stream ends: "no_message_stop" sends message_delta
	// but not message_stop; "no_message_delta" sends neither. The connection
	// closes cleanly either way.
	End string `json:"end,omitempty"`
}

// ThinkingBlock is a thinking block (Thinking and Signature) or, when Data is
// set, a redacted_thinking block.
type ThinkingBlock struct {
	Thinking  string `json:"thinking,omitempty"`
	Signature string `json:"signature,omitempty"`
	Data      string `json:"data,omitempty"`
}

// StreamError is an error event's body.
type StreamError struct {
	Type    string `json:"type"` // overloaded_error, rate_limit_error, api_error...
	Message string `json:"message"`
	Early   bool   `json:"early,omitempty"`
}

// anthropicThinking streams the thinking blocks from index on and returns the
// next free index. Thinking text and the signature arrive in pieces.
func anthropicThinking(blocks []ThinkingBlock, index int, add func(string, obj), ping func()) int {
	for _, b := range blocks {
		if b.Data != "" {
			add("content_block_start", obj{"type", "content_block_start", "index", index,
				"content_block", obj{"type", "redacted_thinking", "data", b.Data}})
			ping()
			add("content_block_stop", obj{"type", "content_block_stop", "index", index})
			index++
			continue
		}
		add("content_block_start", obj{"type", "content_block_start", "index", index,
			"content_block", obj{"type", "thinking", "thinking", "", "signature", ""}})
		ping()
		for _, p := range split(b.Thinking, textPiece) {
			add("content_block_delta", obj{"type", "content_block_delta", "index", index,
				"delta", obj{"type", "thinking_delta", "thinking", p}})
		}
		if b.Signature != "" {
			add("content_block_delta", obj{"type", "content_block_delta", "index", index,
				"delta", obj{"type", "signature_delta", "signature", b.Signature}})
		}
		add("content_block_stop", obj{"type", "content_block_stop", "index", index})
		index++
	}
	return index
}

// anthropicServerBlocks streams the provider's own blocks from index on and
// returns the next free index.
func anthropicServerBlocks(blocks []json.RawMessage, index int, add func(string, obj), ping func()) int {
	for _, raw := range blocks {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			panic("llmtest: a server block is not a JSON object: " + string(raw))
		}
		input, hasInput := fields["input"]
		if hasInput {
			fields["input"] = json.RawMessage(`{}`)
		}
		add("content_block_start", obj{"type", "content_block_start", "index", index, "content_block", fields})
		ping()
		if hasInput {
			for _, p := range split(string(input), argsPiece) {
				add("content_block_delta", obj{"type", "content_block_delta", "index", index,
					"delta", obj{"type", "input_json_delta", "partial_json", p}})
			}
		}
		add("content_block_stop", obj{"type", "content_block_stop", "index", index})
		index++
	}
	return index
}

// anthropicErrorEvent is the error event the API sends inside a 200 stream.
func anthropicErrorEvent(e StreamError, add func(string, obj)) {
	add("error", obj{"type", "error", "error", obj{"type", e.Type, "message", e.Message}})
}

// anthropicStop is message_delta's delta: the stop reason and, for a refusal,
// the classifier's explanation.
func anthropicStop(reason string, a AnthropicTurn) obj {
	d := obj{"stop_reason", reason, "stop_sequence", nil}
	if a.StopExplanation != "" {
		d = append(d, "stop_details", obj{"type", "refusal", "category", "cyber", "explanation", a.StopExplanation})
	}
	return d
}
