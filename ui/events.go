package ui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"gitlab.com/wend/wend/session"
)

// Messages from commands. Each is produced by exactly one kind of command.
type (
	// eventsOpenedMsg: the backend's event stream is open.
	eventsOpenedMsg struct{ ch <-chan session.Event }
	// eventsMsg: one or more events, in order (a burst is drained at once).
	eventsMsg struct {
		events []session.Event
		ch     <-chan session.Event
	}
	// eventsClosedMsg: the stream ended.
	eventsClosedMsg struct{}
	// backendDoneMsg: a control call returned.
	backendDoneMsg struct {
		op      string
		err     error
		refresh bool
	}
)

// maxBurst bounds how many queued events one message carries, so a replayed log
// does not stall the UI on one Update.
const maxBurst = 512

func (m *Model) openEvents() tea.Cmd {
	if m.be == nil {
		return nil // the first-run screen has no session
	}
	be, ctx := m.be, m.ctx
	return func() tea.Msg { return eventsOpenedMsg{ch: be.Events(ctx, 0)} }
}

// frame is how long a burst of text deltas may be gathered into one message:
// one Update and one View per frame instead of one per 40-byte delta.
const frame = 16 * time.Millisecond

// waitEvents blocks for the next event, then takes whatever else is already
// queued; when the stream is text deltas it keeps gathering them for up to a
// frame (any other event ends the burst at once). It is re-issued after every
// eventsMsg.
func waitEvents(ch <-chan session.Event) tea.Cmd {
	return func() tea.Msg {
		e, ok := <-ch
		if !ok {
			return eventsClosedMsg{}
		}
		evs := []session.Event{e}
		var timeout <-chan time.Time
		if e.Lossy() {
			t := time.NewTimer(frame)
			defer t.Stop()
			timeout = t.C
		}
		msg := func() tea.Msg { return eventsMsg{events: evs, ch: ch} }
		for len(evs) < maxBurst {
			// Take what is already queued.
			select {
			case e, ok := <-ch:
				if !ok {
					return msg()
				}
				evs = append(evs, e)
				if !e.Lossy() {
					timeout = nil // something that matters: deliver now
				}
				continue
			default:
			}
			if timeout == nil {
				return msg()
			}
			// Gathering deltas: wait for more until the frame is over.
			select {
			case e, ok := <-ch:
				if !ok {
					return msg()
				}
				evs = append(evs, e)
				if !e.Lossy() {
					timeout = nil
				}
			case <-timeout:
				return msg()
			}
		}
		return msg()
	}
}

// refreshChanges asks the review for the proposals (ui/review lists them).
func (m *Model) refreshChanges() tea.Cmd { return m.review.Refresh() }

// refreshOpenReview reloads the proposals only while someone looks at them;
// opening the review loads them anyway.
func (m *Model) refreshOpenReview() tea.Cmd {
	if !m.reviewOpen {
		return nil
	}
	return m.refreshChanges()
}

// onEvent applies one session event. The UI's picture of the session is built
// only here.
func (m *Model) onEvent(e session.Event) tea.Cmd {
	switch p := e.Payload.(type) {
	case session.SessionStarted:
		if p.Task != "" && p.Task != m.typed && !(p.Retry && m.typed == "/retry") {
			m.tr.AddUser(p.Task)
		}
		m.typed = ""
		m.state = session.StateRunning
		m.plan.Locked = false
		if m.started.IsZero() || !m.ended.IsZero() {
			m.started = m.now()
		}
		m.ended = time.Time{}
		if p.Model != "" && m.opts.Model == "" {
			m.opts.Model = p.Model
		}
		if p.Branch != "" && m.opts.Branch == "" {
			m.opts.Branch = p.Branch
		}
	case session.PlanProposed:
		m.plan.SetPlan(p.Plan)
		m.plan.Awaiting = p.AwaitingApproval || m.planReq != ""
		if p.AwaitingApproval {
			m.hint = "the plan waits for your go: " + m.km.ApprovePlan.Help().Key
		}
		return m.layout()
	case session.PlanEdited:
		m.plan.SetPlan(p.Plan)
		if p.Summary != "" {
			m.tr.AddNotice("info", p.Summary)
		}
		return m.layout()
	case session.StepStarted:
		m.plan.Awaiting = false
		m.planReq = ""
		m.setStep(p.StepID, session.StepRunning, "", p.Title)
		title := p.Title
		if st, ok := m.plan.Plan.Step(p.StepID); ok && title == "" {
			title = st.Title
		}
		m.tr.AddNotice("info", "Step "+p.StepID+" · "+title)
	case session.StepFinished:
		m.setStep(p.StepID, p.Status, p.Note, "")
		if p.Status == session.StepFailed {
			msg := "Step " + p.StepID + " failed"
			if p.Note != "" {
				msg += ": " + p.Note
			}
			m.tr.AddNotice("error", msg)
		}
	case session.TextDelta:
		return m.tr.AppendText(p.Text)
	case session.TextFinished:
		return m.tr.FinishText()
	case session.ToolCalled:
		if !planTool(p.Tool) {
			m.tr.ToolCalled(p.CallID, p.Tool, p.Args)
			m.openCalls = append(m.openCalls, p.CallID)
			if m.callArgs == nil {
				m.callArgs = map[string]openCall{}
			}
			m.callArgs[p.CallID] = openCall{tool: p.Tool, args: p.Args}
		}
	case session.ToolFinished:
		m.closeCall(p.CallID)
		d := p.Duration
		if at, ok := m.approvedAt[p.CallID]; ok {
			// The engine times a call from its start, approval wait included;
			// what the user wants to know is how long the work took.
			delete(m.approvedAt, p.CallID)
			if w := e.Time.Sub(at); w >= 0 && w < d {
				d = w
			}
		}
		switch {
		case !planTool(p.Tool):
			m.tr.ToolFinished(p.CallID, p.Tool, p.IsError, p.Summary, p.Output, d)
		case p.IsError:
			m.tr.AddNotice("error", p.Tool+": "+p.Summary)
		}
	case session.ChangeStaged:
		if m.staged == nil {
			m.staged = map[string][2]int{}
		}
		m.staged[p.Path] = [2]int{p.Added, p.Deleted}
		if p.Added == 0 && p.Deleted == 0 && p.Kind == session.ChangeModified {
			delete(m.staged, p.Path) // back to the baseline
		}
		if p.OldPath != "" && p.OldPath != p.Path {
			delete(m.staged, p.OldPath)
		}
		return m.refreshOpenReview()
	case session.ReviewDecided:
		return m.refreshOpenReview()
	case session.ApprovalRequested:
		if p.Request.Kind == session.ApprovePlan {
			m.planReq = p.Request.ID
			m.plan.Awaiting = true
			return m.layout()
		}
		m.dlg.Request(p.Request)
		if m.reqText == nil {
			m.reqText = map[string]string{}
		}
		what := p.Request.Command
		if what == "" {
			what = strings.TrimSpace(p.Request.Tool + " " + p.Request.Path)
		}
		m.reqText[p.Request.ID] = what
		m.state = session.StateWaiting
		return m.layout()
	case session.ApprovalResolved:
		if p.RequestID == m.planReq {
			m.planReq = ""
			m.plan.Awaiting = false
		}
		if n := len(m.openCalls); n > 0 && m.reqText[p.RequestID] != "" && p.Approved && !e.Time.IsZero() {
			// Tools run one at a time, so the approval is the open call's.
			if m.approvedAt == nil {
				m.approvedAt = map[string]time.Time{}
			}
			m.approvedAt[m.openCalls[n-1]] = e.Time
		}
		m.dlg.Resolved(p.RequestID)
		what := m.reqText[p.RequestID]
		delete(m.reqText, p.RequestID)
		if what == "" {
			what = "request " + p.RequestID
		}
		switch {
		case !p.Approved && p.Reason != "":
			m.tr.AddNotice("warn", fmt.Sprintf("Denied: %s (%s)", what, p.Reason))
		case !p.Approved:
			m.tr.AddNotice("warn", "Denied: "+what)
		case p.Scope == session.ScopePrefix:
			m.tr.AddNotice("info", "Approved for the session: "+what)
		case p.Scope == session.ScopeStep:
			m.tr.AddNotice("info", "Approved for this step: "+what)
		default:
			m.tr.AddNotice("info", "Approved: "+what)
		}
		m.resumeState()
		return m.layout()
	case session.InputRequested:
		focus := m.dlg.Ask(p)
		m.state = session.StateWaiting
		m.tr.AddNotice("info", "The agent asks: "+p.Question)
		return tea.Batch(focus, m.layout())
	case session.InputAnswered:
		m.dlg.Answered(p.RequestID)
		m.tr.AddUser(p.Answer)
		m.resumeState()
		return m.layout()
	case session.Paused:
		m.state = session.StatePaused
		m.tr.AddNotice("info", "Paused; "+m.km.Pause.Help().Key+" resumes")
	case session.Resumed:
		m.state = session.StateRunning
	case session.AdjustQueued:
		m.queued = append(m.queued, p)
		return m.layout()
	case session.AdjustWithdrawn:
		m.dropQueued(p.ID, "")
		return m.layout()
	case session.AdjustDelivered:
		m.dropQueued(p.ID, "deliver")
		return m.layout()
	case session.UsageReported:
		// Reports are the session's running totals (both engines send them so):
		// the newest replaces the last.
		m.inTok, m.outTok, m.cost = p.InputTokens, p.OutputTokens, p.CostUSD
	case session.Notice:
		m.tr.AddNotice(p.Level, p.Text)
	case session.PipelineUpdated:
		if old, ok := m.plan.Pipeline(); !ok || old.PipelineID != p.PipelineID {
			m.tr.AddNotice("info", fmt.Sprintf("Watching pipeline #%d (%s %s)", p.PipelineID, p.Ref, shortSHA(p.SHA)))
		}
		m.plan.SetPipeline(p)
		return m.layout()
	case session.PipelineFinished:
		m.plan.FinishPipeline(p)
		switch {
		case p.Error != "":
			m.tr.AddNotice("error", "Pipeline watch ended: "+p.Error)
		case p.Status == "success":
			m.tr.AddNotice("info", fmt.Sprintf("Pipeline #%d passed", p.PipelineID))
		default:
			var names []string
			for _, j := range p.Failed {
				names = append(names, j.Name)
			}
			m.tr.AddNotice("error", fmt.Sprintf("Pipeline #%d %s %s", p.PipelineID, p.Status, strings.Join(names, ", ")))
		}
		return m.layout()
	case session.SessionFinished:
		m.state = p.State
		m.ended = m.now()
		m.clock = m.ended
		if len(p.Plan.Steps) > 0 {
			m.plan.SetPlan(p.Plan)
		}
		m.plan.Awaiting = false
		m.plan.Locked = true
		m.dlg.Ended()
		cmds := []tea.Cmd{m.tr.FinishText()}
		m.settleInterrupted(p.State)
		switch {
		case p.Error != "":
			m.tr.AddNotice("error", "Session "+string(p.State)+": "+p.Error)
		case p.State == session.StateStopped:
			m.tr.AddNotice("info", stoppedNotice(p.Summary))
		case p.Summary != "":
			m.tr.AddNotice("info", "Done: "+p.Summary)
		default:
			m.tr.AddNotice("info", "Session "+string(p.State))
		}
		cmds = append(cmds, m.refreshChanges(), m.layout())
		return tea.Batch(cmds...)
	}
	return nil
}

// planTool reports tools whose effect the checklist already shows; the
// transcript leaves them out unless they fail.
func planTool(name string) bool { return name == "set_plan" || name == "update_step" }

// resumeState leaves the waiting state once nothing waits on the user.
func (m *Model) resumeState() {
	if m.state == session.StateWaiting && !m.dlg.Waiting() {
		m.state = session.StateRunning
	}
}

func (m *Model) dropQueued(id, why string) {
	for i, q := range m.queued {
		if q.ID == id {
			if why == "deliver" {
				m.tr.AddNotice("info", "Adjustment delivered: "+q.Text)
			}
			m.queued = append(m.queued[:i:i], m.queued[i+1:]...)
			return
		}
	}
}

// setStep moves a step in the local copy of the plan; the engine sends the whole
// plan on proposals and edits, and only deltas for step progress.
func (m *Model) setStep(id string, status session.StepStatus, note, title string) {
	p := m.plan.Plan.Clone()
	s, ok := p.Step(id)
	if !ok {
		if title == "" {
			return
		}
		p.Steps = append(p.Steps, session.Step{ID: id, Title: title})
		s = &p.Steps[len(p.Steps)-1]
	}
	s.Status = status
	if note != "" {
		s.Note = strings.TrimSpace(note)
	}
	m.plan.SetPlan(p)
}

func (m *Model) closeCall(id string) {
	delete(m.callArgs, id)
	for i, c := range m.openCalls {
		if c == id {
			m.openCalls = append(m.openCalls[:i:i], m.openCalls[i+1:]...)
			return
		}
	}
}

// settleInterrupted marks what the end of a run cut short: the engine sends no
// result for a tool it stopped, nor a finish for the step it was in, and a step
// or tool left looking busy says the run still goes on. A stopped step is
// pending again (it was not done); at a failure it failed.
func (m *Model) settleInterrupted(state session.State) {
	if state == session.StateFinished {
		return // the engine closed what it ran; nothing was cut short
	}
	why := "stopped"
	if state != session.StateStopped {
		why = "interrupted: the session " + string(state)
	}
	for _, id := range m.openCalls {
		m.tr.ToolFinished(id, "", true, why, "", 0)
	}
	m.openCalls, m.callArgs = nil, nil
	p := m.plan.Plan.Clone()
	changed := false
	for i := range p.Steps {
		s := &p.Steps[i]
		if s.Status != session.StepRunning {
			continue
		}
		changed = true
		if state == session.StateStopped {
			s.Status = session.StepPending
			if s.Note == "" {
				s.Note = "stopped here by you"
			}
		} else {
			s.Status = session.StepFailed
		}
	}
	if changed {
		m.plan.SetPlan(p)
	}
}

// stoppedNotice reports a stop the user asked for; the engines' summary for it
// ("stopped by the user") would otherwise read as "Done:".
func stoppedNotice(summary string) string {
	if summary == "" || strings.EqualFold(summary, "stopped by the user") {
		return "Stopped by you."
	}
	return "Stopped by you: " + summary
}

func shortSHA(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}
