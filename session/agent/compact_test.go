package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/session"
)

// longFiles is a repository whose one file fills about a thousand tokens a read.
var longFiles = map[string]string{"long.txt": strings.Repeat("a line of the long file, read again and again\n", 90)}

// summarisingModel reads long.txt reads times and finishes; a request that
// asks for a summary gets "SUMMARY-n" (or fail's error).
func summarisingModel(reads int, fail error) *scripted {
	var n, asked atomic.Int64
	t := func(ctx context.Context, req llm.Request) (*llm.Response, error) {
		if strings.Contains(lastUserText(req), "# Summarise") {
			if fail != nil {
				return nil, fail
			}
			return &llm.Response{Message: llm.Message{Role: llm.RoleAssistant, Content: []llm.Block{llm.Text(fmt.Sprint("SUMMARY-", asked.Add(1)))}}, StopReason: llm.StopEnd}, nil
		}
		if n.Add(1) > int64(reads) {
			return respond(len(req.Messages), "", "finish", `{"summary":"read"}`), nil
		}
		return respond(int(n.Load()), "", "read_file", `{"path":"long.txt"}`), nil
	}
	turns := make([]turn, 4*reads)
	for i := range turns {
		turns[i] = t
	}
	return newScripted(turns...)
}

// Summaries repeat as the session goes on: each summarising request and each
// request after it begins with the same system prompt and tools, opens with
// a user message (the newest summary, which includes the one before), and
// answers every tool call it carries.
func TestSummariesRepeatAndStayValid(t *testing.T) {
	model := summarisingModel(10, nil)
	h := newHarness(t, longFiles, model, func(c *Config) { c.ContextWindow = 8000 })
	h.start("read the long file ten times")
	if fin := h.wait(); fin.State != session.StateFinished {
		t.Fatalf("ended %s: %s", fin.State, h.dump())
	}
	first, _ := json.Marshal(struct {
		S string
		T []llm.Tool
	}{model.request(0).System, model.request(0).Tools})
	var asks, notices int
	var lastSummary string
	for i := range model.requests {
		r := model.request(i)
		head, _ := json.Marshal(struct {
			S string
			T []llm.Tool
		}{r.System, r.Tools})
		if string(head) != string(first) {
			t.Fatalf("request %d changed the system prompt or tools", i+1)
		}
		if r.Messages[0].Role != llm.RoleUser {
			t.Fatalf("request %d opens with %s", i+1, r.Messages[0].Role)
		}
		if strings.Contains(lastUserText(r), "# Summarise") {
			asks++
			if asks > 1 && !strings.Contains(textOf(r.Messages[0]), lastSummary) {
				t.Errorf("summarising request %d lost the summary before it: %s", asks, textOf(r.Messages[0]))
			}
			lastSummary = fmt.Sprint("SUMMARY-", asks)
		} else if asks > 0 && !strings.Contains(textOf(r.Messages[0]), lastSummary) {
			t.Errorf("request %d does not open with %s", i+1, lastSummary)
		}
		calls := map[string]bool{}
		for _, m := range r.Messages {
			for _, b := range m.Content {
				switch b.Type {
				case llm.BlockToolUse:
					calls[b.ID] = true
				case llm.BlockToolResult:
					if !calls[b.ToolUseID] {
						t.Fatalf("request %d answers call %s it does not carry", i+1, b.ToolUseID)
					}
				}
			}
		}
	}
	for _, e := range h.log.Snapshot(0) {
		if n, ok := e.Payload.(session.Notice); ok && strings.HasPrefix(n.Text, "Earlier conversation summarised (") {
			notices++
		}
	}
	if asks < 2 || notices != asks {
		t.Fatalf("%d summarising requests, %d notices (want two or more, one each)", asks, notices)
	}
	if got := h.count("tool_finished"); got != 11 {
		t.Errorf("%d tool results in the log, want all 11", got)
	}
}

// A summary the model cannot give is a warning; the request goes out in full.
func TestSummaryFailureSendsInFull(t *testing.T) {
	model := summarisingModel(4, errors.New("overloaded"))
	h := newHarness(t, longFiles, model, func(c *Config) { c.ContextWindow = 8000 })
	h.start("read the long file four times")
	if fin := h.wait(); fin.State != session.StateFinished {
		t.Fatalf("ended %s: %s", fin.State, h.dump())
	}
	var warned bool
	for _, e := range h.log.Snapshot(0) {
		if n, ok := e.Payload.(session.Notice); ok && strings.Contains(n.Text, "could not be summarised (overloaded)") {
			warned = true
		}
	}
	last := model.request(len(model.requests) - 1)
	if !warned || len(last.Messages) != 9 {
		t.Fatalf("warned %v; the last request has %d messages (want all 9)", warned, len(last.Messages))
	}
}
