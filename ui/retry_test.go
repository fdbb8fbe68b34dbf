package ui_test

import (
	"strings"
	"testing"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui"
	"gitlab.com/wend/wend/ui/uitest"
)

// After a task failed, `/retry` typed in the input asks the engine to repeat
// the session's newest task (a Task with Retry and no text), and any other
// sentence starts a follow-up task, not an adjustment.
func TestRetryAndFollowUpAfterAFailedTask(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1", Task: "fix login"},
		session.SessionFinished{State: session.StateFailed, Error: "the model server is overloaded"})
	tm := newTM(t, be, ui.Options{})
	waitOut(t, tm, "overloaded")
	tm.Type("/retry")
	tm.Send(key("enter"))
	starts := waitCalls(t, be, "Start", 1)
	if task := starts[0].(session.Task); !task.Retry || task.Text != "" {
		t.Fatalf("/retry started %+v", task)
	}
	be.Emit(session.SessionStarted{SessionID: "s1", Task: "fix login", TaskIndex: 1, Retry: true},
		session.SessionFinished{State: session.StateFinished, Summary: "login fixed on the second try"})
	waitOut(t, tm, "second try")
	tm.Type("now add a test")
	tm.Send(key("enter"))
	starts = waitCalls(t, be, "Start", 2)
	if task := starts[1].(session.Task); task.Retry || task.Text != "now add a test" {
		t.Fatalf("the follow-up started %+v", task)
	}
	if n := len(be.CallsOf("Adjust")); n != 0 {
		t.Fatalf("%d adjustments sent", n)
	}
}

// A session reopened from the store (`wend resume`) replays its events: each
// task's own words come back into the transcript, though this UI never typed
// them.
func TestReplayedSessionShowsEveryTask(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1", Task: "fix the login check"},
		session.SessionFinished{State: session.StateFinished, Summary: "fixed"},
		session.SessionStarted{SessionID: "s1", Task: "now add a regression test", TaskIndex: 1},
		session.SessionFinished{State: session.StateInterrupted, Error: "wend stopped (killed or crashed)"})
	tm := newTM(t, be, ui.Options{})
	waitOut(t, tm, "killed or crashed")
	view := finalView(t, tm)
	for _, want := range []string{"fix the login check", "now add a regression test"} {
		if !strings.Contains(view, want) {
			t.Errorf("the transcript lacks %q:\n%s", want, view)
		}
	}
}
