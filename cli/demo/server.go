package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Server is the demo model behind an OpenAI-compatible Chat Completions
// endpoint on 127.0.0.1. wend talks to it with its real OpenAI adapter, so the
// demo runs the same request encoding, stream parsing, retries, agent loop,
// tools, approvals and staging as a session with a real model: only the
// answers are computed here, from the conversation each request carries.
type Server struct {
	// URL is the base URL to configure (it ends in /v1, as OpenAI's does).
	URL string

	srv *http.Server
	ln  net.Listener
	// delay paces streamed text so the UI shows it arriving; zero in tests.
	delay time.Duration
}

// Start listens on a free port of 127.0.0.1 and serves until Close. delay is
// the pause between streamed pieces of text (0 for none).
func Start(delay time.Duration) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("the demo model could not listen on 127.0.0.1: %w", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String() + "/v1", ln: ln, delay: delay}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.complete)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// Close stops the server and the requests it is answering.
func (s *Server) Close() error { return s.srv.Close() }

// wireRequest is the part of a Chat Completions request the demo model reads.
type wireRequest struct {
	Model    string        `json:"model"`
	Messages []wireMessage `json:"messages"`
}

type wireMessage struct {
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
}

// text reads a message's content: a string, null, or an array of text parts.
func (m wireMessage) text() (string, error) {
	c := strings.TrimSpace(string(m.Content))
	if c == "" || c == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(m.Content, &s) == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(m.Content, &parts); err != nil {
		return "", fmt.Errorf("a %s message's content is neither a string nor a list of parts", m.Role)
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

// decode turns a request body into the conversation the model reasons on.
func decode(body []byte) (string, []Message, error) {
	var req wireRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return "", nil, fmt.Errorf("the request is not a JSON chat completion request: %v", err)
	}
	if len(req.Messages) == 0 {
		return "", nil, errors.New("the request has no messages")
	}
	out := make([]Message, 0, len(req.Messages))
	for _, wm := range req.Messages {
		text, err := wm.text()
		if err != nil {
			return "", nil, err
		}
		m := Message{Role: wm.Role, Text: text, CallID: wm.ToolCallID}
		for _, c := range wm.ToolCalls {
			m.Calls = append(m.Calls, Call{ID: c.ID, Name: c.Function.Name, Args: json.RawMessage(c.Function.Arguments)})
		}
		out = append(out, m)
	}
	return req.Model, out, nil
}

func (s *Server) complete(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return
	}
	model, msgs, err := decode(body)
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{
			"message": "wend demo model: " + err.Error(), "type": "invalid_request_error"}})
		return
	}
	turn := Next(msgs)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	st := &stream{w: w, model: model, ctx: r.Context()}
	if f, ok := w.(http.Flusher); ok {
		st.flush = f.Flush
	}
	st.send(map[string]any{"role": "assistant", "content": ""}, "")
	for _, piece := range pieces(turn.Text) {
		if !st.pause(s.delay) {
			return
		}
		st.send(map[string]any{"content": piece}, "")
	}
	for i, c := range turn.Calls {
		st.send(map[string]any{"tool_calls": []map[string]any{{
			"index": i, "id": c.ID, "type": "function",
			"function": map[string]string{"name": c.Name, "arguments": string(c.Args)},
		}}}, "")
	}
	finish := "stop"
	if len(turn.Calls) > 0 {
		finish = "tool_calls"
	}
	st.send(map[string]any{}, finish)
	prompt, cached := usage(msgs)
	st.write(map[string]any{"id": "chatcmpl-demo", "object": "chat.completion.chunk", "created": 0, "model": model,
		"choices": []any{}, "usage": map[string]any{
			"prompt_tokens": prompt, "completion_tokens": (len(turn.Text)+callBytes(turn.Calls))/4 + 1,
			"prompt_tokens_details": map[string]int{"cached_tokens": cached}}})
	io.WriteString(w, "data: [DONE]\n\n")
	st.flushNow()
}

// stream writes chat.completion.chunk events.
type stream struct {
	w     io.Writer
	flush func()
	model string
	ctx   context.Context
}

func (st *stream) send(delta map[string]any, finish string) {
	choice := map[string]any{"index": 0, "delta": delta, "finish_reason": nil}
	if finish != "" {
		choice["finish_reason"] = finish
	}
	st.write(map[string]any{"id": "chatcmpl-demo", "object": "chat.completion.chunk", "created": 0,
		"model": st.model, "choices": []any{choice}})
}

func (st *stream) write(v any) {
	data, _ := json.Marshal(v)
	fmt.Fprintf(st.w, "data: %s\n\n", data)
	st.flushNow()
}

func (st *stream) flushNow() {
	if st.flush != nil {
		st.flush()
	}
}

// pause waits d between pieces; false when the client went away.
func (st *stream) pause(d time.Duration) bool {
	if d <= 0 {
		return st.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-st.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// pieces cuts text into runs of a few words, as a model's tokens arrive.
func pieces(text string) []string {
	var out []string
	var cur strings.Builder
	words := 0
	for _, r := range text {
		cur.WriteRune(r)
		if r == ' ' || r == '\n' {
			words++
			if words == 3 {
				out = append(out, cur.String())
				cur.Reset()
				words = 0
			}
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// usage estimates tokens at four bytes each, deterministically: the prompt is
// the whole conversation, and what precedes the newest assistant message
// counts as cached, as a provider's prompt cache would serve it.
func usage(msgs []Message) (prompt, cached int) {
	last := -1
	for i, m := range msgs {
		if m.Role == "assistant" {
			last = i
		}
	}
	for i, m := range msgs {
		n := len(m.Text) + callBytes(m.Calls)
		prompt += n
		if i <= last {
			cached += n
		}
	}
	return prompt/4 + 1, cached / 4
}

func callBytes(calls []Call) int {
	n := 0
	for _, c := range calls {
		n += len(c.Name) + len(c.Args)
	}
	return n
}
