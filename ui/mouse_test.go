package ui_test

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui"
	"gitlab.com/wend/wend/ui/uitest"
)

// The terminal keeps the mouse unless the user asks for capture (mouse = true):
// selecting and copying text works the way a terminal user expects.
func TestMouseIsTheTerminalsByDefault(t *testing.T) {
	if mm := ui.New(uitest.NewBackend(), ui.Options{}).View().MouseMode; mm != tea.MouseModeNone {
		t.Fatalf("mouse mode %v by default, want none", mm)
	}
	if mm := ui.New(uitest.NewBackend(), ui.Options{Mouse: true}).View().MouseMode; mm != tea.MouseModeCellMotion {
		t.Fatalf("mouse mode %v with Mouse, want cell motion", mm)
	}
	if mm := ui.New(nil, ui.Options{FirstRun: true, Mouse: true}).View().MouseMode; mm != tea.MouseModeNone {
		t.Fatalf("the first-run screen captures the mouse (%v): its commands must be selectable", mm)
	}
}

// The mouse key toggles capture and says what it did.
func TestMouseKeyTogglesCapture(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1"})
	tm := newTM(t, be, ui.Options{})
	waitOut(t, tm, "running")
	tm.Send(key("ctrl+s"))
	waitOut(t, tm, "mouse captured")
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*ui.Model)
	if fm.View().MouseMode != tea.MouseModeCellMotion {
		t.Fatal("the mouse key should capture the mouse")
	}
}

// The first-run screen's commands stay in the terminal after quitting: the
// alternate screen takes them away, so they are printed after it.
func TestFirstRunLeavesItsCommandsBehind(t *testing.T) {
	after := ui.New(nil, ui.Options{FirstRun: true}).AfterQuit()
	for _, want := range []string{"export ANTHROPIC_API_KEY=", "export OPENAI_API_KEY=", "export GITLAB_TOKEN=", "wend --provider gitlab-duo", "wend demo"} {
		if !strings.Contains(after, want) {
			t.Errorf("after quitting the first-run screen, %q is gone:\n%s", want, after)
		}
	}
	if strings.Contains(after, "\x1b") {
		t.Errorf("the text left behind has escape codes: %q", after)
	}
}
