package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"gitlab.com/wend/wend/internal/gittest"
	"strings"
	"sync"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/session"
)

// turn answers one model call; it sees the request and may block (to let a test act
// while "the model is thinking").
type turn func(ctx context.Context, req llm.Request) (*llm.Response, error)

// scripted is a model that plays turns in order and keeps a deep copy of every
// request, so tests can assert exactly what the model was sent.
type scripted struct {
	mu       sync.Mutex
	turns    []turn
	requests []llm.Request
	calls    chan int // receives the call number as each call starts
}

func newScripted(turns ...turn) *scripted {
	return &scripted{turns: turns, calls: make(chan int, 100)}
}

func (s *scripted) Stream(ctx context.Context, req llm.Request, onDelta func(llm.Delta)) (*llm.Response, error) {
	var cp llm.Request
	b, _ := json.Marshal(req)
	json.Unmarshal(b, &cp)
	s.mu.Lock()
	n := len(s.requests)
	s.requests = append(s.requests, cp)
	s.mu.Unlock()
	s.calls <- n
	if n >= len(s.turns) {
		return nil, fmt.Errorf("script has no turn %d", n+1)
	}
	resp, err := s.turns[n](ctx, req)
	if err == nil {
		for _, b := range resp.Message.Content {
			if b.Type == llm.BlockText {
				onDelta(llm.Delta{Text: b.Text})
			}
		}
	}
	return resp, err
}

func (s *scripted) request(i int) llm.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[i]
}

// reply builds a turn that answers with text and tool calls given as name, JSON pairs.
func reply(text string, calls ...string) turn {
	return func(ctx context.Context, req llm.Request) (*llm.Response, error) {
		return respond(len(req.Messages), text, calls...), nil
	}
}

func respond(n int, text string, calls ...string) *llm.Response {
	m := llm.Message{Role: llm.RoleAssistant}
	if text != "" {
		m.Content = append(m.Content, llm.Text(text))
	}
	for i := 0; i+1 < len(calls); i += 2 {
		m.Content = append(m.Content, llm.Block{
			Type: llm.BlockToolUse, ID: fmt.Sprintf("toolu_%d_%d", n, i/2),
			Name: calls[i], Input: json.RawMessage(calls[i+1]),
		})
	}
	stop := llm.StopEnd
	if len(calls) > 0 {
		stop = llm.StopToolUse
	}
	return &llm.Response{Message: m, StopReason: stop, Usage: llm.Usage{InputTokens: 100, OutputTokens: 10}}
}

// blockUntil builds a turn that waits for release before answering like reply.
func blockUntil(release <-chan struct{}, text string, calls ...string) turn {
	return func(ctx context.Context, req llm.Request) (*llm.Response, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return respond(len(req.Messages), text, calls...), nil
	}
}

// gitRepo makes a repository with files committed.
var gitRepo = gittest.NewRepo

// harness runs an engine on a repository with the real tools.
type harness struct {
	t      *testing.T
	dir    string
	model  *scripted
	engine *Engine
	log    *session.Log
}

func newHarness(t *testing.T, files map[string]string, model *scripted, mod func(*Config)) *harness {
	t.Helper()
	dir := gitRepo(t, files)
	log := session.NewLog(nil)
	cfg := Config{
		SessionID: "test", Model: model, ModelName: "m", Tools: realTools(t, dir), Log: log,
		Policy: session.PolicyFullAuto, Interactive: true, Repo: "r", Branch: "main", Facts: "# Repository\n- facts",
	}
	if mod != nil {
		mod(&cfg)
	}
	return &harness{t: t, dir: dir, model: model, engine: New(cfg), log: log}
}

func (h *harness) start(task string) {
	h.t.Helper()
	if err := h.engine.Start(context.Background(), session.Task{Text: task}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) wait() session.SessionFinished {
	h.t.Helper()
	select {
	case <-h.engine.Done():
	case <-time.After(20 * time.Second):
		h.t.Fatalf("the session did not end; events:\n%s", h.dump())
	}
	evs := h.log.Snapshot(0)
	return evs[len(evs)-1].Payload.(session.SessionFinished)
}

// waitFor blocks until an event of the given type is in the log and returns it.
func (h *harness) waitFor(typ string) session.Event {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, e := range h.log.Snapshot(0) {
			if e.Payload.Type() == typ {
				return e
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	h.t.Fatalf("no %s event; events:\n%s", typ, h.dump())
	return session.Event{}
}

func (h *harness) types() []string {
	var out []string
	for _, e := range h.log.Snapshot(0) {
		if e.Payload.Type() != "text_delta" && e.Payload.Type() != "usage_reported" {
			out = append(out, e.Payload.Type())
		}
	}
	return out
}

// count counts events of a type, deltas and usage included.
func (h *harness) count(typ string) int {
	n := 0
	for _, e := range h.log.Snapshot(0) {
		if e.Payload.Type() == typ {
			n++
		}
	}
	return n
}

func (h *harness) dump() string {
	var b strings.Builder
	for _, e := range h.log.Snapshot(0) {
		line, _ := json.Marshal(e)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// lastUserText joins the text blocks of the request's last message.
func lastUserText(req llm.Request) string {
	m := req.Messages[len(req.Messages)-1]
	var parts []string
	for _, b := range m.Content {
		if b.Type == llm.BlockText {
			parts = append(parts, b.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// toolResults returns the tool_result blocks of the request's last message.
func toolResults(req llm.Request) []llm.Block {
	var out []llm.Block
	for _, b := range req.Messages[len(req.Messages)-1].Content {
		if b.Type == llm.BlockToolResult {
			out = append(out, b)
		}
	}
	return out
}
