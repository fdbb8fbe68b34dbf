package plan

import (
	"testing"

	tea "charm.land/bubbletea/v2"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/keys"
	"gitlab.com/wend/wend/ui/styles"
)

func press(t *testing.T, m Model, km keys.KeyMap, keys ...string) (Model, []session.PlanEdit) {
	t.Helper()
	var edits []session.PlanEdit
	for _, k := range keys {
		var msg tea.KeyPressMsg
		switch k {
		case "enter":
			msg = tea.KeyPressMsg{Code: tea.KeyEnter}
		case "backspace":
			msg = tea.KeyPressMsg{Code: tea.KeyBackspace}
		default:
			msg = tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
		}
		var e *session.PlanEdit
		m, e, _ = m.Update(msg, km)
		if e != nil {
			edits = append(edits, *e)
		}
	}
	return m, edits
}

// apply is what the engine does with an edit: the UI then gets the whole plan.
func apply(t *testing.T, m *Model, e session.PlanEdit) {
	t.Helper()
	p := m.Plan.Clone()
	if _, err := p.Apply(e); err != nil {
		t.Fatalf("%+v: %v", e, err)
	}
	m.SetPlan(p)
}

// Reword, add, move, then delete: every edit names the step the user had
// selected, even when the engine's answer to an earlier edit lands while the
// inline editor is open (the editor used to remember a position, and the plan
// under it had shifted).
func TestEditsNameTheSelectedStepAfterTheyReorderThePlan(t *testing.T) {
	km := keys.Default()
	m := New(styles.New(true, true))
	m.SetPlan(session.Plan{NextID: 5, Steps: []session.Step{
		{ID: "1", Title: "Read stats.go", Status: session.StepDone},
		{ID: "2", Title: "Fix the bug in stats.go (Mean)", Status: session.StepPending},
		{ID: "3", Title: "Add a test", Status: session.StepPending},
		{ID: "4", Title: "Run the tests", Status: session.StepPending},
	}})
	m.Focus()

	// Reword step 3.
	m, edits := press(t, m, km, "j", "j", "e", "s", "enter")
	if len(edits) != 1 || edits[0].Op != session.EditReword || edits[0].StepID != "3" {
		t.Fatalf("reword: %+v", edits)
	}
	apply(t, &m, edits[0])

	// Add a step after step 1, then move it down past step 2.
	m, edits = press(t, m, km, "k", "k", "a", "L", "o", "g", "enter")
	if len(edits) != 1 || edits[0].Op != session.EditAdd || edits[0].After != "1" {
		t.Fatalf("add: %+v", edits)
	}
	apply(t, &m, edits[0]) // new step 5 sits after step 1
	m, edits = press(t, m, km, "j", "J")
	if len(edits) != 1 || edits[0].Op != session.EditMove || edits[0].StepID != "5" {
		t.Fatalf("move: %+v", edits)
	}
	apply(t, &m, edits[0]) // 1, 2, 5, 3, 4; the cursor follows step 5

	// Start rewording step 4; the engine's answer to an earlier add lands while
	// the editor is open and puts a step above it.
	m, _ = press(t, m, km, "j", "j", "e")
	apply(t, &m, session.PlanEdit{Op: session.EditAdd, Title: "Earlier add", After: "1"})
	m, edits = press(t, m, km, "!", "enter")
	if len(edits) != 1 || edits[0].StepID != "4" || edits[0].Title != "Run the tests!" {
		t.Fatalf("reword after the plan shifted: %+v, want step 4 \"Run the tests!\"", edits)
	}

	// Delete step 5: the edit names step 5, not the step at its old position.
	m, _ = press(t, m, km, "k", "k")
	if s, _ := m.Selected(); s.ID != "5" {
		t.Fatalf("cursor on %q, want step 5 (plan %+v)", s.ID, m.Plan.Steps)
	}
	_, edits = press(t, m, km, "d")
	if len(edits) != 1 || edits[0] != (session.PlanEdit{Op: session.EditDelete, StepID: "5"}) {
		t.Fatalf("delete: %+v", edits)
	}
}

// A plan whose session is over takes no edits, and a step that has finished
// takes none but an added step after it: the keys that would be refused send
// nothing (and the UI hides them, from Can).
func TestEditsOnlyWhereTheyApply(t *testing.T) {
	km := keys.Default()
	m := New(styles.New(true, true))
	m.SetPlan(session.Plan{NextID: 3, Steps: []session.Step{
		{ID: "1", Title: "Read stats.go", Status: session.StepDone},
		{ID: "2", Title: "Fix the bug", Status: session.StepPending},
	}})
	m.Focus()
	if _, edits := press(t, m, km, "d", "s", "J"); len(edits) != 0 {
		t.Fatalf("edits of a finished step: %+v", edits)
	}
	if m.Can(session.EditDelete) || !m.Can(session.EditAdd) {
		t.Fatal("on a done step only add applies")
	}
	m.Locked = true
	m, _ = press(t, m, km, "j")
	if _, edits := press(t, m, km, "d", "s", "K", "e", "x", "enter", "a", "y", "enter"); len(edits) != 0 {
		t.Fatalf("edits of a finished session's plan: %+v", edits)
	}
	for _, op := range []session.PlanEditOp{session.EditReword, session.EditAdd, session.EditDelete, session.EditMove, session.EditSkip} {
		if m.Can(op) {
			t.Errorf("a locked plan says it can %s", op)
		}
	}
}
