package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/ssestream"
)

// partialBlock accumulates one content block while its deltas arrive.
type partialBlock struct {
	typ  BlockType
	id   string
	name string
	text strings.Builder // text, or the tool input's JSON pieces
	done bool
}

// readAnthropic consumes one Messages stream. It calls onDelta for text as it
// arrives and once when a tool call starts (its input JSON arrives in pieces and
// is only usable whole). A stream that ends without message_stop is a cut, even
// when the connection closed cleanly.
func readAnthropic(ctx context.Context, stream *ssestream.Stream[anthropic.MessageStreamEventUnion], cls classifier, onDelta func(Delta)) (*Response, error) {
	resp := &Response{Message: Message{Role: RoleAssistant}}
	blocks := map[int64]*partialBlock{}
	started, stopped := false, false
	for stream.Next() {
		ev := stream.Current()
		switch ev.Type {
		case "message_start":
			started = true
			u := ev.Message.Usage
			resp.Usage = Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens,
				CacheReadTokens: u.CacheReadInputTokens, CacheWriteTokens: u.CacheCreationInputTokens}
		case "content_block_start":
			cb := ev.ContentBlock
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
			}
			// Other block types (thinking, server tools) are not part of wend's contract.
		case "content_block_delta":
			b := blocks[ev.Index]
			if b == nil {
				continue
			}
			switch ev.Delta.Type {
			case "text_delta":
				b.text.WriteString(ev.Delta.Text)
				if ev.Delta.Text != "" {
					onDelta(Delta{Text: ev.Delta.Text})
				}
			case "input_json_delta":
				b.text.WriteString(ev.Delta.PartialJSON)
			}
		case "content_block_stop":
			if b := blocks[ev.Index]; b != nil {
				b.done = true
			}
		case "message_delta":
			resp.StopReason = StopReason(ev.Delta.StopReason)
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
	if err := stream.Err(); err != nil {
		var apiErr *anthropic.Error
		if errors.As(err, &apiErr) {
			f := apiFailure{status: apiErr.StatusCode, typ: string(apiErr.Type()), message: apiErr.Message}
			if apiErr.Response != nil {
				f.header = apiErr.Response.Header
			}
			return nil, cls.api(f, err)
		}
		where := ""
		if started {
			where = cutWhere(started, blocks)
		}
		return nil, cls.transport(ctx, err, where)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if !stopped {
		return nil, cls.cut(cutWhere(started, blocks))
	}
	return finishBlocks(resp, blocks, cls)
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
	return "before message_stop"
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
			if err != nil {
				return nil, cls.malformed(fmt.Sprintf("the arguments of tool call %q are not valid JSON: %v", b.name, err))
			}
			resp.Message.Content = append(resp.Message.Content, Block{Type: BlockToolUse, ID: b.id, Name: b.name, Input: input})
		}
	}
	return resp, nil
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
