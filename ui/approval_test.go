package ui_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui"
	"gitlab.com/wend/wend/ui/uitest"
)

// An approval waits while the user looks around: the review, the help and the
// plan open from it, and its own keys work again once back.
func TestApprovalLeavesReviewHelpAndPlanOpen(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1"}, session.PlanProposed{Plan: samplePlan()},
		session.ToolCalled{CallID: "c1", Tool: "run_command", Args: []byte(`{"command":"go test ./..."}`)},
		session.ApprovalRequested{Request: session.ApprovalRequest{ID: "a1", Kind: session.ApproveCommand, Tool: "run_command",
			Command: "go test ./...", Prefix: "go test"}})
	tm := newTM(t, be, ui.Options{Review: sampleChanges()})
	waitOut(t, tm, "Allow this command?")
	tm.Send(key("ctrl+r"))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		s := ansi.Strip(string(b))
		return strings.Contains(s, "auth/session.go") && strings.Contains(s, "esc returns here to decide")
	}, teatest.WithDuration(5*time.Second))
	tm.Send(key("ctrl+r"))
	tm.Send(key("?"))
	waitOut(t, tm, "Approval")
	tm.Send(key("esc")) // closes the help
	tm.Send(key("tab")) // the plan
	tm.Send(key("j"))
	tm.Send(key("s")) // skip step 2: a plan key, not "approve for this step"
	edits := waitCalls(t, be, "EditPlan", 1)
	if e := edits[0].(session.PlanEdit); e.Op != session.EditSkip {
		t.Fatalf("plan key went elsewhere: %+v", e)
	}
	tm.Send(key("esc"))
	tm.Send(key("y"))
	rs := waitCalls(t, be, "Resolve", 1)
	if d := rs[0].(session.Decision); d.RequestID != "a1" || !d.Approve || d.Scope != session.ScopeOnce {
		t.Fatalf("approval: %+v", d)
	}
	finalView(t, tm)
}

// The approval shows what it approves: the whole command and where it runs.
func TestApprovalShowsTheWholeCommandAndItsDirectory(t *testing.T) {
	be := uitest.NewBackend()
	long := "go test -run 'TestSessionExpiry|TestRefreshKeepsTheSession' -count=1 -race -timeout 120s ./auth/... ./store/... ./cmd/shop/..."
	be.Emit(session.SessionStarted{SessionID: "s1"},
		session.ToolCalled{CallID: "c2", Tool: "run_command", Args: []byte(`{"command":"` + long + `"}`)},
		session.ApprovalRequested{Request: session.ApprovalRequest{ID: "a2", Kind: session.ApproveCommand, Tool: "run_command", Command: long}})
	tm := newTM(t, be, ui.Options{WorkDir: "/home/ana/shop"})
	waitOut(t, tm, "Allow this command?")
	v := finalView(t, tm)
	flat := strings.Join(strings.Fields(strings.NewReplacer("│", " ", "$", " ").Replace(v)), " ")
	if !strings.Contains(flat, "./cmd/shop/...") || !strings.Contains(v, "/home/ana/shop") {
		t.Fatalf("the command dialog should show the whole command and its directory:\n%s", v)
	}
}

// An edit's approval previews the lines it changes.
func TestApprovalShowsEditPreview(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1"},
		session.ToolCalled{CallID: "c1", Tool: "edit_file", Args: []byte(`{"path":"auth/session.go","old_string":"return time.Now().Before(s.Expires)","new_string":"return s.clock().Before(s.Expires)"}`)},
		session.ApprovalRequested{Request: session.ApprovalRequest{ID: "a1", Kind: session.ApproveWrite, Tool: "edit_file",
			Path: "auth/session.go", Detail: "edit auth/session.go: replace 1 line with 1 line"}})
	tm := newTM(t, be, ui.Options{})
	waitOut(t, tm, "Allow this edit?")
	v := finalView(t, tm)
	if !strings.Contains(v, "- return time.Now().Before(s.Expires)") || !strings.Contains(v, "+ return s.clock().Before(s.Expires)") {
		t.Fatalf("the edit dialog should preview the change:\n%s", v)
	}
}

// End to end: the terminal loses focus, an approval arrives, and the program
// writes a bell and an OSC 9 notification naming the command.
func TestApprovalNotifiesAnUnfocusedTerminal(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1"})
	tm := newTM(t, be, ui.Options{})
	waitOut(t, tm, "running")
	tm.Send(tea.BlurMsg{})
	be.Emit(session.ApprovalRequested{Request: session.ApprovalRequest{ID: "a1", Kind: session.ApproveCommand, Tool: "run_command", Command: "make check"}})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("\a\x1b]9;wend: approval needed: make check\a")) },
		teatest.WithDuration(5*time.Second))
	finalView(t, tm)
}
