package store

import (
	"testing"

	"gitlab.com/wend/wend/session"
)

// A session that is not over says what it waits on: the user's answer (an
// approval or a question not answered yet) before a pause, and a pause until
// it is resumed; each new task starts clean.
func TestSummarizeWaitingAndPaused(t *testing.T) {
	ev := func(ps ...session.Payload) []session.Event {
		var out []session.Event
		for i, p := range ps {
			out = append(out, session.Event{Seq: int64(i + 1), Payload: p})
		}
		return out
	}
	start := session.SessionStarted{SessionID: "s", Task: "t"}
	ask := session.ApprovalRequested{Request: session.ApprovalRequest{ID: "a1", Kind: session.ApproveCommand}}
	for _, c := range []struct {
		name   string
		events []session.Event
		want   session.State
	}{
		{"running", ev(start), session.StateRunning},
		{"approval pending", ev(start, ask), session.StateWaiting},
		{"approval answered", ev(start, ask, session.ApprovalResolved{RequestID: "a1", Approved: true}), session.StateRunning},
		{"question pending", ev(start, session.InputRequested{RequestID: "q"}), session.StateWaiting},
		{"question answered", ev(start, session.InputRequested{RequestID: "q"}, session.InputAnswered{RequestID: "q"}), session.StateRunning},
		{"paused", ev(start, session.Paused{}), session.StatePaused},
		{"paused and waiting", ev(start, session.Paused{}, ask), session.StateWaiting},
		{"resumed", ev(start, session.Paused{}, session.Resumed{}), session.StateRunning},
		{"finished while paused", ev(start, session.Paused{}, session.SessionFinished{State: session.StateStopped}), session.StateStopped},
		{"next task starts clean", ev(start, session.Paused{}, ask, session.SessionFinished{State: session.StateStopped}, start), session.StateRunning},
	} {
		if got := Summarize("s", c.events).State; got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
