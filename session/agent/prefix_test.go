package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/session"
)

// Consecutive requests of a session must share their byte prefix: system prompt and
// tools first and unchanged, earlier messages never rewritten, so provider prompt
// caches hit. Boundary notes (adjustments, plan edits) only ever go into the newest
// message, before it is sent.
func TestConsecutiveRequestsShareBytePrefix(t *testing.T) {
	release := make(chan struct{})
	model := newScripted(
		reply("plan", "set_plan", `{"steps":["a","b"]}`),
		blockUntil(release, "", "read_file", `{"path":"calc.go"}`),
		reply("", "update_step", `{"step":"1","status":"done"}`),
		reply("", "finish", `{"summary":"ok"}`),
	)
	h := newHarness(t, calcFiles, model, nil)
	h.start("task")
	<-model.calls
	<-model.calls
	h.engine.Adjust(context.Background(), "steer")
	h.engine.EditPlan(context.Background(), session.PlanEdit{Op: session.EditReword, StepID: "2", Title: "b2"})
	close(release)
	h.wait()
	for i := 0; i+1 < len(model.requests); i++ {
		a, b := model.request(i), model.request(i+1)
		cut := b
		cut.Messages = b.Messages[:len(a.Messages)]
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(cut)
		if !bytes.Equal(ja, jb) {
			t.Fatalf("request %d is not a prefix of request %d:\n%s\n%s", i+1, i+2, ja, jb)
		}
	}
}

// BenchmarkTurnOverhead measures the engine's own cost of one turn (request
// assembly, event logging, tool dispatch of a trivial tool) with 200 earlier turns in
// the history; the model answers instantly.
func BenchmarkTurnOverhead(b *testing.B) {
	dir := gitRepo(b, calcFiles)
	model := &instant{}
	log := session.NewLog(nil)
	eng := New(Config{Model: model, Tools: realTools(b, dir), Log: log, Policy: session.PolicyFullAuto, MaxTurns: 1 << 30})
	eng.plan.ReplacePending([]string{"one"})
	conv := &conversation{system: systemPrompt, tools: eng.toolSpecs()}
	conv.messages = append(conv.messages, llm.Message{Role: llm.RoleUser, Content: []llm.Block{llm.Text("task")}})
	step := func() {
		resp, err := eng.callModel(context.Background(), conv)
		if err != nil {
			b.Fatal(err)
		}
		conv.messages = append(conv.messages, resp.Message)
		results, _ := eng.runTools(context.Background(), resp.Message, nil)
		conv.messages = append(conv.messages, llm.Message{Role: llm.RoleUser, Content: results})
	}
	for i := 0; i < 200; i++ {
		step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step()
	}
}

// instant answers every call at once with one update_step call.
type instant struct{ n int }

func (m *instant) Stream(ctx context.Context, req llm.Request, onDelta func(llm.Delta)) (*llm.Response, error) {
	m.n++
	onDelta(llm.Delta{Text: "thinking about it"})
	return &llm.Response{Message: llm.Message{Role: llm.RoleAssistant, Content: []llm.Block{
		llm.Text("thinking about it"),
		{Type: llm.BlockToolUse, ID: fmt.Sprint("t", m.n), Name: "update_step", Input: json.RawMessage(`{"step":"1","status":"in_progress"}`)},
	}}, StopReason: llm.StopToolUse}, nil
}
