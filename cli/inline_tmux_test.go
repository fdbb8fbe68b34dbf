package cli

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"gitlab.com/wend/wend/cli/demo"
)

// history is the pane's scrollback alone (the rows above the visible screen).
func (p *pane) history() string {
	out, _ := exec.Command("tmux", "capture-pane", "-p", "-S", "-", "-E", "-1", "-t", p.name).Output()
	return string(out)
}

// all is the scrollback and the screen.
func (p *pane) all() string {
	out, _ := exec.Command("tmux", "capture-pane", "-p", "-S", "-", "-t", p.name).Output()
	return string(out)
}

// The demo in inline mode at 80x24: the transcript goes into the terminal's
// own scrollback once, in order, the screen keeps only the live area (input,
// status), a resize prints nothing again, and quitting leaves the transcript
// and a summary in place (issue 16).
func TestInlineDemoInTmux(t *testing.T) {
	bin := wendBinary(t)
	home := t.TempDir()
	p := newPane(t, 80, 24, []string{"HOME=" + home, "XDG_STATE_HOME=" + home, "XDG_CONFIG_HOME=" + home, "TERM=xterm-256color"},
		bin, "demo", "--inline")
	// The demo asks before each command; approve them until it finishes.
	deadline := time.Now().Add(60 * time.Second)
	for {
		s := p.screen()
		if strings.Contains(s, "finished │") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo did not finish; the screen shows:\n%s", s)
		}
		if strings.Contains(s, "Allow this command?") {
			p.keys("y")
			p.waitForGone("Allow this command?")
			continue
		}
		time.Sleep(50 * time.Millisecond)
	}
	screen, hist := p.screen(), p.history()
	for _, want := range []string{"Describe a task", "finished │"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the screen lacks the live area's %q:\n%s", want, screen)
		}
		if strings.Contains(hist, want) {
			t.Errorf("the live area's %q went into the scrollback:\n%s", want, hist)
		}
	}
	// At 24 rows the start of the transcript has scrolled into the history.
	if !strings.Contains(hist, "› "+demo.Task) {
		t.Errorf("the scrollback lacks the task:\n%s", hist)
	}
	checkOnce := func(when, s string) {
		t.Helper()
		// Known limit (README, Inline mode): before the first block is printed,
		// Bubble Tea's inline renderer may leave copies of the first live area
		// (the prompt while it waits for the theme, the input box, the status
		// line) in the scrollback; under load the test saw one or two. What
		// comes before the printed prompt may hold only such copies, never a
		// transcript block; from the printed prompt on, every block is once.
		if i := strings.LastIndex(s, "› "+demo.Task); i > 0 {
			for _, block := range []string{"· Step", "⚙ ", "· Done:"} {
				if strings.Contains(s[:i], block) {
					t.Errorf("%s: a transcript block %q stands before the printed prompt:\n%s", when, block, s)
				}
			}
			s = s[i:]
		}
		for _, want := range []string{"› " + demo.Task, "· Step 1 ·", "· Step 2 ·", "⚙ read_file stats.go", "· Done:"} {
			if n := strings.Count(s, want); n != 1 {
				t.Errorf("%s: %q appears %d times, want once:\n%s", when, want, n, s)
			}
		}
		// No run of three non-blank rows is printed twice.
		var rows []string
		for _, l := range strings.Split(s, "\n") {
			if l = strings.TrimRight(l, " "); l != "" {
				rows = append(rows, l)
			}
		}
		seen := map[string]bool{}
		for i := 0; i+3 <= len(rows); i++ {
			k := strings.Join(rows[i:i+3], "\n")
			if seen[k] {
				t.Errorf("%s: printed twice:\n%s", when, k)
			}
			seen[k] = true
		}
		if i, j := strings.Index(s, "· Step 1 ·"), strings.Index(s, "· Done:"); i < 0 || j < i {
			t.Errorf("%s: the transcript is out of order:\n%s", when, s)
		}
	}
	checkOnce("finished", p.all())

	// A resize redraws the live area and prints nothing again.
	exec.Command("tmux", "resize-window", "-t", p.name, "-x", "100", "-y", "30").Run()
	p.waitFor("finished │")
	checkOnce("after a resize", p.all())

	p.keys("C-c")
	p.keys("C-c")
	all := p.waitForInHistory("wend changes")
	checkOnce("after quitting", p.all())
	if strings.Contains(all, "Describe a task") {
		t.Errorf("the live area stayed behind after quitting:\n%s", all)
	}
	if strings.Count(all, "finished │ stats (demo)") != 1 {
		t.Errorf("quitting should leave the status line once as the summary:\n%s", all)
	}
}
