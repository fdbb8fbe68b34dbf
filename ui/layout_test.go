package ui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui"
	"gitlab.com/wend/wend/ui/uitest"
)

// busyTranscript is a session with more transcript than fits the screen.
func busyTranscript(be *uitest.Backend, last string) {
	be.Emit(session.SessionStarted{SessionID: "s1"}, session.PlanProposed{Plan: samplePlan()})
	for i := range 40 {
		be.Emit(session.Notice{Level: "info", Text: fmt.Sprintf("line %d", i)})
	}
	be.Emit(session.Notice{Level: "info", Text: last})
}

// Leaving the review (which takes the whole width) gives the transcript back
// its place beside the plan at once: its lines wrap there instead of running
// under the divider.
func TestLeavingTheReviewRelaysOutTheTranscript(t *testing.T) {
	be := uitest.NewBackend()
	last := "The last notice is long enough to need wrapping beside the plan panel, and it ends with SENTINEL"
	busyTranscript(be, last)
	tm := newTM(t, be, ui.Options{Review: sampleChanges()})
	waitOut(t, tm, "line 39")
	tm.Send(key("ctrl+r"))
	waitOut(t, tm, "auth/session.go")
	tm.Send(key("ctrl+r"))
	waitOut(t, tm, "Plan 1/3")
	if v := finalView(t, tm); !strings.Contains(v, "SENTINEL") {
		t.Fatalf("the transcript's last line is cut at the divider:\n%s", v)
	}
}

// Leaving plan focus at 80x24 collapses the plan and the transcript takes the
// rows back: no blank rows open between it and the input.
func TestLeavingPlanFocusLeavesNoGap(t *testing.T) {
	be := uitest.NewBackend()
	busyTranscript(be, "the very last notice")
	tm := teatest.NewTestModel(t, ui.New(be, ui.Options{NoColor: true, Clock: func() time.Time { return epoch }}),
		teatest.WithInitialTermSize(80, 24))
	waitOut(t, tm, "the very last notice")
	tm.Send(key("tab"))
	waitOut(t, tm, "add step after")
	tm.Send(key("esc"))
	waitOut(t, tm, "tab to edit")
	v := finalView(t, tm)
	lines := strings.Split(v, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "╭") || strings.HasPrefix(l, "┏") {
			// The transcript ends with one blank separator, then the input.
			if i < 2 || !strings.Contains(lines[i-2]+lines[i-1], "the very last notice") {
				t.Fatalf("blank rows open between the transcript and the input:\n%s", v)
			}
			return
		}
	}
	t.Fatalf("no input box:\n%s", v)
}

// At 80x24 the help pages: every group is on some page, turned with pgdn.
func TestHelpPagesAt80x24(t *testing.T) {
	be := uitest.NewBackend()
	tm := teatest.NewTestModel(t, ui.New(be, ui.Options{NoColor: true, Clock: func() time.Time { return epoch }}),
		teatest.WithInitialTermSize(80, 24))
	tm.Send(key("?"))
	waitOut(t, tm, "page 1/2")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyPgDown})
	v := finalView(t, tm)
	if !strings.Contains(v, "page 2/2") || !strings.Contains(v, "Review") {
		t.Fatalf("pgdn should turn to the second page:\n%s", v)
	}
}
