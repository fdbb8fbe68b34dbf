package ui_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui"
	"gitlab.com/wend/wend/ui/uitest"
)

var epoch = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func samplePlan() session.Plan {
	return session.Plan{NextID: 4, Steps: []session.Step{
		{ID: "1", Title: "Read the failing test", Status: session.StepDone},
		{ID: "2", Title: "Fix the expiry check", Status: session.StepPending},
		{ID: "3", Title: "Add a regression test", Status: session.StepPending},
	}}
}

func sampleChanges() *uitest.Changes {
	return &uitest.Changes{Files: []session.FileChange{
		{Path: "auth/session.go", Kind: session.ChangeModified, Added: 2, Deleted: 2, Language: "go", Hunks: []session.Hunk{
			{ID: "h1", OldStart: 10, OldLines: 3, NewStart: 10, NewLines: 3, State: session.HunkProposed, Lines: []string{
				" func (s *Session) Valid() bool {", "-\treturn time.Now().Before(s.Expires)", "+\treturn s.clock().Before(s.Expires)", " }"}},
			{ID: "h2", OldStart: 40, OldLines: 2, NewStart: 40, NewLines: 2, State: session.HunkProposed, Lines: []string{
				" // Refresh extends the session.", "-func (s *Session) Refresh(d time.Duration) {", "+func (s *Session) Refresh(ttl time.Duration) {"}},
		}},
	}}
}

func key(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	}
	if strings.HasPrefix(s, "ctrl+") {
		return tea.KeyPressMsg{Code: rune(s[5]), Mod: tea.ModCtrl}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

func newTM(t *testing.T, be *uitest.Backend, opts ui.Options) *teatest.TestModel {
	t.Helper()
	opts.Repository, opts.Branch, opts.Model = "acme/shop", "fix-login", "claude-sonnet"
	opts.Clock = func() time.Time { return epoch }
	opts.NoColor = true
	return teatest.NewTestModel(t, ui.New(transport(t, be, &opts), opts), teatest.WithInitialTermSize(120, 40))
}

// waitOut waits until the screen output mentions s.
func waitOut(t *testing.T, tm *teatest.TestModel, s string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains([]byte(ansi.Strip(string(b))), []byte(s))
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

// waitCalls waits until the backend received n calls to method.
// recorded is a fake that records its calls: the backend, or the review port.
type recorded interface {
	CallsOf(method string) []any
	Summary() string
}

func waitCalls(t *testing.T, be recorded, method string, n int) []any {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if c := be.CallsOf(method); len(c) >= n {
			return c
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("want %d %s calls; got:\n%s", n, method, be.Summary())
	return nil
}

func finalView(t *testing.T, tm *teatest.TestModel) string {
	t.Helper()
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
	return ansi.Strip(fm.(*ui.Model).View().Content)
}

func drain(tm *teatest.TestModel) { go io.Copy(io.Discard, tm.Output()) }

func TestPauseAndResume(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1", Task: "fix login"}, session.PlanProposed{Plan: samplePlan()},
		session.StepStarted{StepID: "2", Title: "Fix the expiry check"})
	tm := newTM(t, be, ui.Options{})
	waitOut(t, tm, "Fix the expiry check")
	tm.Send(key("ctrl+p"))
	waitCalls(t, be, "Pause", 1)
	waitOut(t, tm, "paused")
	tm.Send(key("ctrl+p"))
	waitCalls(t, be, "Resume", 1)
	be.Emit(session.SessionFinished{State: session.StateFinished, Summary: "fixed", Plan: samplePlan()})
	waitOut(t, tm, "Done: fixed")
	v := finalView(t, tm)
	if !strings.Contains(v, "finished") {
		t.Fatalf("status should say finished:\n%s", v)
	}
	golden.RequireEqual(t, v)
}

func TestEditPlan(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1"}, session.PlanProposed{Plan: samplePlan(), AwaitingApproval: true})
	tm := newTM(t, be, ui.Options{})
	waitOut(t, tm, "Waiting for your go")
	tm.Send(key("tab")) // focus the plan
	tm.Send(key("down"))
	tm.Send(key("e"))
	tm.Send(tea.KeyPressMsg{Code: tea.KeyBackspace})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyBackspace})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyBackspace})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyBackspace})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyBackspace})
	tm.Type("logic")
	tm.Send(key("enter"))
	edits := waitCalls(t, be, "EditPlan", 1)
	want := session.PlanEdit{Op: session.EditReword, StepID: "2", Title: "Fix the expiry logic"}
	if edits[0] != want {
		t.Fatalf("got %+v, want %+v", edits[0], want)
	}
	tm.Send(key("J")) // move step 2 down
	tm.Send(key("s")) // skip it
	tm.Send(key("a"))
	tm.Type("Update docs")
	tm.Send(key("enter"))
	edits = waitCalls(t, be, "EditPlan", 4)
	if e := edits[1].(session.PlanEdit); e.Op != session.EditMove || e.By != 1 || e.StepID != "2" {
		t.Fatalf("move: %+v", e)
	}
	if e := edits[2].(session.PlanEdit); e.Op != session.EditSkip || e.StepID != "2" {
		t.Fatalf("skip: %+v", e)
	}
	if e := edits[3].(session.PlanEdit); e.Op != session.EditAdd || e.Title != "Update docs" || e.After != "2" {
		t.Fatalf("add: %+v", e)
	}
	tm.Send(key("ctrl+o")) // the user's go
	rs := waitCalls(t, be, "Resolve", 1)
	if d := rs[0].(session.Decision); d.Kind != session.DecideApproval || !d.Approve {
		t.Fatalf("plan approval: %+v", d)
	}
	// The engine's answer is the only truth the checklist shows.
	p := samplePlan()
	p.Steps[1].Title = "Fix the expiry logic"
	be.Emit(session.PlanEdited{Plan: p, Edit: want, Summary: "The user reworded step 2."})
	waitOut(t, tm, "reworded step 2")
	if v := finalView(t, tm); !strings.Contains(v, "Fix the expiry logic") {
		t.Fatalf("the plan should show the engine's wording:\n%s", v)
	}
}

func TestApproveCommand(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1"}, session.PlanProposed{Plan: samplePlan()},
		session.ApprovalRequested{Request: session.ApprovalRequest{ID: "a1", Kind: session.ApproveCommand, Tool: "run_command",
			Command: "go test ./...", Prefix: "go test"}},
		session.ApprovalRequested{Request: session.ApprovalRequest{ID: "a2", Kind: session.ApproveCommand, Tool: "run_command",
			Command: "rm -rf build", Prefix: "rm"}})
	tm := newTM(t, be, ui.Options{})
	waitOut(t, tm, "Allow this command?")
	tm.Send(key("p"))
	waitCalls(t, be, "Resolve", 1)
	waitOut(t, tm, "rm -rf build")
	tm.Send(key("n"))
	tm.Type("not in this repo")
	tm.Send(key("enter"))
	rs := waitCalls(t, be, "Resolve", 2)
	if d := rs[0].(session.Decision); d.RequestID != "a1" || !d.Approve || d.Scope != session.ScopePrefix {
		t.Fatalf("first: %+v", d)
	}
	if d := rs[1].(session.Decision); d.RequestID != "a2" || d.Approve || d.Reason != "not in this repo" {
		t.Fatalf("second: %+v", d)
	}
	be.Emit(session.InputRequested{RequestID: "q1", Question: "Which database?"})
	waitOut(t, tm, "The agent asks")
	tm.Type("postgres")
	tm.Send(key("enter"))
	rs = waitCalls(t, be, "Resolve", 3)
	if d := rs[2].(session.Decision); d.Kind != session.DecideInput || d.RequestID != "q1" || d.Answer != "postgres" {
		t.Fatalf("answer: %+v", d)
	}
	finalView(t, tm)
}

func TestReviewAcceptAndReject(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1"}, session.ChangeStaged{Path: "auth/session.go", Kind: session.ChangeModified})
	rv := sampleChanges()
	tm := newTM(t, be, ui.Options{Review: rv})
	tm.Send(key("ctrl+r"))
	waitOut(t, tm, "auth/session.go")
	tm.Send(key("a")) // accept the first hunk; the cursor moves to the next one
	rs := waitCalls(t, rv, "Decide", 1)
	tm.Send(key("r"))
	waitOut(t, tm, "Reject this hunk")
	tm.Type("keep the parameter name")
	tm.Send(key("enter"))
	rs = waitCalls(t, rv, "Decide", 2)
	if d := rs[0].(session.Decision); d.Kind != session.DecideReview || d.Action != session.ReviewAccept || d.Targets[0] != "h1" {
		t.Fatalf("accept: %+v", d)
	}
	if d := rs[1].(session.Decision); d.Action != session.ReviewReject || d.Targets[0] != "h2" || d.Reason != "keep the parameter name" {
		t.Fatalf("reject: %+v", d)
	}
	tm.Send(key("u"))
	rs = waitCalls(t, rv, "Decide", 3)
	if d := rs[2].(session.Decision); d.Action != session.ReviewUndo || d.Targets[0] != "h2" {
		t.Fatalf("undo: %+v", d)
	}
	finalView(t, tm)
}

func TestAdjustAndWithdraw(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1"}, session.StepStarted{StepID: "1", Title: "Work"})
	tm := newTM(t, be, ui.Options{})
	waitOut(t, tm, "running")
	tm.Type("use the clock interface")
	tm.Send(key("enter"))
	waitCalls(t, be, "Adjust", 1)
	waitOut(t, tm, "reaches the model at the next step")
	tm.Send(key("ctrl+x"))
	ws := waitCalls(t, be, "Withdraw", 1)
	if ws[0] != "adj-1" {
		t.Fatalf("withdrew %v", ws[0])
	}
	finalView(t, tm)
}

func TestStartTaskAndStopTwiceQuits(t *testing.T) {
	be := uitest.NewBackend()
	tm := newTM(t, be, ui.Options{Task: "fix the login bug"})
	st := waitCalls(t, be, "Start", 1)
	if st[0].(session.Task).Text != "fix the login bug" {
		t.Fatalf("start: %+v", st[0])
	}
	be.Emit(session.SessionStarted{SessionID: "s1"})
	waitOut(t, tm, "running")
	tm.Send(key("ctrl+c")) // asks
	tm.Send(key("ctrl+c")) // stops
	waitCalls(t, be, "Stop", 1)
	tm.Send(key("ctrl+c"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

func TestModifyInEditor(t *testing.T) {
	dir := t.TempDir()
	script := dir + "/edit.sh"
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho '// edited by the user' >> \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	be := uitest.NewBackend()
	rv := sampleChanges()
	tm := newTM(t, be, ui.Options{Review: rv, Editor: script})
	tm.Send(key("ctrl+r"))
	waitOut(t, tm, "auth/session.go")
	tm.Send(key("e"))
	rs := waitCalls(t, rv, "Decide", 1)
	d := rs[0].(session.Decision)
	if d.Action != session.ReviewModify || d.Targets[0] != "auth/session.go" || !strings.Contains(d.Content, "// edited by the user") ||
		!strings.Contains(d.Content, "s.clock().Before") {
		t.Fatalf("modify: %+v", d)
	}
	finalView(t, tm)
}

func TestKeyOverridesReachDispatch(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1"})
	tm := newTM(t, be, ui.Options{Keys: map[string][]string{"pause": {"f5"}}})
	waitOut(t, tm, "running")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyF5})
	waitCalls(t, be, "Pause", 1)
	finalView(t, tm)
}

type suggester struct{}

func (suggester) Suggest(_ context.Context, kind, q string) []ui.Suggestion {
	if kind == "#" {
		return []ui.Suggestion{{Value: "12", Title: "Login fails after expiry"}, {Value: "7", Title: "Logout"}}
	}
	return nil
}

type files []string

func (f files) Files() []string { return f }

func TestReferenceCompletion(t *testing.T) {
	be := uitest.NewBackend()
	tm := newTM(t, be, ui.Options{Suggest: suggester{}, Files: files{"auth/session.go", "auth/session_test.go", "main.go"}})
	tm.Type("fix #lo")
	waitOut(t, tm, "Login fails after expiry")
	tm.Send(key("tab"))
	tm.Type("in @sesstest")
	waitOut(t, tm, "@auth/session_test.go")
	// Results for earlier prefixes may still be on screen; let the last arrive.
	time.Sleep(300 * time.Millisecond)
	tm.Send(key("enter")) // accepts the completion, does not send
	tm.Send(key("enter")) // sends
	st := waitCalls(t, be, "Start", 1)
	if got := st[0].(session.Task).Text; got != "fix #12 in @auth/session_test.go" {
		t.Fatalf("task %q", got)
	}
	finalView(t, tm)
}

func TestCopyAndMouseRelease(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1"}, session.TextDelta{Text: "The answer is **42**."}, session.TextFinished{})
	tm := newTM(t, be, ui.Options{Mouse: true})
	waitOut(t, tm, "The answer is")
	tm.Send(key("ctrl+y"))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("\x1b]52;c;")) },
		teatest.WithDuration(5*time.Second))
	tm.Send(key("ctrl+s"))
	waitOut(t, tm, "mouse released")
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*ui.Model)
	if fm.View().MouseMode != tea.MouseModeNone {
		t.Fatal("mouse should be released")
	}
}

// TestNarrowLayout snapshots 80x24: the collapsed plan on top, a queued
// adjustment above the input, the key hints and the status bar.
func TestNarrowLayout(t *testing.T) {
	be := uitest.NewBackend()
	be.Emit(session.SessionStarted{SessionID: "s1"}, session.PlanProposed{Plan: samplePlan()},
		session.StepStarted{StepID: "2", Title: "Fix the expiry check"},
		session.ToolCalled{CallID: "c1", Tool: "run_command", Args: []byte(`{"command":"go test ./auth/..."}`)},
		session.ToolFinished{CallID: "c1", Tool: "run_command", Summary: "exit 1, 2 tests failed", IsError: true, Duration: 1500 * time.Millisecond},
		session.AdjustQueued{ID: "q1", Text: "keep the public API unchanged"},
		session.UsageReported{InputTokens: 15300, OutputTokens: 1200, CostUSD: 0.061},
		session.Paused{})
	opts := ui.Options{Repository: "acme/shop", Branch: "fix-login", Model: "claude-sonnet", NoColor: true,
		Clock: func() time.Time { return epoch }}
	tm := teatest.NewTestModel(t, ui.New(transport(t, be, &opts), opts), teatest.WithInitialTermSize(80, 24))
	waitOut(t, tm, "paused")
	golden.RequireEqual(t, finalView(t, tm))
}
