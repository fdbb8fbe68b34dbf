package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/steer"
)

// assertPrefix fails unless every message of a is byte for byte the start of b,
// with the same system prompt and tools: what provider prompt caches need.
func assertPrefix(t *testing.T, a, b llm.Request) {
	t.Helper()
	if len(b.Messages) < len(a.Messages) {
		t.Fatalf("the later request has %d messages, the earlier %d", len(b.Messages), len(a.Messages))
	}
	cut := b
	cut.Messages = b.Messages[:len(a.Messages)]
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(cut)
	if !bytes.Equal(ja, jb) {
		t.Fatalf("the earlier request is not a prefix of the later:\n%s\n%s", ja, jb)
	}
}

// A follow-up typed after a task finished starts a new task in the same
// session: the model gets the whole conversation so far (the earlier request
// as an unchanged prefix, so caches hit), the finish call's result, then the
// new task; the plan starts anew with step ids that never repeat.
func TestFollowUpContinuesTheConversation(t *testing.T) {
	model := newScripted(
		reply("plan", "set_plan", `{"steps":["fix Add"]}`),
		reply("", "finish", `{"summary":"Add adds."}`),
		reply("", "set_plan", `{"steps":["add Median"]}`),
		reply("", "finish", `{"summary":"Median too."}`),
	)
	h := newHarness(t, calcFiles, model, nil)
	h.start("fix Add")
	if fin := h.wait(); fin.State != session.StateFinished {
		t.Fatalf("first task: %+v", fin)
	}
	if err := h.engine.Start(context.Background(), session.Task{Text: "now also add a Median function"}); err != nil {
		t.Fatalf("a follow-up after a finished task was refused: %v", err)
	}
	fin := h.wait()
	if fin.State != session.StateFinished || fin.Summary != "Median too." {
		t.Fatalf("follow-up: %+v\n%s", fin, h.dump())
	}
	assertPrefix(t, model.request(1), model.request(2))
	follow := model.request(2)
	if got := lastUserText(follow); !strings.Contains(got, "now also add a Median function") || strings.Contains(got, "# Repository") {
		t.Fatalf("the follow-up message: %q", got)
	}
	if res := toolResults(follow); len(res) != 1 || res[0].IsError {
		t.Fatalf("the finish call needs its result before the follow-up: %+v", res)
	}
	if len(fin.Plan.Steps) != 1 || fin.Plan.Steps[0].Title != "add Median" || fin.Plan.Steps[0].ID != "2" {
		t.Fatalf("the follow-up's plan: %+v", fin.Plan)
	}
	var starts []session.SessionStarted
	for _, e := range h.log.Snapshot(0) {
		if s, ok := e.Payload.(session.SessionStarted); ok {
			starts = append(starts, s)
		}
	}
	if len(starts) != 2 || starts[0].TaskIndex != 0 || starts[1].TaskIndex != 1 || starts[1].Task != "now also add a Median function" {
		t.Fatalf("task starts: %+v", starts)
	}
}

// A follow-up is refused while a task runs: the sentence is an adjustment then.
func TestFollowUpRefusedWhileRunning(t *testing.T) {
	release := make(chan struct{})
	model := newScripted(blockUntil(release, "", "finish", `{"summary":"x"}`))
	h := newHarness(t, calcFiles, model, nil)
	h.start("one")
	<-model.calls
	if err := h.engine.Start(context.Background(), session.Task{Text: "two"}); err == nil {
		t.Fatal("a second task started while the first runs")
	}
	close(release)
	h.wait()
}

// A task stopped while a call waited for approval leaves a tool call without a
// result; the follow-up's request answers it as not run, so the history stays
// valid for every provider.
func TestFollowUpAfterStopAnswersTheDanglingCall(t *testing.T) {
	model := newScripted(
		reply("", "run_command", `{"command":"echo hi"}`),
		reply("", "finish", `{"summary":"ok"}`),
	)
	h := newHarness(t, calcFiles, model, func(c *Config) { c.Policy = session.PolicyAsk })
	h.start("run it")
	h.waitFor("approval_requested")
	h.engine.Stop(context.Background())
	if fin := h.wait(); fin.State != session.StateStopped {
		t.Fatalf("stop: %+v", fin)
	}
	if err := h.engine.Start(context.Background(), session.Task{Text: "never mind, just finish"}); err != nil {
		t.Fatal(err)
	}
	h.wait()
	req := model.request(1)
	assertPrefix(t, model.request(0), req)
	res := toolResults(req)
	if len(res) != 1 || !res[0].IsError || !strings.Contains(res[0].Content, "stopped") {
		t.Fatalf("the stopped call's result: %+v", res)
	}
}

// feedbackReviewer hands back a rejection's reason and counts its delivery.
type feedbackReviewer struct{ delivered atomic.Int32 }

func (r *feedbackReviewer) Staged(ctx context.Context, paths []string) ([]session.ChangeStaged, error) {
	return nil, nil
}

func (r *feedbackReviewer) Decide(ctx context.Context, d session.Decision) (steer.Feedback, error) {
	return steer.Feedback{Text: "The user rejected calc.go: " + d.Reason, Delivered: func() { r.delivered.Add(1) }}, nil
}

// A rejection decided after a task finished reaches the model with the next
// task, and is acknowledged only then.
func TestFollowUpCarriesRejectionDecidedBetweenTasks(t *testing.T) {
	rev := &feedbackReviewer{}
	model := newScripted(
		reply("", "finish", `{"summary":"one"}`),
		reply("", "finish", `{"summary":"two"}`),
	)
	h := newHarness(t, calcFiles, model, func(c *Config) { c.Review = rev })
	h.start("one")
	h.wait()
	err := h.engine.Resolve(context.Background(), session.Decision{Kind: session.DecideReview, Action: session.ReviewReject,
		Targets: []string{"calc.go"}, Reason: "keep subtraction"})
	if err != nil {
		t.Fatal(err)
	}
	if rev.delivered.Load() != 0 {
		t.Fatal("delivered before any request")
	}
	if err := h.engine.Start(context.Background(), session.Task{Text: "two"}); err != nil {
		t.Fatal(err)
	}
	h.wait()
	if got := lastUserText(model.request(1)); !strings.Contains(got, "keep subtraction") || !strings.Contains(got, "two") {
		t.Fatalf("the follow-up request lacks the rejection: %q", got)
	}
	if rev.delivered.Load() != 1 {
		t.Fatalf("delivered %d times", rev.delivered.Load())
	}
}

// memConversation is a ConversationLog in memory.
type memConversation struct {
	mu      sync.Mutex
	records [][]byte
}

func (m *memConversation) Append(rec []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.records = append(m.records, append([]byte(nil), rec...))
	return nil
}

func (m *memConversation) all() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([][]byte(nil), m.records...)
}

// A session reopened in another process (its wend killed while a command
// waited) continues the stored conversation: the earlier request is still the
// prefix, the call that was in flight is answered as interrupted and never
// run again, and the task counter goes on.
func TestRestoredConversationAnswersTheInterruptedCall(t *testing.T) {
	conv := &memConversation{}
	first := newScripted(reply("", "run_command", `{"command":"touch ran"}`))
	h := newHarness(t, calcFiles, first, func(c *Config) { c.Policy = session.PolicyAsk; c.Conversation = conv })
	h.start("make a file")
	h.waitFor("approval_requested")
	// The process dies here: only what was persisted survives.
	records := conv.all()
	if len(records) != 2 {
		t.Fatalf("persisted %d messages before the call ran, want the task and the answer", len(records))
	}
	history, err := RestoreConversation(append(records, []byte(`{"role":"us`))) // a torn last line
	if err != nil {
		t.Fatal(err)
	}
	second := newScripted(reply("", "finish", `{"summary":"ok"}`))
	log := session.NewLog(nil)
	eng := New(Config{SessionID: "test", Model: second, ModelName: "m", Tools: realTools(t, h.dir), Log: log,
		Policy: session.PolicyFullAuto, Interactive: true, History: history, Tasks: 1})
	if err := eng.Start(context.Background(), session.Task{Text: "make a file", Retry: true}); err != nil {
		t.Fatal(err)
	}
	<-eng.Done()
	req := second.request(0)
	assertPrefix(t, first.request(0), req)
	res := toolResults(req)
	if len(res) != 1 || !res[0].IsError || !strings.Contains(res[0].Content, "interrupted") {
		t.Fatalf("the interrupted call's result: %+v", res)
	}
	if got := lastUserText(req); !strings.Contains(got, "again") || !strings.Contains(got, "make a file") {
		t.Fatalf("the retry message: %q", got)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "ran")); err == nil {
		t.Fatal("the interrupted command ran")
	}
	if s := log.Snapshot(0)[0].Payload.(session.SessionStarted); s.TaskIndex != 1 || !s.Retry {
		t.Fatalf("the resumed task's start: %+v", s)
	}
	h.engine.Stop(context.Background())
	h.wait()
}

// A retry without text (the TUI's /retry) repeats the newest task, telling
// the model it is the same task again; with no task run yet it is refused.
func TestRetryRepeatsTheLastTask(t *testing.T) {
	model := newScripted(
		func(ctx context.Context, req llm.Request) (*llm.Response, error) {
			return nil, errors.New("overloaded")
		},
		reply("", "finish", `{"summary":"ok"}`),
	)
	h := newHarness(t, calcFiles, model, nil)
	if err := h.engine.Start(context.Background(), session.Task{Retry: true}); err == nil {
		t.Fatal("a retry before any task started")
	}
	h.start("fix Add")
	if fin := h.wait(); fin.State != session.StateFailed {
		t.Fatalf("first: %+v", fin)
	}
	if err := h.engine.Start(context.Background(), session.Task{Retry: true}); err != nil {
		t.Fatal(err)
	}
	if fin := h.wait(); fin.State != session.StateFinished {
		t.Fatalf("retry: %+v\n%s", fin, h.dump())
	}
	got := lastUserText(model.request(1))
	if !strings.Contains(got, "again") || strings.Count(got, "fix Add") != 2 {
		t.Fatalf("the retry request: %q", got)
	}
}

// A call that completed before wend died, but whose result never reached a
// request, is answered with the result the session's log recorded, not as
// interrupted: it ran, and the model must not think otherwise.
func TestRestoredConversationUsesRecordedResults(t *testing.T) {
	history := []llm.Message{
		{Role: llm.RoleUser, Content: []llm.Block{llm.Text("# Task\nlook")}},
		{Role: llm.RoleAssistant, Content: []llm.Block{
			{Type: llm.BlockToolUse, ID: "ran", Name: "read_file", Input: json.RawMessage(`{"path":"calc.go"}`)},
			{Type: llm.BlockToolUse, ID: "cut", Name: "list_dir", Input: json.RawMessage(`{"path":"."}`)},
		}},
	}
	model := newScripted(reply("", "finish", `{"summary":"ok"}`))
	h := newHarness(t, calcFiles, model, func(c *Config) {
		c.History, c.Tasks = history, 1
		c.Recorded = map[string]RecordedResult{"ran": {Output: "1\tpackage calc"}}
	})
	h.start("look")
	h.wait()
	res := toolResults(model.request(0))
	if len(res) != 2 || res[0].ToolUseID != "ran" || res[0].IsError || !strings.Contains(res[0].Content, "package calc") {
		t.Fatalf("the recorded result: %+v", res)
	}
	if res[1].ToolUseID != "cut" || !res[1].IsError || !strings.Contains(res[1].Content, "interrupted") {
		t.Fatalf("the unrecorded call: %+v", res[1])
	}
}
