package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/uitest"
)

var approval = session.ApprovalRequested{Request: session.ApprovalRequest{ID: "a1", Kind: session.ApproveCommand,
	Tool: "run_command", Command: "go test ./..."}}

// When the session waits for the user and the terminal is not focused, the UI
// signals it (bell and OSC 9); focused, or with notify off, it keeps quiet.
func TestNotifiesOnlyWhenWaitingUnfocused(t *testing.T) {
	m := New(uitest.NewBackend(), Options{})
	m.onEvent(session.Event{Payload: session.SessionStarted{SessionID: "s1"}})
	if s := m.notification(approval); s != "" {
		t.Fatalf("focused terminal notified: %q", s)
	}
	m.Update(tea.BlurMsg{})
	s := m.notification(approval)
	if !strings.Contains(s, "\x1b]9;") || !strings.Contains(s, "go test ./...") || !strings.HasPrefix(s, "\a") {
		t.Fatalf("unfocused: %q, want a bell and an OSC 9 naming the command", s)
	}
	for _, p := range []session.Payload{
		session.InputRequested{RequestID: "q1", Question: "Which database?"},
		session.PlanProposed{AwaitingApproval: true},
		session.SessionFinished{State: session.StateFinished, Summary: "fixed"},
	} {
		if m.notification(p) == "" {
			t.Errorf("%T while unfocused: no notification", p)
		}
	}
	if s := m.notification(session.TextDelta{Text: "hi"}); s != "" {
		t.Errorf("text notified: %q", s)
	}
	m.Update(tea.FocusMsg{})
	if s := m.notification(approval); s != "" {
		t.Fatalf("focused again, still notified: %q", s)
	}

	off := New(uitest.NewBackend(), Options{Notify: "off"})
	off.Update(tea.BlurMsg{})
	if s := off.notification(approval); s != "" || off.View().ReportFocus {
		t.Fatalf("notify = off: %q, focus reporting %v", s, off.View().ReportFocus)
	}
	bell := New(uitest.NewBackend(), Options{Notify: "bell"})
	bell.Update(tea.BlurMsg{})
	if s := bell.notification(approval); s != "\a" {
		t.Fatalf("notify = bell: %q", s)
	}
	tmux := New(uitest.NewBackend(), Options{Tmux: true})
	tmux.Update(tea.BlurMsg{})
	if s := tmux.notification(approval); !strings.Contains(s, "\x1bPtmux;\x1b\x1b]9;") {
		t.Fatalf("under tmux the OSC must be passed through: %q", s)
	}
}

// OSC 9;4 progress follows the session: busy while it runs, paused while it
// waits for the user, error when it fails, cleared when it ends well.
func TestProgressFollowsTheSession(t *testing.T) {
	m := New(uitest.NewBackend(), Options{})
	steps := []struct {
		p    session.Payload
		want string
	}{
		{session.SessionStarted{SessionID: "s1"}, "\x1b]9;4;3\a"},
		{approval, "\x1b]9;4;4;100\a"},
		{session.ApprovalResolved{RequestID: "a1", Approved: true}, "\x1b]9;4;3\a"},
		{session.SessionFinished{State: session.StateFailed, Error: "boom"}, "\x1b]9;4;2;100\a"},
		{session.SessionStarted{SessionID: "s1"}, "\x1b]9;4;3\a"},
		{session.SessionFinished{State: session.StateFinished}, "\x1b]9;4;0\a"},
	}
	for i, s := range steps {
		m.onEvent(session.Event{Payload: s.p})
		if got := m.progressChange(); got != s.want {
			t.Fatalf("step %d (%T): progress %q, want %q", i, s.p, got, s.want)
		}
		if again := m.progressChange(); again != "" {
			t.Fatalf("step %d: an unchanged state re-sent %q", i, again)
		}
	}
}
