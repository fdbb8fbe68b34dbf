// Package plan is the plan checklist: a pure renderer and a small model that turns
// keys into session.PlanEdit values. It never changes the plan itself; the plan it
// shows is always the last one the engine reported.
package plan

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/internal/termtext"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/styles"
)

// Frame is what the renderer needs beyond the plan.
type Frame struct {
	Cursor   int  // selected step, shown when Focused
	Focused  bool // the checklist has the keyboard
	Spinner  string
	Awaiting bool // the plan waits for the user's go
	// Editing is the index of the step being reworded (-1 none); EditLine is the
	// rendered input that replaces its title. Adding shows EditLine after Cursor.
	Editing  int
	Adding   bool
	EditLine string
	GoKey    string // key that approves the plan, for the banner
}

// Icon is the status glyph and its style.
func Icon(s session.StepStatus, st styles.Styles, spinner string) (string, lipgloss.Style) {
	switch s {
	case session.StepRunning:
		if spinner == "" {
			spinner = "▸"
		}
		return spinner, st.StepRunning
	case session.StepDone:
		return "✓", st.StepDone
	case session.StepSkipped:
		return "–", st.StepSkipped
	case session.StepFailed:
		return "✗", st.StepFailed
	}
	return "○", st.StepPending
}

// Render draws the checklist as lines no wider than width. Titles and notes wrap.
func Render(p session.Plan, f Frame, st styles.Styles, width int) []string {
	if width < 8 {
		width = 8
	}
	var out []string
	done, total := p.Done()
	head := st.Title.Render("Plan") + st.Muted.Render(fmt.Sprintf(" %d/%d", done, total))
	out = append(out, ansi.Truncate(head, width, "…"))
	if f.Awaiting {
		msg := "Waiting for your go"
		if f.GoKey != "" {
			msg += " (" + f.GoKey + ")"
		}
		for _, l := range wrap(msg, width) {
			out = append(out, st.Warn.Render(l))
		}
	}
	if total == 0 && !f.Adding {
		out = append(out, st.Muted.Render(ansi.Truncate("No plan yet", width, "…")))
	}
	for i, s := range p.Steps {
		icon, ist := Icon(s.Status, st, f.Spinner)
		prefix := ist.Render(icon) + " "
		indent := strings.Repeat(" ", ansi.StringWidth(icon)+1)
		tw := max(width-ansi.StringWidth(icon)-1, 4)
		if f.Editing == i {
			out = append(out, prefix+ansi.Truncate(f.EditLine, tw, ""))
		} else {
			tst := st.Base
			switch s.Status {
			case session.StepSkipped:
				tst = st.StepSkipped
			case session.StepRunning:
				tst = st.Bold
			case session.StepPending:
				tst = st.Base
			case session.StepDone:
				tst = st.Muted
			case session.StepFailed:
				tst = st.StepFailed
			}
			if f.Focused && i == f.Cursor {
				tst = tst.Inherit(st.Selected).Reverse(true)
			}
			for j, l := range wrap(s.Title, tw) {
				if j == 0 {
					out = append(out, prefix+tst.Render(l))
				} else {
					out = append(out, indent+tst.Render(l))
				}
			}
		}
		if s.Note != "" {
			for _, l := range wrap(s.Note, max(tw-2, 2)) {
				out = append(out, indent+st.StepNote.Render("↳ "+l))
			}
		}
		if f.Adding && i == f.Cursor {
			out = append(out, st.Accent.Render("+")+" "+ansi.Truncate(f.EditLine, tw, ""))
		}
	}
	if f.Adding && (len(p.Steps) == 0 || f.Cursor >= len(p.Steps)) {
		out = append(out, st.Accent.Render("+")+" "+ansi.Truncate(f.EditLine, width-2, ""))
	}
	return out
}

// wrap breaks plain text into lines of at most width cells. Titles and notes
// come from the model, so they are sanitized here, the one way into the lines.
func wrap(s string, width int) []string {
	s = termtext.Sanitize(s)
	if width <= 0 {
		return []string{s}
	}
	w := ansi.Wrap(s, width, " -")
	return strings.Split(w, "\n")
}
