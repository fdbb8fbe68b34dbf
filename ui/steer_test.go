package ui_test

import (
	"strings"
	"sync/atomic"
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
	tm.Type("XYZZY 9")
	tm.Send(key("ctrl+c"))
	tm.Send(key("ctrl+p")) // calls run in order: a Stop would come before this Pause
	waitCalls(t, be, "Pause", 1)
	if got := methods(be); got != "Pause" {
		t.Fatalf("ctrl+c with text in the input called %q; it should only clear the input", got)
	}
	if v := finalView(t, tm); strings.Contains(v, "XYZZY") {
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

func runningPlan() session.Plan {
	p := samplePlan()
	p.Steps[1].Status = session.StepRunning
	return p
}

// toolLine is the transcript line of a tool call.
func toolLine(t *testing.T, v, tool string) string {
	t.Helper()
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, "⚙ "+tool) {
			return l
		}
	}
	t.Fatalf("no %s line in:\n%s", tool, v)
	return ""
}

// A stop leaves no step marked running and no tool waiting for a result, and
// says who stopped it.
func TestStopMarksTheRunningStepAndTool(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1"}, session.PlanProposed{Plan: samplePlan()},
		session.StepStarted{StepID: "2", Title: "Fix the expiry check"},
		session.ToolCalled{CallID: "c1", Tool: "run_command", Args: []byte(`{"command":"go test ./auth/..."}`)},
		session.SessionFinished{State: session.StateStopped, Summary: "stopped by the user", Plan: runningPlan()})
	tm := newTM(t, be, ui.Options{})
	waitOut(t, tm, "Stopped by you")
	v := finalView(t, tm)
	if strings.Contains(v, "▸") || strings.Contains(v, "Done: stopped") {
		t.Fatalf("the stopped step still looks running, or the stop reads as done:\n%s", v)
	}
	if l := toolLine(t, v, "run_command"); strings.Contains(l, "…") || !strings.Contains(l, "stopped") {
		t.Fatalf("the interrupted tool should say stopped: %q", l)
	}
}

func TestFailureMarksTheRunningStepAndTool(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1"}, session.PlanProposed{Plan: samplePlan()},
		session.StepStarted{StepID: "2", Title: "Fix the expiry check"},
		session.ToolCalled{CallID: "c1", Tool: "run_command", Args: []byte(`{"command":"go test ./auth/..."}`)},
		session.SessionFinished{State: session.StateFailed, Error: "the model is unavailable", Plan: runningPlan()})
	tm := newTM(t, be, ui.Options{})
	waitOut(t, tm, "unavailable")
	v := finalView(t, tm)
	if strings.Contains(v, "▸") || !strings.Contains(v, "✗ Fix the expiry check") {
		t.Fatalf("the step running at the failure should be marked failed:\n%s", v)
	}
	if l := toolLine(t, v, "run_command"); strings.Contains(l, "…") {
		t.Fatalf("the interrupted tool still waits: %q", l)
	}
}

// On a finished session's plan, the hint line and the help advertise no edits.
func TestFinishedPlanAdvertisesNoEdits(t *testing.T) {
	be := uitest.NewBackend()
	p := samplePlan()
	p.Steps[1].Status, p.Steps[2].Status = session.StepDone, session.StepDone
	be.Emit(session.SessionStarted{SessionID: "s1"}, session.PlanProposed{Plan: samplePlan()},
		session.SessionFinished{State: session.StateFinished, Summary: "fixed", Plan: p})
	tm := newTM(t, be, ui.Options{})
	waitOut(t, tm, "Done: fixed")
	tm.Send(key("tab"))
	tm.Send(key("d"))
	tm.Send(key("?"))
	waitOut(t, tm, "any key closes")
	v := finalView(t, tm)
	for _, desc := range []string{"reword step", "delete step", "skip step", "move step", "add step"} {
		if strings.Contains(v, desc) {
			t.Errorf("the help offers %q on a finished plan:\n%s", desc, v)
		}
	}
	if n := len(be.CallsOf("EditPlan")); n != 0 {
		t.Errorf("d on a finished plan sent %d edits", n)
	}
}

func TestFinishedPlanHintsNoEdits(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1"}, session.PlanProposed{Plan: samplePlan()},
		session.SessionFinished{State: session.StateFinished, Summary: "fixed", Plan: samplePlan()})
	tm := newTM(t, be, ui.Options{})
	waitOut(t, tm, "Done: fixed")
	tm.Send(key("tab"))
	v := finalView(t, tm)
	if strings.Contains(v, "reword step") || strings.Contains(v, "delete step") {
		t.Errorf("the hints offer edits on a finished plan:\n%s", v)
	}
}

// The input's placeholder says what Enter does: a new task when nothing runs,
// an adjustment while a task runs.
func TestPlaceholderMatchesWhatEnterDoes(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1"}, session.StepStarted{StepID: "1", Title: "Work"})
	tm := newTM(t, be, ui.Options{})
	waitOut(t, tm, "Adjust the running task")
	be.Emit(session.SessionFinished{State: session.StateFinished, Summary: "fixed"})
	waitOut(t, tm, "Done: fixed")
	if v := finalView(t, tm); !strings.Contains(v, "Describe a task") {
		t.Fatalf("a finished session takes a new task:\n%s", v)
	}
}

// A command's duration counts from its approval: the time the user took to
// approve it is not the command's.
func TestCommandDurationLeavesOutTheApprovalWait(t *testing.T) {
	be := uitest.NewBackend()
	var after atomic.Int64 // the fake engine's clock, read from the UI's goroutine
	be.Clock = func() time.Time { return epoch.Add(time.Duration(after.Load())) }
	be.Emit(session.SessionStarted{SessionID: "s1"},
		session.ToolCalled{CallID: "c1", Tool: "run_command", Args: []byte(`{"command":"go test ./..."}`)},
		session.ApprovalRequested{Request: session.ApprovalRequest{ID: "a1", Kind: session.ApproveCommand, Tool: "run_command", Command: "go test ./..."}})
	tm := newTM(t, be, ui.Options{})
	waitOut(t, tm, "Allow this command?")
	after.Store(int64(24 * time.Second)) // the user thinks it over
	tm.Send(key("y"))
	waitCalls(t, be, "Resolve", 1)
	waitOut(t, tm, "Approved: go test")
	after.Store(int64(51200 * time.Millisecond))
	be.Emit(session.ToolFinished{CallID: "c1", Tool: "run_command", Summary: "ok", Duration: 51200 * time.Millisecond})
	waitOut(t, tm, "→ ok")
	if l := toolLine(t, finalView(t, tm), "run_command"); !strings.Contains(l, "(27.2s)") {
		t.Fatalf("the duration should count from the approval (27.2s): %q", l)
	}
}

// Reword, add, move, then delete against an engine that applies each edit:
// every edit the backend receives names the step the user had selected.
func TestPlanEditsAfterRewordAddMoveNameTheSelectedStep(t *testing.T) {
	be := uitest.NewBackend()
	p := session.Plan{NextID: 5, Steps: []session.Step{
		{ID: "1", Title: "Read stats.go", Status: session.StepDone},
		{ID: "2", Title: "Fix the bug in stats.go (Mean)", Status: session.StepPending},
		{ID: "3", Title: "Add a test", Status: session.StepPending},
		{ID: "4", Title: "Run the tests", Status: session.StepPending},
	}}
	be.Plan = p.Clone()
	be.Emit(session.SessionStarted{SessionID: "s1"}, session.PlanProposed{Plan: p, AwaitingApproval: true})
	tm := newTM(t, be, ui.Options{})
	waitOut(t, tm, "Waiting for your go")
	tm.Send(key("tab"))
	tm.Send(key("down"))
	tm.Send(key("down")) // step 3
	tm.Send(key("e"))
	tm.Type("!")
	tm.Send(key("enter"))
	waitCalls(t, be, "EditPlan", 1)
	waitOut(t, tm, "reworded step 3")
	tm.Send(key("a")) // after step 3
	tm.Type("Log the inputs")
	tm.Send(key("enter"))
	waitCalls(t, be, "EditPlan", 2)
	waitOut(t, tm, "added step 5")
	tm.Send(key("down")) // the new step 5
	tm.Send(key("K"))    // above step 3
	waitCalls(t, be, "EditPlan", 3)
	waitOut(t, tm, "moved step 5")
	tm.Send(key("d"))
	edits := waitCalls(t, be, "EditPlan", 4)
	want := []session.PlanEdit{
		{Op: session.EditReword, StepID: "3", Title: "Add a test!"},
		{Op: session.EditAdd, Title: "Log the inputs", After: "3"},
		{Op: session.EditMove, StepID: "5", By: -1},
		{Op: session.EditDelete, StepID: "5"},
	}
	for i, w := range want {
		if edits[i].(session.PlanEdit) != w {
			t.Errorf("edit %d: got %+v, want %+v", i, edits[i], w)
		}
	}
	finalView(t, tm)
}
