package llm_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/remote/llm/llmtest"
)

const testKey = "sk-test-0123456789-secret"

// sleeper records the waits the retry loop asks for instead of sleeping.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

func (s *sleeper) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// newProvider builds the real adapter for a dialect against a scripted server,
// with a recording sleeper and no jitter randomness.
func newProvider(d llmtest.Dialect, baseURL string, sl *sleeper) llm.Provider {
	cfg := llm.Config{APIKey: testKey, BaseURL: baseURL, Retry: llm.RetryPolicy{
		MaxAttempts: 3, BaseDelay: time.Second, Sleep: sl.Sleep, Jitter: func() float64 { return 0.5 }}}
	if d == llmtest.Anthropic {
		return llm.NewAnthropic(cfg)
	}
	return llm.NewOpenAI(cfg)
}

var dialects = []llmtest.Dialect{llmtest.Anthropic, llmtest.OpenAI}

func testTools() []llm.Tool {
	return []llm.Tool{
		{Name: "read_file", Description: "Read a file.", Schema: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}`)},
		{Name: "grep", Description: "Search files.", Schema: json.RawMessage(`{"type":"object","properties":{"pattern":{"type":"string"}},"required":["pattern"]}`)},
	}
}

func testRequest(model string) llm.Request {
	return llm.Request{
		Model:  model,
		System: "You are wend, a coding agent.",
		Tools:  testTools(),
		Messages: []llm.Message{
			{Role: llm.RoleUser, Content: []llm.Block{llm.Text("Repository facts: /home/me/proj, branch main."), llm.Text("Fix the failing test.")}},
		},
		MaxTokens: 1024,
	}
}

// deltas collects what onDelta saw, safely.
type deltas struct {
	mu  sync.Mutex
	all []llm.Delta
}

func (d *deltas) add(x llm.Delta) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.all = append(d.all, x)
}

func (d *deltas) text() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := ""
	for _, x := range d.all {
		s += x.Text
	}
	return s
}

func (d *deltas) of(kind string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, x := range d.all {
		switch {
		case kind == "tool" && x.ToolStarted != "":
			out = append(out, x.ToolStarted)
		case kind == "retry" && x.Retry != "":
			out = append(out, x.Retry)
		case kind == "text" && x.Text != "":
			out = append(out, x.Text)
		}
	}
	return out
}

func mustKind(t *testing.T, err error, want llm.ErrorKind) *llm.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("want a %s error, got success", want)
	}
	var e *llm.Error
	if !asError(err, &e) || e.Kind != want {
		t.Fatalf("want kind %s, got %v (kind %q)", want, err, llm.KindOf(err))
	}
	return e
}

func asError(err error, e **llm.Error) bool {
	x, ok := err.(*llm.Error)
	if ok {
		*e = x
	}
	return ok
}
