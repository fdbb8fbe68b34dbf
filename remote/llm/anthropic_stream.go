package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
)

// partialBlock accumulates one content block while its deltas arrive.
type partialBlock struct {
	typ       BlockType
	id        string
	name      string
	text      strings.Builder // text, thinking, or the tool input's JSON pieces
	signature strings.Builder // a thinking block's signature
	data      string          // a redacted_thinking block's payload
	raw       json.RawMessage // an opaque block as it started
	done      bool
}

// anthropicEvent is the part of a Messages stream event wend reads; one
// struct serves every event type (absent fields stay zero).
type anthropicEvent struct {
	Type    string `json:"type"`
	Index   int64  `json:"index"`
	Message struct {
		Usage anthropicUsage `json:"usage"`
	} `json:"message"`
	// ContentBlock is kept raw: a block wend does not know goes back whole.
	ContentBlock json.RawMessage `json:"content_block"`
	Delta        struct {
		Type        string `json:"type"`
		Text        string `json:"text"`
		PartialJSON string `json:"partial_json"`
		Thinking    string `json:"thinking"`
		Signature   string `json:"signature"`
		StopReason  string `json:"stop_reason"`
		StopDetails *struct {
			Explanation string `json:"explanation"`
		} `json:"stop_details"`
	} `json:"delta"`
	Usage anthropicUsage `json:"usage"`
}

type anthropicUsage struct {
	InputTokens              int64 `json:"input_tokens"`
	OutputTokens             int64 `json:"output_tokens"`
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
}

// anthropicBlockStart is a content_block_start's block.
type anthropicBlockStart struct {
	Type      string `json:"type"`
	Text      string `json:"text"`
	ID        string `json:"id"`
	Name      string `json:"name"`
	Thinking  string `json:"thinking"`
	Signature string `json:"signature"`
	Data      string `json:"data"`
}

// readAnthropic consumes one Messages stream. It calls onDelta for text as it
// arrives and once when a tool call starts (its input JSON arrives in pieces and
// is only usable whole); thinking is kept in its own blocks and never shown as
// answer text. A stream is complete once message_delta has carried the stop
// reason (message_stop only confirms it); one that ends before is a cut, even
// when the connection closed cleanly. An error event is the provider's error,
// classified like an HTTP error answer (an overloaded_error is retried while
// nothing has been shown). header is the response's, for Retry-After.
func readAnthropic(ctx context.Context, body io.Reader, header http.Header, cls classifier, onDelta func(Delta)) (*Response, error) {
	resp := &Response{Message: Message{Role: RoleAssistant}}
	blocks := map[int64]*partialBlock{}
	started, stopped := false, false
	wireStop := "" // the stop_reason as sent, mapped once the stream is over
	sse := newSSEReader(body)
	var err error
	for err == nil {
		msg, ok := sse.Next()
		if !ok {
			err = sse.Err()
			break
		}
		data := bytes.TrimSpace(msg.data)
		if msg.name == "ping" || len(data) == 0 {
			continue
		}
		var ev anthropicEvent
		if err = json.Unmarshal(data, &ev); err != nil {
			if msg.name != "error" {
				break
			}
			err = nil // an error event's text, said as it was sent
		}
		if msg.name == "error" || ev.Type == "error" {
			f, ok := wireFailure(http.StatusOK, data, true)
			if !ok {
				f = apiFailure{status: http.StatusOK, message: clipText(string(data), 300)}
			}
			f.header = header
			return nil, cls.api(f, errors.New("error event in the stream: "+cls.redact(f.message)))
		}
		switch ev.Type {
		case "message_start":
			started = true
			u := ev.Message.Usage
			resp.Usage = Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens,
				CacheReadTokens: u.CacheReadInputTokens, CacheWriteTokens: u.CacheCreationInputTokens}
		case "content_block_start":
			var cb anthropicBlockStart
			if err = json.Unmarshal(ev.ContentBlock, &cb); err != nil {
				break
			}
			switch cb.Type {
			case "text":
				b := &partialBlock{typ: BlockText}
				b.text.WriteString(cb.Text)
				blocks[ev.Index] = b
				if cb.Text != "" {
					onDelta(Delta{Text: cb.Text})
				}
			case "tool_use":
				blocks[ev.Index] = &partialBlock{typ: BlockToolUse, id: cb.ID, name: cb.Name}
				onDelta(Delta{ToolStarted: cb.Name})
			case "thinking":
				b := &partialBlock{typ: BlockThinking}
				b.text.WriteString(cb.Thinking)
				b.signature.WriteString(cb.Signature)
				blocks[ev.Index] = b
			case "redacted_thinking":
				blocks[ev.Index] = &partialBlock{typ: BlockRedactedThinking, data: cb.Data}
			default:
				// The provider's own tools (web search...) are not wend's to run,
				// but they are part of the turn: kept whole to be sent back.
				blocks[ev.Index] = &partialBlock{typ: BlockOpaque, raw: ev.ContentBlock}
			}
		case "content_block_delta":
			b := blocks[ev.Index]
			if b == nil {
				continue
			}
			// Each delta type feeds only its own block type, so thinking can
			// never end up in the answer text or a tool's input.
			d := ev.Delta
			switch {
			case d.Type == "text_delta" && b.typ == BlockText:
				b.text.WriteString(d.Text)
				if d.Text != "" {
					onDelta(Delta{Text: d.Text})
				}
			case d.Type == "input_json_delta" && (b.typ == BlockToolUse || b.typ == BlockOpaque):
				b.text.WriteString(d.PartialJSON)
			case d.Type == "thinking_delta" && b.typ == BlockThinking:
				b.text.WriteString(d.Thinking)
			case d.Type == "signature_delta" && b.typ == BlockThinking:
				b.signature.WriteString(d.Signature)
			}
		case "content_block_stop":
			if b := blocks[ev.Index]; b != nil {
				b.done = true
			}
		case "message_delta":
			if ev.Delta.StopReason != "" {
				wireStop = ev.Delta.StopReason
			}
			if x := ev.Delta.StopDetails; x != nil && x.Explanation != "" {
				resp.StopDetail = x.Explanation
			}
			u := ev.Usage
			resp.Usage.OutputTokens = u.OutputTokens
			// Newer API versions repeat the (final) input counts here.
			if u.InputTokens > 0 {
				resp.Usage.InputTokens = u.InputTokens
			}
			if u.CacheReadInputTokens > 0 {
				resp.Usage.CacheReadTokens = u.CacheReadInputTokens
			}
			if u.CacheCreationInputTokens > 0 {
				resp.Usage.CacheWriteTokens = u.CacheCreationInputTokens
			}
		case "message_stop":
			stopped = true
		}
	}
	if err != nil && wireStop != "" && ctx.Err() == nil {
		// The stop reason had arrived: the answer is whole, only the
		// confirmation was lost with the connection.
		err = nil
	}
	if err != nil {
		where := ""
		if started {
			where = cutWhere(started, blocks)
		}
		return nil, cls.transport(ctx, err, where)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if !stopped && wireStop == "" {
		return nil, cls.cut(cutWhere(started, blocks))
	}
	if wireStop == "model_context_window_exceeded" {
		// The window filled while the model wrote: the same remedy as a
		// prompt that is too long, not a smaller step.
		return nil, cls.api(apiFailure{status: 200, code: "context_length_exceeded",
			message: "the context window filled up while the model was answering (stop_reason " + wireStop + ")"}, nil)
	}
	resp.StopReason = anthropicStop(wireStop, blocks)
	return finishBlocks(resp, blocks, cls)
}

// anthropicStop maps the wire's stop_reason to wend's. stop_sequence ends the
// turn like end_turn (wend sets no stop sequences; a gateway may); a missing
// reason after message_stop is inferred from the content; any other reason is
// passed on as sent, so the caller sees it rather than a guess.
func anthropicStop(wire string, blocks map[int64]*partialBlock) StopReason {
	switch wire {
	case "end_turn", "stop_sequence":
		return StopEnd
	case "tool_use":
		return StopToolUse
	case "max_tokens":
		return StopMaxTokens
	case "refusal":
		return StopRefusal
	case "pause_turn":
		return StopPauseTurn
	case "":
		for _, b := range blocks {
			if b.typ == BlockToolUse {
				return StopToolUse
			}
		}
		return StopEnd
	}
	return StopReason(wire)
}

// cutWhere describes where a stream stopped, for the user: the tool call being
// written is the most useful thing to name.
func cutWhere(started bool, blocks map[int64]*partialBlock) string {
	if !started {
		return "the stream ended before the message started"
	}
	for _, b := range blocks {
		if !b.done && b.typ == BlockToolUse {
			return fmt.Sprintf("in the middle of a call to tool %q", b.name)
		}
	}
	return "the stream ended early, before the stop reason"
}

// finishBlocks orders the blocks by index and parses tool inputs, which are only
// complete JSON once all their pieces have arrived.
func finishBlocks(resp *Response, blocks map[int64]*partialBlock, cls classifier) (*Response, error) {
	idx := make([]int64, 0, len(blocks))
	for i := range blocks {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(a, b int) bool { return idx[a] < idx[b] })
	resp.Message.Content = make([]Block, 0, len(idx))
	for _, i := range idx {
		b := blocks[i]
		switch b.typ {
		case BlockText:
			resp.Message.Content = append(resp.Message.Content, Text(b.text.String()))
		case BlockToolUse:
			input, err := toolInput(b.text.String())
			switch {
			case err != nil && (resp.StopReason == StopMaxTokens || resp.StopReason == StopRefusal):
				// The model stopped while writing the call (its budget ran out, or
				// it was stopped mid-call): the input is a prefix, not a server
				// fault. The call is kept, so the history stays whole, but marked
				// so it is never run.
				resp.Message.Content = append(resp.Message.Content, Block{Type: BlockToolUse, ID: b.id, Name: b.name,
					Input: json.RawMessage(`{}`), CutAtLimit: true})
			case err != nil:
				// Bad JSON the model wrote is the call's error, for the model to fix;
				// the raw text is kept (as a JSON string) to show it what it sent.
				raw, _ := json.Marshal(b.text.String())
				resp.Message.Content = append(resp.Message.Content, Block{Type: BlockToolUse, ID: b.id, Name: b.name,
					Input: raw, InputError: argumentsProblem(b.text.String(), err)})
			default:
				resp.Message.Content = append(resp.Message.Content, Block{Type: BlockToolUse, ID: b.id, Name: b.name, Input: input})
			}
		case BlockThinking:
			if !b.done && b.signature.Len() == 0 {
				continue // cut before its signature: the API would refuse it back
			}
			resp.Message.Content = append(resp.Message.Content, Block{Type: BlockThinking,
				Thinking: b.text.String(), Signature: b.signature.String()})
		case BlockRedactedThinking:
			resp.Message.Content = append(resp.Message.Content, Block{Type: BlockRedactedThinking, Data: b.data})
		case BlockOpaque:
			raw, err := opaqueBlock(b)
			if err != nil && (resp.StopReason == StopMaxTokens || resp.StopReason == StopRefusal) {
				continue // cut while the model wrote it: it cannot go back whole
			}
			if err != nil {
				return nil, cls.malformed(fmt.Sprintf("content block %s: %v", b.raw, err))
			}
			resp.Message.Content = append(resp.Message.Content, Block{Type: BlockOpaque, Raw: raw})
		}
	}
	if (resp.StopReason == StopEnd || resp.StopReason == StopToolUse) && !answered(resp.Message) {
		return nil, &Error{Kind: ErrEmpty, Provider: cls.provider, Message: fmt.Sprintf(
			"the answer from %s had no text and no tool call (stop_reason %q); the model produced nothing: try again, or narrow the task",
			cls.where(), resp.StopReason)}
	}
	return resp, nil
}

// opaqueBlock is the block as it started, with the input its deltas carried
// (a server_tool_use starts with "input": {} like a tool_use).
func opaqueBlock(b *partialBlock) (json.RawMessage, error) {
	if b.text.Len() == 0 {
		return b.raw, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b.raw, &fields); err != nil {
		return nil, err
	}
	input, err := toolInput(b.text.String())
	if err != nil {
		return nil, err
	}
	fields["input"] = input
	return json.Marshal(fields)
}

// answered reports whether a message says anything or calls a tool; thinking
// alone is not an answer.
func answered(m Message) bool {
	for _, b := range m.Content {
		if b.Type == BlockToolUse || (b.Type == BlockText && strings.TrimSpace(b.Text) != "") {
			return true
		}
	}
	return false
}

// toolInput validates and compacts streamed tool arguments; an empty stream
// means a call without arguments.
func toolInput(s string) (json.RawMessage, error) {
	if strings.TrimSpace(s) == "" {
		return json.RawMessage(`{}`), nil
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, err
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, errors.New("not a JSON object")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		return nil, err
	}
	return json.RawMessage(buf.Bytes()), nil
}
