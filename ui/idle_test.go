package ui

import (
	"image/color"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/uitest"
)

func events(ps ...session.Payload) eventsMsg {
	var evs []session.Event
	for i, p := range ps {
		evs = append(evs, session.Event{Seq: int64(i + 1), Payload: p})
	}
	return eventsMsg{events: evs, ch: make(chan session.Event)}
}

// TestIdleSchedulesNoTicks: nothing ticks before a session, and the spinner's
// tick chain ends as soon as the session stops running.
func TestIdleSchedulesNoTicks(t *testing.T) {
	m := New(uitest.NewBackend(), Options{NoColor: true})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	if m.Ticking() {
		t.Fatal("ticking before anything runs")
	}
	if _, cmd := m.Update(spinner.TickMsg{}); cmd != nil {
		t.Fatal("a stray spinner tick while idle scheduled another")
	}
	m.Update(events(session.SessionStarted{SessionID: "s"}))
	if !m.Ticking() {
		t.Fatal("the spinner should run while the session runs")
	}
	m.Update(events(session.Paused{}))
	if _, cmd := m.Update(spinner.TickMsg{}); cmd != nil || m.Ticking() {
		t.Fatal("paused: the spinner must stop")
	}
	m.Update(events(session.Resumed{}, session.SessionFinished{State: session.StateFinished}))
	if _, cmd := m.Update(spinner.TickMsg{}); cmd != nil || m.Ticking() {
		t.Fatal("finished: the spinner must stop")
	}
	// Keys, resizes and the background report schedule nothing periodic either.
	for _, msg := range []tea.Msg{tea.WindowSizeMsg{Width: 80, Height: 24}, tea.KeyPressMsg{Code: tea.KeyTab}} {
		m.Update(msg)
		if m.Ticking() {
			t.Fatalf("%T started a tick", msg)
		}
	}
	_ = m.View()
	if m.Ticking() {
		t.Fatal("View started a tick")
	}
}

// TestViewFitsTerminal: every frame is exactly the terminal's height and no line
// is wider, from 80x24 up, narrow and wide layouts.
func TestViewFitsTerminal(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {100, 30}, {120, 40}, {160, 50}} {
		m := New(uitest.NewBackend(), Options{Repository: "acme/shop", Branch: "main", Model: "m"})
		m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		m.Update(events(session.SessionStarted{SessionID: "s"},
			session.PlanProposed{Plan: session.Plan{Steps: []session.Step{{ID: "1", Title: "One", Status: session.StepRunning}, {ID: "2", Title: "Two"}}}},
			session.Notice{Level: "info", Text: "hello"},
			session.AdjustQueued{ID: "a", Text: "use the clock"}))
		for _, focus := range []string{"input", "plan"} {
			if focus == "plan" {
				m.Update(tea.KeyPressMsg{Code: tea.KeyTab})
			}
			lines := splitLines(m.View().Content)
			if len(lines) != sz[1] {
				t.Errorf("%dx%d %s: %d lines", sz[0], sz[1], focus, len(lines))
			}
			for i, l := range lines {
				if w := stringWidth(l); w > sz[0] {
					t.Errorf("%dx%d %s: line %d is %d wide", sz[0], sz[1], focus, i, w)
				}
			}
		}
	}
}

// BenchmarkRootView draws the whole screen at 120x40 with 1,000 transcript
// entries.
func BenchmarkRootView(b *testing.B) {
	m := New(uitest.NewBackend(), Options{Repository: "acme/shop", Branch: "main", Model: "m"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.tr.Now = func() time.Time { return time.Unix(0, 0) }
	var ps []session.Payload
	for i := 0; i < 250; i++ {
		ps = append(ps, session.Notice{Level: "info", Text: "a notice"},
			session.ToolCalled{CallID: "c", Tool: "read_file", Args: []byte(`{"path":"a.go"}`)},
			session.ToolFinished{CallID: "c", Tool: "read_file", Summary: "10 lines"},
			session.Notice{Level: "warn", Text: "another"})
	}
	m.Update(events(ps...))
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

func splitLines(s string) []string { return strings.Split(s, "\n") }

func stringWidth(s string) int { return ansi.StringWidth(s) }

// TestTinyTerminalsDoNotPanic: below 80x24 the layout degrades but never breaks.
func TestTinyTerminalsDoNotPanic(t *testing.T) {
	for _, sz := range [][2]int{{40, 12}, {20, 6}, {1, 1}, {0, 0}} {
		m := New(uitest.NewBackend(), Options{})
		m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		m.Update(events(session.SessionStarted{SessionID: "s"},
			session.PlanProposed{Plan: session.Plan{Steps: []session.Step{{ID: "1", Title: "One"}}}},
			session.ApprovalRequested{Request: session.ApprovalRequest{ID: "a", Command: "ls", Prefix: "ls"}}))
		_ = m.View()
		m.Update(tea.KeyPressMsg{Code: 'r', Mod: tea.ModCtrl})
		_ = m.View()
	}
}

func TestFirstRunScreen(t *testing.T) {
	m := New(nil, Options{FirstRun: true, NoColor: true, Task: "ignored without a provider"})
	if cmd := m.Init(); cmd != nil {
		runIfQuick(cmd) // must not touch the nil backend
	}
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 24})
	m.Update(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}) // no session to stop: must not panic
	v := ansi.Strip(m.View().Content)
	for _, want := range []string{"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "--provider openai --base-url http://127.0.0.1:11434/v1 --model qwen2.5-coder", "wend demo",
		"GitLab Duo (GitLab's own agent)", "  export GITLAB_TOKEN=glpat-…", "  wend --provider gitlab-duo"} {
		if !strings.Contains(v, want) {
			t.Errorf("first-run screen lacks %q:\n%s", want, v)
		}
	}
	// At 80×24 every block and the way out still show.
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	v = ansi.Strip(m.View().Content)
	for _, want := range []string{"wend --provider gitlab-duo", "wend demo", "Press q or esc to quit"} {
		if !strings.Contains(v, want) {
			t.Errorf("first-run screen at 80x24 lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "Describe a task") {
		t.Error("no input box without a provider")
	}
	if _, cmd := m.Update(tea.KeyPressMsg{Code: 'q', Text: "q"}); cmd == nil {
		t.Error("q should quit")
	}
}

func TestBackgroundAndLiveResize(t *testing.T) {
	m := New(uitest.NewBackend(), Options{})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(events(session.SessionStarted{SessionID: "s"}, session.TextDelta{Text: "# Title\n\nSome text.\n\n"}, session.TextFinished{}))
	m.Update(tea.BackgroundColorMsg{Color: color.White})
	if m.dark || m.st.Dark {
		t.Fatal("a white background should switch to the light theme")
	}
	for _, sz := range [][2]int{{80, 24}, {160, 50}, {100, 30}} {
		m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		lines := splitLines(m.View().Content)
		if len(lines) != sz[1] {
			t.Fatalf("after resize to %v: %d lines", sz, len(lines))
		}
		for i, l := range lines {
			if w := stringWidth(l); w > sz[0] {
				t.Fatalf("after resize to %v: line %d is %d wide", sz, i, w)
			}
		}
	}
}

func timeAfter() <-chan time.Time { return time.After(3 * time.Millisecond) }

// TestNoColorFrames: with NO_COLOR no colour sequence reaches the screen.
func TestNoColorFrames(t *testing.T) {
	m := New(uitest.NewBackend(), Options{NoColor: true, Repository: "r"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(events(session.SessionStarted{SessionID: "s"},
		session.PlanProposed{Plan: session.Plan{Steps: []session.Step{{ID: "1", Title: "One", Status: session.StepRunning}, {ID: "2", Title: "Two", Status: session.StepFailed}}}},
		session.ToolCalled{CallID: "c", Tool: "grep", Args: []byte(`{"pattern":"x"}`)},
		session.ToolFinished{CallID: "c", Tool: "grep", IsError: true, Summary: "bad regexp"},
		session.Notice{Level: "error", Text: "oops"}))
	m.tr.Update(nil)
	frames := []string{m.View().Content}
	m.Update(events(session.ApprovalRequested{Request: session.ApprovalRequest{ID: "a", Command: "ls", Prefix: "ls"}}))
	frames = append(frames, m.View().Content)
	for i, f := range frames {
		for _, bad := range []string{"[38;", "[48;", ";38;", ";48;"} {
			if strings.Contains(f, bad) {
				t.Fatalf("frame %d has a colour sequence %q:\n%q", i, bad, f)
			}
		}
	}
}
