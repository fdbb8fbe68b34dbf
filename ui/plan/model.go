package plan

import (
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"gitlab.com/wend/wend/internal/termtext"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/keys"
	"gitlab.com/wend/wend/ui/styles"
)

// Model is the interactive checklist: a cursor and an inline editor. The plan it
// holds is replaced whenever the engine reports one (SetPlan).
type Model struct {
	Plan     session.Plan
	Awaiting bool
	// Locked: the session is over, so the engine would refuse every edit.
	Locked  bool
	cursor  int
	focused bool
	editing string // id of the step being reworded, "" none: an index would point
	// at another step once the engine's answer to an earlier edit shifts the plan
	adding bool
	input  textinput.Model
	rev    int // bumped on every change, so callers can cache Lines
	// pipeline is the watched CI pipeline shown after the steps (pipeline.go);
	// pipeErr, why its watch ended early.
	pipeline *session.PipelineUpdated
	pipeErr  string
}

// Rev changes whenever anything Lines draws (besides its arguments and Awaiting)
// may have changed.
func (m Model) Rev() int { return m.rev }

// New returns an empty checklist.
func New(st styles.Styles) Model {
	ti := textinput.New()
	ti.Prompt = ""
	ts := textinput.DefaultStyles(st.Dark)
	ts.Cursor.Blink = false
	if !st.Dark {
		ts.Cursor.Color = lipgloss.Color("#303030") // the default light grey vanishes on white
	}
	ti.SetStyles(ts)
	return Model{input: ti}
}

// SetPlan replaces the plan, keeping the cursor on the same step id when it still
// exists.
func (m *Model) SetPlan(p session.Plan) {
	m.rev++
	var id string
	if m.cursor < len(m.Plan.Steps) {
		id = m.Plan.Steps[m.cursor].ID
	}
	m.Plan = p
	if i := p.Index(id); i >= 0 {
		m.cursor = i
	}
	m.cursor = min(m.cursor, max(len(p.Steps)-1, 0))
	if m.editing != "" && p.Index(m.editing) < 0 {
		m.stopEditing() // the step went away under the editor
	}
}

// Focus gives the checklist the keyboard; Blur takes it away and drops any edit.
func (m *Model) Focus() { m.focused = true; m.rev++ }
func (m *Model) Blur() {
	m.rev++
	m.focused = false
	m.stopEditing()
}

// Focused reports whether the checklist has the keyboard.
func (m Model) Focused() bool { return m.focused }

// Editing reports whether the inline editor is open (keys go to it).
func (m Model) Editing() bool { return m.editing != "" || m.adding }

// Selected returns the selected step.
func (m Model) Selected() (session.Step, bool) {
	if m.cursor < len(m.Plan.Steps) {
		return m.Plan.Steps[m.cursor], true
	}
	return session.Step{}, false
}

func (m *Model) stopEditing() {
	m.editing = ""
	m.adding = false
	m.input.Blur()
	m.input.SetValue("")
}

// Can reports whether an edit of kind op applies to the selected step, the way
// session.Plan.Apply would judge it: only pending steps move, skip or go away;
// finished steps keep their wording; nothing changes once the session is over.
// Keys for edits that would be refused are neither sent nor advertised.
func (m Model) Can(op session.PlanEditOp) bool {
	if m.Locked {
		return false
	}
	if op == session.EditAdd {
		return true
	}
	s, ok := m.Selected()
	if !ok {
		return false
	}
	if op == session.EditReword {
		return !s.Status.Finished()
	}
	return s.Status == session.StepPending
}

// Update handles one key. It returns the edit to send to the engine, if any; the
// plan on screen changes only when the engine answers with PlanEdited.
func (m Model) Update(msg tea.KeyPressMsg, km keys.KeyMap) (Model, *session.PlanEdit, tea.Cmd) {
	m.rev++
	if m.Editing() {
		switch {
		case key.Matches(msg, km.Back):
			m.stopEditing()
			return m, nil, nil
		case key.Matches(msg, km.Confirm):
			title := m.input.Value()
			var e *session.PlanEdit
			if m.adding {
				after := ""
				if s, ok := m.Selected(); ok {
					after = s.ID
				}
				e = &session.PlanEdit{Op: session.EditAdd, Title: title, After: after}
			} else if s, ok := m.Plan.Step(m.editing); ok {
				// The editor starts from the title as shown; unchanged means no edit.
				if title != termtext.Sanitize(s.Title) {
					e = &session.PlanEdit{Op: session.EditReword, StepID: s.ID, Title: title}
				}
			}
			m.stopEditing()
			if e != nil && e.Title == "" {
				e = nil
			}
			return m, e, nil
		}
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, nil, cmd
	}
	n := len(m.Plan.Steps)
	sel, _ := m.Selected()
	switch {
	case key.Matches(msg, km.PlanUp):
		m.cursor = max(m.cursor-1, 0)
	case key.Matches(msg, km.PlanDown):
		m.cursor = min(m.cursor+1, max(n-1, 0))
	case key.Matches(msg, km.PlanReword):
		if m.Can(session.EditReword) {
			m.editing = sel.ID
			m.input.SetValue(termtext.Sanitize(sel.Title))
			m.input.CursorEnd()
			return m, nil, m.input.Focus()
		}
	case key.Matches(msg, km.PlanAdd) && m.Can(session.EditAdd):
		m.adding = true
		m.input.SetValue("")
		return m, nil, m.input.Focus()
	case key.Matches(msg, km.PlanDelete):
		if m.Can(session.EditDelete) {
			return m, &session.PlanEdit{Op: session.EditDelete, StepID: sel.ID}, nil
		}
	case key.Matches(msg, km.PlanMoveUp):
		if m.Can(session.EditMove) && m.cursor > 0 {
			return m, &session.PlanEdit{Op: session.EditMove, StepID: sel.ID, By: -1}, nil
		}
	case key.Matches(msg, km.PlanMoveDown):
		if m.Can(session.EditMove) && m.cursor < n-1 {
			return m, &session.PlanEdit{Op: session.EditMove, StepID: sel.ID, By: 1}, nil
		}
	case key.Matches(msg, km.PlanSkip):
		if m.Can(session.EditSkip) {
			return m, &session.PlanEdit{Op: session.EditSkip, StepID: sel.ID}, nil
		}
	}
	return m, nil, nil
}

// Lines renders the checklist at width.
func (m Model) Lines(st styles.Styles, width int, spinner, goKey string) []string {
	f := Frame{Cursor: m.cursor, Focused: m.focused, Spinner: spinner, Awaiting: m.Awaiting,
		Editing: m.Plan.Index(m.editing), Adding: m.adding, GoKey: goKey}
	if m.Editing() {
		m.input.SetWidth(max(width-4, 4))
		f.EditLine = m.input.View()
	}
	lines := Render(m.Plan, f, st, width)
	if m.pipeline != nil {
		if len(m.Plan.Steps) == 0 && len(lines) > 1 {
			lines = lines[:1] // "No plan yet" says nothing next to the pipeline
		}
		lines = append(lines, RenderPipeline(*m.pipeline, m.pipeErr, st, width, spinner)...)
	}
	return lines
}

// CursorLine is the line of the rendered checklist (at width) where the selected
// step starts, or where the running step starts when the list is not focused.
func (m Model) CursorLine(st styles.Styles, width int) int {
	target := m.cursor
	if !m.focused {
		target = -1
		for i, s := range m.Plan.Steps {
			if s.Status == session.StepRunning {
				target = i
				break
			}
		}
		if target < 0 {
			return 0
		}
	}
	// Render the steps before the target and count their lines.
	head := len(Render(session.Plan{}, Frame{Editing: -1, Awaiting: m.Awaiting}, st, width)) - 1 // minus "No plan yet"
	p := session.Plan{Steps: m.Plan.Steps[:min(target, len(m.Plan.Steps))]}
	if len(p.Steps) == 0 {
		return head
	}
	return len(Render(p, Frame{Editing: -1, Awaiting: m.Awaiting}, st, width))
}
