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
	"sync/atomic"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
)

// doneWatcher notices the "data: [DONE]" line. The SDK's stream ends the same
// way on [DONE] and on a connection closed mid-answer, so wend watches the bytes
// itself to tell a complete answer from a cut one.
type doneWatcher struct{ seen atomic.Bool }

func (w *doneWatcher) middleware(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	res, err := next(req)
	if err == nil && res != nil && res.Body != nil && res.StatusCode < 300 {
		res.Body = &doneBody{ReadCloser: res.Body, w: w}
	}
	return res, err
}

type doneBody struct {
	io.ReadCloser
	w    *doneWatcher
	line []byte // the current line's start; long lines are never the marker
}

func (b *doneBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	for _, c := range p[:n] {
		if c != '\n' {
			if len(b.line) < 32 {
				b.line = append(b.line, c)
			}
			continue
		}
		l := bytes.TrimSpace(b.line)
		if bytes.Equal(l, []byte("data: [DONE]")) || bytes.Equal(l, []byte("data:[DONE]")) {
			b.w.seen.Store(true)
		}
		b.line = b.line[:0]
	}
	return n, err
}

// readOpenAI consumes one chat.completion.chunk stream. Tool calls arrive as
// deltas keyed by index: the first names the call and carries its id, later ones
// append pieces of the arguments JSON.
// openaiChunk is the part of a chat.completion.chunk wend reads.
type openaiChunk struct {
	Choices []struct {
		Index int64 `json:"index"`
		Delta struct {
			Content   string `json:"content"`
			ToolCalls []struct {
				Index    int64  `json:"index"`
				ID       string `json:"id"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens        int64 `json:"prompt_tokens"`
		CompletionTokens    int64 `json:"completion_tokens"`
		PromptTokensDetails struct {
			CachedTokens     int64 `json:"cached_tokens"`
			CacheWriteTokens int64 `json:"cache_write_tokens"`
		} `json:"prompt_tokens_details"`
	} `json:"usage"`
}

func readOpenAI(ctx context.Context, stream *ssestream.Stream[openaiChunk], done *doneWatcher, cls classifier, onDelta func(Delta)) (*Response, error) {
	resp := &Response{Message: Message{Role: RoleAssistant}}
	var text bytes.Buffer
	calls := map[int64]*partialBlock{}
	finish := ""
	chunks := 0
	for stream.Next() {
		ch := stream.Current()
		chunks++
		if u := ch.Usage; u != nil {
			cached := u.PromptTokensDetails.CachedTokens
			// OpenAI counts cached tokens inside prompt_tokens; wend's InputTokens,
			// like Anthropic's, excludes them.
			resp.Usage = Usage{InputTokens: u.PromptTokens - cached, OutputTokens: u.CompletionTokens,
				CacheReadTokens: cached, CacheWriteTokens: u.PromptTokensDetails.CacheWriteTokens}
		}
		for _, c := range ch.Choices {
			if c.Index != 0 {
				continue // wend asks for one choice
			}
			if c.Delta.Content != "" {
				text.WriteString(c.Delta.Content)
				onDelta(Delta{Text: c.Delta.Content})
			}
			for _, tc := range c.Delta.ToolCalls {
				b := calls[tc.Index]
				if b == nil {
					b = &partialBlock{typ: BlockToolUse}
					calls[tc.Index] = b
				}
				if b.id == "" && tc.ID != "" {
					b.id = tc.ID
				}
				// Some servers repeat the name in every delta; the first one counts.
				if b.name == "" && tc.Function.Name != "" {
					b.name = tc.Function.Name
					onDelta(Delta{ToolStarted: b.name})
				}
				b.text.WriteString(tc.Function.Arguments)
			}
			if c.FinishReason != "" {
				finish = c.FinishReason
			}
		}
	}
	if err := stream.Err(); err != nil {
		where := ""
		if chunks > 0 {
			where = openaiCutWhere(chunks, finish, calls)
		}
		return nil, openaiError(ctx, err, cls, where)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if !done.seen.Load() {
		return nil, cls.cut(openaiCutWhere(chunks, finish, calls))
	}
	if t := text.String(); t != "" {
		resp.Message.Content = append(resp.Message.Content, Text(t))
	}
	idx := make([]int64, 0, len(calls))
	for i := range calls {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(a, b int) bool { return idx[a] < idx[b] })
	for _, i := range idx {
		b := calls[i]
		input, err := toolInput(b.text.String())
		if err != nil {
			return nil, cls.malformed(fmt.Sprintf("the arguments of tool call %q are not valid JSON: %v", b.name, err))
		}
		id := b.id
		if id == "" {
			id = fmt.Sprintf("call_%d", i) // some local servers omit ids
		}
		resp.Message.Content = append(resp.Message.Content, Block{Type: BlockToolUse, ID: id, Name: b.name, Input: input})
	}
	resp.StopReason = openaiStop(finish, len(calls) > 0)
	return resp, nil
}

func openaiStop(finish string, calledTools bool) StopReason {
	switch {
	case calledTools && (finish == "tool_calls" || finish == "function_call" || finish == "stop" || finish == ""):
		// Older Ollama versions report "stop" for a turn that called tools.
		return StopToolUse
	case finish == "length":
		return StopMaxTokens
	case finish == "stop" || finish == "":
		return StopEnd
	}
	return StopReason(finish)
}

func openaiCutWhere(chunks int, finish string, calls map[int64]*partialBlock) string {
	switch {
	case chunks == 0:
		return "the stream ended before the first chunk"
	case finish == "":
		for _, b := range calls {
			if b.name != "" {
				return fmt.Sprintf("in the middle of a call to tool %q", b.name)
			}
		}
	}
	return "before data: [DONE]"
}

// openaiError classifies a failed request or an error event inside the stream.
func openaiError(ctx context.Context, err error, cls classifier, where string) error {
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		f := apiFailure{status: apiErr.StatusCode, typ: apiErr.Type, code: apiErr.Code, message: apiErr.Message}
		if apiErr.Response != nil {
			f.header = apiErr.Response.Header
		}
		return quota(cls.api(f, err), f)
	}
	var se *ssestream.StreamError
	if errors.As(err, &se) {
		var body struct {
			Error struct {
				Message string `json:"message"`
				Type    string `json:"type"`
				Code    any    `json:"code"`
			} `json:"error"`
		}
		if json.Unmarshal(se.Event.Data, &body) != nil {
			return cls.malformed("an error event that is not valid JSON")
		}
		code, _ := body.Error.Code.(string)
		f := apiFailure{status: http.StatusOK, typ: body.Error.Type, code: code, message: body.Error.Message}
		return quota(cls.api(f, err), f)
	}
	return cls.transport(ctx, err, where)
}

// quota keeps an exhausted account from being retried as a rate limit: OpenAI
// answers 429 for both, and only the code tells them apart.
func quota(e *Error, f apiFailure) *Error {
	if f.code == "insufficient_quota" {
		e.Kind = ErrBadRequest
		e.RetryAfter = 0
		e.Message = "the account has no quota left; check the plan and billing of the key in " + "OPENAI_API_KEY"
	}
	return e
}
