package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui"
	"gitlab.com/wend/wend/ui/uitest"
)

// methods lists the backend calls by name, in order.
func methods(be *uitest.Backend) string {
	var out []string
	for _, c := range be.Calls() {
		out = append(out, c.Method)
	}
	return strings.Join(out, " ")
}

// ctrl+c with text in the input clears the input; the run goes on.
func TestCtrlCClearsTheInputFirst(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1"}, session.StepStarted{StepID: "1", Title: "Work"})
	tm := newTM(t, be, ui.Options{})
	waitOut(t, tm, "running")
	tm.Type("half a thought")
	waitOut(t, tm, "thought")
	tm.Send(key("ctrl+c"))
	tm.Send(key("ctrl+p")) // calls run in order: a Stop would come before this Pause
	waitCalls(t, be, "Pause", 1)
	if got := methods(be); got != "Pause" {
		t.Fatalf("ctrl+c with text in the input called %q; it should only clear the input", got)
	}
	if v := finalView(t, tm); strings.Contains(v, "half a thought") {
		t.Fatalf("the input should be empty:\n%s", v)
	}
}

// With an empty input, the first ctrl+c says what a second one does; the second
// stops the run, and one more quits.
func TestCtrlCAsksBeforeStoppingTheRun(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1"}, session.StepStarted{StepID: "1", Title: "Work"})
	tm := newTM(t, be, ui.Options{})
	waitOut(t, tm, "running")
	tm.Send(key("ctrl+c"))
	waitOut(t, tm, "again to stop the run")
	tm.Send(key("ctrl+p")) // another key disarms
	waitCalls(t, be, "Pause", 1)
	if got := methods(be); got != "Pause" {
		t.Fatalf("one ctrl+c called %q; it should only ask", got)
	}
	tm.Send(key("ctrl+c"))
	tm.Send(key("ctrl+c"))
	waitCalls(t, be, "Stop", 1)
	waitOut(t, tm, "again to quit")
	tm.Send(key("ctrl+c"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

// Idle, ctrl+c twice quits; once only asks.
func TestCtrlCTwiceQuitsWhenIdle(t *testing.T) {
	be := uitest.NewBackend()
	tm := newTM(t, be, ui.Options{})
	tm.Send(key("ctrl+c"))
	waitOut(t, tm, "again to quit")
	tm.Send(key("ctrl+c"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	if got := methods(be); got != "" {
		t.Fatalf("idle ctrl+c called %q", got)
	}
}
