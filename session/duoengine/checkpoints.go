package duoengine

import (
	"strconv"
	"strings"

	"gitlab.com/wend/wend/remote/duo"
	"gitlab.com/wend/wend/remote/duo/contract"
	"gitlab.com/wend/wend/session"
)

// textBlock is the agent message currently streamed as text deltas. A block is
// closed (TextFinished) when another entry starts, an action arrives or the turn
// ends, so a reader that coalesced deltas knows the block is complete.
type textBlock struct {
	id    string
	chars int
	open  bool
}

// localTools are the DWS tool names whose work wend does itself and reports as
// ToolCalled/ToolFinished; their chat lines would only repeat that.
var localTools = map[string]bool{
	"read_file": true, "read_files": true, "read_file_chunked": true, "edit_file": true,
	"create_file_with_contents": true, "run_command": true, "run_git_command": true,
	"list_dir": true, "find_files": true, "grep": true, "mkdir": true, "todo_write": true,
}

// checkpoint folds one newCheckpoint into the tracker and turns what changed into
// events: chat text, notices, plan and step changes, usage.
func (e *Engine) checkpoint(nc *contract.NewCheckpoint) {
	u, err := e.tracker.Apply(nc)
	if err != nil {
		e.notice("warn", "GitLab Duo sent a checkpoint wend could not read; skipped it: "+err.Error())
		return
	}
	for _, c := range u.Chat {
		e.chat(c)
	}
	if u.PlanChanged {
		e.applyPlan(u.Plan)
	}
	if u.Usage != nil {
		total, _ := duo.UsageTotal(u.Usage)
		e.log.Append(session.UsageReported{InputTokens: int64(total), ContextTokens: int64(total)})
	}
	if len(u.Errors) > 0 {
		msg := strings.Join(u.Errors, "; ")
		if msg != e.failure {
			e.failure = msg
			e.notice("error", "GitLab Duo: "+msg)
		}
	}
	if u.StatusChanged && u.Status == duo.StatusRunning {
		e.ctl.SetStateUnlessPaused(session.StateRunning)
	}
}

// chat maps one added or changed ui_chat_log entry.
func (e *Engine) chat(c duo.ChatChange) {
	en := c.Entry
	switch en.MessageType {
	case duo.MessageAgent, duo.MessageWorkflowEnd:
		if en.MessageSubType == duo.SubTypeReasoning {
			return
		}
		delta := c.Delta
		switch {
		case c.New:
			e.closeText()
			delta = en.Content
		case delta == "" && en.Content != e.lastText:
			// Replaced rather than grown: show the new wording as a new block.
			e.closeText()
			delta = en.Content
		case e.text.id != en.MessageID:
			e.closeText()
		}
		if delta != "" {
			if !e.text.open || e.text.id != en.MessageID {
				e.text = textBlock{id: en.MessageID, open: true}
			}
			e.text.chars += len(delta)
			e.log.Append(session.TextDelta{Text: delta})
		}
		e.lastText = en.Content
		if en.Status == duo.ToolFailure {
			e.failure = en.Content
		}
		if en.MessageType == duo.MessageWorkflowEnd {
			e.summary = en.Content
		}
	case duo.MessageTool:
		name := ""
		if en.ToolInfo != nil {
			name = en.ToolInfo.Name
		}
		switch {
		case en.Status == duo.ToolFailure || en.Status == duo.ToolTimedOut:
			e.closeText()
			e.notice("warn", "GitLab Duo: "+en.Content+" ("+en.Status+")")
		case c.New && !localTools[name] && en.Content != "":
			e.closeText()
			e.notice("info", "GitLab Duo: "+en.Content)
		}
	case duo.MessageRequest:
		if c.New && en.Content != "" {
			e.closeText()
			e.notice("info", "GitLab Duo: "+en.Content)
		}
	case duo.MessageUser:
		// The user's own words: the task or an answer, already in the log.
	default:
		if c.New && en.Content != "" {
			e.closeText()
			e.notice("info", "GitLab Duo: "+en.Content)
		}
	}
}

func (e *Engine) closeText() {
	if e.text.open {
		e.log.Append(session.TextFinished{Chars: e.text.chars})
	}
	e.text = textBlock{}
}

// applyPlan maps the service's checklist onto wend's plan. Steps keep the id wend
// gave them ("1", "2", ... in order of first appearance, never reused) while the
// service keeps their key; a new or reworded list is a PlanProposed, and status
// moves are StepStarted/StepFinished.
func (e *Engine) applyPlan(p duo.Plan) {
	e.mu.Lock()
	old := map[string]session.Step{}
	for _, s := range e.plan.Steps {
		old[s.ID] = s
	}
	next := session.Plan{NextID: e.plan.NextID}
	if next.NextID < 1 {
		next.NextID = 1
	}
	changed := len(p.Steps) != len(e.plan.Steps)
	for i, ds := range p.Steps {
		key := ds.ID
		if key == "" {
			key = strconv.Itoa(i + 1)
		}
		id, ok := e.stepKeys[key]
		if !ok {
			id = strconv.Itoa(next.NextID)
			next.NextID++
			e.stepKeys[key] = id
		}
		st := session.Step{ID: id, Title: ds.Description, Status: session.StepPending}
		if prev, ok := old[id]; ok {
			st.Status, st.Note = prev.Status, prev.Note
		}
		if i >= len(e.plan.Steps) || e.plan.Steps[i].ID != id || e.plan.Steps[i].Title != st.Title {
			changed = true
		}
		next.Steps = append(next.Steps, st)
	}
	e.plan = next
	proposed := e.plan.Clone()
	e.mu.Unlock()
	if changed {
		e.log.Append(session.PlanProposed{Plan: proposed})
	}
	for i, ds := range p.Steps {
		want := stepStatus(ds.State)
		e.mu.Lock()
		s := &e.plan.Steps[i]
		if s.Status == want {
			e.mu.Unlock()
			continue
		}
		s.Status = want
		step := *s
		if want == session.StepRunning {
			e.stepNow = step.ID
		} else if e.stepNow == step.ID {
			e.stepNow = ""
		}
		e.mu.Unlock()
		switch {
		case want == session.StepRunning:
			e.log.Append(session.StepStarted{StepID: step.ID, Title: step.Title})
		case want.Finished():
			e.log.Append(session.StepFinished{StepID: step.ID, Status: want})
		}
	}
}

func stepStatus(s duo.StepState) session.StepStatus {
	switch s {
	case duo.StateRunning:
		return session.StepRunning
	case duo.StateDone:
		return session.StepDone
	case duo.StateSkipped, duo.StateCancelled:
		return session.StepSkipped
	case duo.StateFailed:
		return session.StepFailed
	}
	return session.StepPending
}

// currentStep is the step the service says is in progress, for ToolCalled.
func (e *Engine) currentStep() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stepNow
}
