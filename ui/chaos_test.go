package ui

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"testing"

	tea "charm.land/bubbletea/v2"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/transcript"
	"gitlab.com/wend/wend/ui/uitest"
)

// TestRandomSessions drives the model with random events, keys and sizes, running
// the commands that render markdown inline, and checks every frame: no panic,
// exactly the terminal's height, no line wider than the terminal.
func TestRandomSessions(t *testing.T) {
	keys := []tea.KeyPressMsg{
		{Code: tea.KeyTab}, {Code: tea.KeyEnter}, {Code: tea.KeyEscape}, {Code: tea.KeyUp}, {Code: tea.KeyDown},
		{Code: 'p', Mod: tea.ModCtrl}, {Code: 'r', Mod: tea.ModCtrl}, {Code: 'o', Mod: tea.ModCtrl},
		{Code: 'x', Mod: tea.ModCtrl}, {Code: 't', Mod: tea.ModCtrl}, {Code: 'y', Mod: tea.ModCtrl},
		{Code: 'a', Text: "a"}, {Code: 'r', Text: "r"}, {Code: 'n', Text: "n"}, {Code: 'u', Text: "u"},
		{Code: 'e', Text: "e"}, {Code: 's', Text: "s"}, {Code: 'J', Text: "J"}, {Code: 'd', Text: "d"},
		{Code: '?', Text: "?"}, {Code: 'y', Text: "y"}, {Code: '@', Text: "@"}, {Code: '#', Text: "#"},
		{Code: tea.KeyPgUp}, {Code: tea.KeyPgDown},
	}
	plan := session.Plan{Steps: []session.Step{{ID: "1", Title: "One"}, {ID: "2", Title: "Two with a longer title that wraps"}, {ID: "3", Title: "Three"}}}
	payloads := func(r *rand.Rand, i int) session.Payload {
		switch r.Intn(16) {
		case 0:
			return session.PlanProposed{Plan: plan, AwaitingApproval: r.Intn(2) == 0}
		case 1:
			return session.StepStarted{StepID: fmt.Sprint(1 + r.Intn(3))}
		case 2:
			return session.StepFinished{StepID: fmt.Sprint(1 + r.Intn(3)), Status: session.StepDone, Note: "ok"}
		case 3, 4, 5:
			return session.TextDelta{Text: []string{"# Head\n", "text ", "\n\n", "```go\nx := 1\n", "```\n", "| a | b |\n|---|---|\n| 1 | 2 |\n"}[r.Intn(6)]}
		case 6:
			return session.TextFinished{}
		case 7:
			id := fmt.Sprint("c", i)
			return session.ToolCalled{CallID: id, Tool: "read_file", Args: json.RawMessage(`{"path":"a.go"}`)}
		case 8:
			return session.ApprovalRequested{Request: session.ApprovalRequest{ID: fmt.Sprint("a", i), Kind: session.ApproveCommand, Command: "go test ./...", Prefix: "go test"}}
		case 9:
			return session.InputRequested{RequestID: fmt.Sprint("q", i), Question: "Which one?"}
		case 10:
			return session.AdjustQueued{ID: fmt.Sprint("j", i), Text: "be careful"}
		case 11:
			return session.Paused{}
		case 12:
			return session.Resumed{}
		case 13:
			return session.ChangeStaged{Path: "a.go", Added: 1, Deleted: 1}
		case 14:
			return session.Notice{Level: "warn", Text: "rate limited"}
		}
		return session.SessionStarted{SessionID: "s"}
	}
	changes := &uitest.Changes{Files: []session.FileChange{{Path: "a.go", Kind: session.ChangeModified, Added: 1, Deleted: 1,
		Hunks: []session.Hunk{{ID: "h", OldStart: 1, OldLines: 1, NewStart: 1, NewLines: 1, Lines: []string{"-a", "+b"}, State: session.HunkProposed}}}}}
	closed := make(chan session.Event)
	close(closed) // so the re-issued event wait returns at once
	for seed := int64(0); seed < 12; seed++ {
		r := rand.New(rand.NewSource(seed))
		m := New(uitest.NewBackend(), Options{Review: changes, NoColor: seed%2 == 0})
		w, h := 80+r.Intn(100), 24+r.Intn(30)
		m.Update(tea.WindowSizeMsg{Width: w, Height: h})
		for i := 0; i < 200; i++ {
			var msg tea.Msg
			switch r.Intn(10) {
			case 0:
				w, h = 80+r.Intn(100), 24+r.Intn(30)
				msg = tea.WindowSizeMsg{Width: w, Height: h}
			case 1, 2, 3:
				msg = keys[r.Intn(len(keys))]
			default:
				em := events(payloads(r, i))
				em.ch = closed
				msg = em
			}
			_, cmd := m.Update(msg)
			runRenders(m, cmd, 0)
			lines := splitLines(m.View().Content)
			if len(lines) != h {
				t.Fatalf("seed %d step %d (%T): %d lines, want %d", seed, i, msg, len(lines), h)
			}
			for j, l := range lines {
				if lw := stringWidth(l); lw > w {
					t.Fatalf("seed %d step %d (%T): line %d is %d wide, want ≤ %d", seed, i, msg, j, lw, w)
				}
			}
		}
	}
}

// runRenders executes the markdown render commands inline (the others, such as
// timers and backend calls, are left alone) and feeds their results back.
func runRenders(m *Model, cmd tea.Cmd, depth int) {
	if cmd == nil || depth > 3 {
		return
	}
	// Only commands produced by the transcript are safe to run here; they are
	// recognised by their result type, so run those in a batch one level deep.
	msg := runIfQuick(cmd)
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			runRenders(m, c, depth+1)
		}
	case transcript.RenderedMsg:
		_, next := m.Update(msg)
		runRenders(m, next, depth+1)
	}
}

// runIfQuick runs cmd unless it would block (timers, event waits, backend calls
// run through the queue and are quick with the fake backend).
func runIfQuick(cmd tea.Cmd) tea.Msg {
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		return msg
	case <-timeAfter():
		return nil
	}
}
