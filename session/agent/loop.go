package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/steer"
	"gitlab.com/wend/wend/session/tools"
)

// errWaiting ends a headless run that needs the user's answer.
var errWaiting = errors.New("waiting for input")

// outcome is how a run ends.
type outcome struct {
	state   session.State
	summary string
	err     error
}

// conversation is the history sent to the model. It is only ever appended to, so
// consecutive requests share their byte prefix and provider prompt caches hit.
type conversation struct {
	system   string
	tools    []llm.Tool
	messages []llm.Message
	// unacked are notes sent in a request that failed: they are in the last
	// message, and acknowledged once a later request carrying it succeeds.
	unacked []steer.Note
	// saved counts the messages persisted (history.go); saveErr stops trying.
	saved   int
	saveErr bool
	// summarised is how many leading messages summary stands for in
	// requests (compact.go), summarisedTurns how many model turns they held.
	summarised, summarisedTurns int
	summary                     string
}

func (e *Engine) run(ctx context.Context, task session.Task, done chan struct{}) {
	defer close(done)
	out := e.loop(ctx, task)
	if ctx.Err() != nil && out.state != session.StateFinished {
		out = outcome{state: session.StateStopped, summary: "stopped by the user"}
	}
	e.finish(out)
}

func (e *Engine) finish(out outcome) {
	e.ctl.Finish(out.state, out.summary, out.err, e.Plan())
}

func (e *Engine) loop(ctx context.Context, task session.Task) outcome {
	if e.cfg.Attach != nil {
		task = e.cfg.Attach(ctx, task, func(level, text string) {
			e.log.Append(session.Notice{Level: level, Text: text})
		})
		if ctx.Err() != nil {
			return outcome{state: session.StateStopped}
		}
	}
	conv := e.openTask(task)
	var stops stopState
	for turn := 0; turn < e.cfg.MaxTurns; turn++ {
		if err := e.ctl.Gate(ctx); err != nil {
			return outcome{state: session.StateStopped}
		}
		// Whatever reached the boundary while the model was busy goes into the last
		// user message, which has not been sent yet. After a paused turn the last
		// message is the model's own, sent back unchanged: the notes wait a turn.
		// Notes that went out in a request that failed are in the message
		// still: they are acknowledged with the next request that succeeds.
		sent := conv.unacked
		conv.unacked = nil
		if last := &conv.messages[len(conv.messages)-1]; last.Role == llm.RoleUser {
			blocks, taken := e.takeBoundary()
			sent = append(sent, taken...)
			last.Content = append(last.Content, blocks...)
		}

		e.compactIfNeeded(ctx, conv) // compact.go
		resp, err := e.callModel(ctx, conv)
		if err != nil {
			conv.unacked = sent
			if ctx.Err() != nil {
				return outcome{state: session.StateStopped}
			}
			return outcome{state: session.StateFailed, err: err}
		}
		for _, n := range sent {
			e.ctl.Delivered(n)
		}
		if end, next := e.afterStop(conv, resp, &stops); end != nil {
			return *end
		} else if next {
			continue
		}
		raw := sanitizeToolInputs(&resp.Message)
		conv.messages = append(conv.messages, resp.Message)
		e.save(conv) // before any call runs: see ConversationLog
		results, end := e.runTools(ctx, resp.Message, raw)
		if end != nil {
			// What ran is answered in the history (a next task continues it);
			// calls that did not run are answered when it does (closeCalls).
			if len(results) > 0 {
				conv.messages = append(conv.messages, llm.Message{Role: llm.RoleUser, Content: results})
			}
			return *end
		}
		if len(results) == 0 {
			// The model answered without calling a tool: its text is the summary.
			return e.answered(resp, &stops)
		}
		conv.messages = append(conv.messages, llm.Message{Role: llm.RoleUser, Content: results})
	}
	return outcome{state: session.StateFailed, err: fmt.Errorf("stopped after %d model turns without finishing; raise max_turns or steer with a narrower task", e.cfg.MaxTurns)}
}

func (e *Engine) toolSpecs() []llm.Tool {
	specs := e.cfg.Tools.Specs()
	out := make([]llm.Tool, 0, len(specs))
	for _, s := range specs {
		out = append(out, llm.Tool{Name: s.Name, Description: s.Description, Schema: s.Schema})
	}
	return out
}

func (e *Engine) callModel(ctx context.Context, conv *conversation) (*llm.Response, error) {
	req := llm.Request{
		Model: e.cfg.ModelName, System: conv.system, Tools: conv.tools,
		Messages: conv.view(), MaxTokens: e.cfg.MaxTokens,
	}
	wrote := 0
	resp, err := e.cfg.Model.Stream(ctx, req, func(d llm.Delta) {
		switch {
		case d.Text != "":
			wrote += len(d.Text)
			e.log.Append(session.TextDelta{Text: d.Text})
		case d.Retry != "":
			e.log.Append(session.Notice{Level: "warn", Text: d.Retry})
		}
	})
	if wrote > 0 {
		e.log.Append(session.TextFinished{Chars: wrote})
	}
	if err != nil {
		return nil, err
	}
	e.addUsage(resp.Usage)
	return resp, nil
}

// addUsage adds one response's tokens to the session's totals and reports them.
func (e *Engine) addUsage(r llm.Usage) {
	e.mu.Lock()
	u := &e.usage
	u.InputTokens += r.InputTokens
	u.OutputTokens += r.OutputTokens
	u.CacheReadTokens += r.CacheReadTokens
	u.CacheWriteTokens += r.CacheWriteTokens
	u.ContextTokens = r.InputTokens + r.CacheReadTokens + r.CacheWriteTokens
	u.CostUSD = estimateCost(e.cfg.ModelName, *u)
	snapshot := *u
	e.mu.Unlock()
	e.log.Append(snapshot)
}

func textOf(m llm.Message) string {
	var parts []string
	for _, b := range m.Content {
		if b.Type == llm.BlockText && strings.TrimSpace(b.Text) != "" {
			parts = append(parts, strings.TrimSpace(b.Text))
		}
	}
	return strings.Join(parts, "\n\n")
}

// runTools executes the tool calls of one assistant message in order. It returns the
// tool results, or an outcome when the run ends here (finish, stop, waiting).
func (e *Engine) runTools(ctx context.Context, m llm.Message, raw map[string]json.RawMessage) ([]llm.Block, *outcome) {
	var results []llm.Block
	var end *outcome
	for _, b := range m.Content {
		if b.Type != llm.BlockToolUse {
			continue
		}
		if end != nil {
			// Every tool_use needs a result, even after finish, or the history breaks.
			results = append(results, toolResult(b.ID, "not run: the session ended", true))
			continue
		}
		if err := e.ctl.Gate(ctx); err != nil {
			return results, &outcome{state: session.StateStopped}
		}
		call := tools.Call{ID: b.ID, Name: b.Name, Args: b.Input}
		if r, ok := raw[b.ID]; ok {
			call.Args = r // the tool reports exactly what was malformed
		}
		start := time.Now()
		e.log.Append(session.ToolCalled{CallID: call.ID, Tool: call.Name, Args: call.Args, StepID: e.currentStep()})
		var res tools.Result
		var stop *outcome
		if b.CutAtLimit || b.InputError != "" {
			res = e.unusableCall(b, call.Args)
		} else {
			res, stop = e.dispatch(ctx, call)
		}
		if ctx.Err() != nil && stop == nil {
			out := "stopped: the user stopped the task before this call finished (it may not have run at all)"
			if strings.TrimSpace(res.Output) != "" {
				out += "\n" + clip(res.Output, 2000)
			}
			results = append(results, toolResult(call.ID, out, true))
			return results, &outcome{state: session.StateStopped}
		}
		e.log.Append(session.ToolFinished{
			CallID: call.ID, Tool: call.Name, IsError: res.IsError, Summary: res.Summary,
			Output: clip(res.Output, 2000), Duration: time.Since(start),
		})
		e.reportChanges(ctx, res.Changed)
		results = append(results, toolResult(call.ID, res.Output, res.IsError))
		if stop != nil {
			end = stop
		}
	}
	return results, end
}

// sanitizeToolInputs replaces tool inputs that are not JSON objects with {} in the
// message (providers refuse to take such a history back) and returns the originals by
// call id, so the tool can tell the model what was wrong with them.
func sanitizeToolInputs(m *llm.Message) map[string]json.RawMessage {
	var raw map[string]json.RawMessage
	for i := range m.Content {
		b := &m.Content[i]
		if b.Type != llm.BlockToolUse {
			continue
		}
		if len(b.Input) == 0 {
			b.Input = json.RawMessage(`{}`) // a call without arguments
			continue
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(b.Input, &obj) != nil || obj == nil {
			if raw == nil {
				raw = map[string]json.RawMessage{}
			}
			raw[b.ID] = b.Input
			b.Input = json.RawMessage(`{}`)
		}
	}
	return raw
}

func toolResult(id, content string, isErr bool) llm.Block {
	return llm.Block{Type: llm.BlockToolResult, ToolUseID: id, Content: content, IsError: isErr}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "\n…"
}

func (e *Engine) reportChanges(ctx context.Context, paths []string) {
	if len(paths) == 0 || e.cfg.Review == nil {
		return
	}
	staged, err := e.cfg.Review.Staged(ctx, paths)
	if err != nil {
		e.log.Append(session.Notice{Level: "error", Text: "recording the change failed: " + err.Error()})
		return
	}
	for _, c := range staged {
		e.log.Append(c)
	}
}

func (e *Engine) currentStep() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.plan.Steps {
		if s.Status == session.StepRunning {
			return s.ID
		}
	}
	return ""
}

// dispatch runs one call: engine tools here, the rest through the policy and toolbox.
func (e *Engine) dispatch(ctx context.Context, call tools.Call) (tools.Result, *outcome) {
	switch call.Name {
	case "set_plan":
		return e.setPlan(ctx, call), nil
	case "update_step":
		return e.updateStep(call), nil
	case "ask_user":
		return e.askUser(ctx, call)
	case "finish":
		var a struct {
			Summary string `json:"summary"`
		}
		if err := json.Unmarshal(call.Args, &a); err != nil {
			return badArgs(call, err, `{"summary": "what was done"}`), nil
		}
		return tools.Result{Output: "Finished.", Summary: "finished"}, &outcome{state: session.StateFinished, summary: a.Summary}
	}
	if res, ok := e.approve(ctx, call); !ok {
		return res, nil
	}
	return e.cfg.Tools.Execute(ctx, call), nil
}

func badArgs(call tools.Call, err error, want string) tools.Result {
	return tools.Result{
		IsError: true,
		Output:  fmt.Sprintf("%s: invalid arguments (%v); expected %s", call.Name, err, want),
		Summary: call.Name + ": invalid arguments",
	}
}
