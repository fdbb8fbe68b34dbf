package ui

import (
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// Inline mode (Options.Inline) runs without the alternate screen, as SSH
// users ask: the transcript goes into the terminal's own scrollback, where
// scrolling, searching and copying are the terminal's, and only a small live
// area at the bottom is redrawn: the streaming tail of a message, a tool call
// waiting for its result, the plan's progress line (its steps while the plan
// has the focus or waits for approval), the input or a dialog, the key hints
// and the status bar.
//
// Finished parts of the transcript (transcript.Commit) are queued and printed
// above the live area with Bubble Tea's Println, one chunk at a time: the
// next chunk goes only when the previous one is acknowledged, so nothing is
// printed twice or out of order, and a quit waits for the chunk on its way.
//
// A chunk is at most inlineChunk rows: printing above a live area of h rows
// scrolls the screen, and more rows than the screen holds above the live area
// would push the live area itself into the scrollback. The live area is kept
// within inlineLiveMax rows for that reason.
//
// The review (ctrl+r), the help (?) and the first-run screen are full-screen: while they are open
// the view takes the alternate screen and printing waits; leaving them comes
// back to the live area and prints what finished meanwhile. On quit the live
// area is cleared and Run prints what was not printed yet (the streaming tail,
// the queue) and the status line as the session's summary.

// inlineState is the printing side of inline mode.
type inlineState struct {
	queue    []string // final rows not printed yet, in order
	printing bool     // a chunk is on its way: the next waits for its ack
	ready    bool     // the theme is known (or the wait for it is over)
	quitting bool     // quit asked: the view clears, Run prints the rest
}

// printedMsg acknowledges a printed chunk (it follows the chunk through the
// program's message queue).
type printedMsg struct{}

// inlineReadyMsg ends the wait for the terminal's background colour: a
// terminal that never answers still gets its transcript.
type inlineReadyMsg struct{}

// inlineThemeWait is how long the first print waits for the theme, so the
// first lines are not printed in the wrong one.
const inlineThemeWait = 300 * time.Millisecond

// inlineLiveMax is the most rows the live area takes on a screen of h rows.
func inlineLiveMax(h int) int { return max(h-inlineChunk(h), 1) }

// inlineChunk is the most rows printed at once above the live area.
func inlineChunk(h int) int { return max(h/5, 3) }

// overlay reports whether inline mode shows a full-screen view (the review or
// the help) in the alternate screen.
func (m *Model) overlay() bool {
	// The first-run screen is a page of its own (its commands are printed
	// after quitting, as in full-screen mode). Quitting leaves any overlay, so
	// the last frame clears the live area rather than the alternate screen.
	return m.opts.Inline && !m.il.quitting && (m.opts.FirstRun || m.help || m.reviewOpen)
}

// inlineFlush moves what became final into the queue and prints the next
// chunk when nothing is on its way. Called after every Update.
func (m *Model) inlineFlush() tea.Cmd {
	if m.width == 0 || m.il.quitting || m.opts.FirstRun {
		return nil
	}
	var render tea.Cmd
	if m.il.ready {
		var rows []string
		rows, render = m.tr.Commit()
		m.il.queue = append(m.il.queue, rows...)
	}
	return tea.Batch(render, m.pump())
}

// pump sends the next chunk of the queue, unless one is on its way, a
// full-screen view is open or the program is quitting.
func (m *Model) pump() tea.Cmd {
	if m.il.printing || len(m.il.queue) == 0 || m.overlay() || m.il.quitting {
		return nil
	}
	limit, rows, n := inlineChunk(m.height), 0, 0
	for n < len(m.il.queue) {
		r := max((ansi.StringWidth(m.il.queue[n])+m.width-1)/max(m.width, 1), 1) // a line wider than the screen wraps
		if n > 0 && rows+r > limit {
			break
		}
		rows += r
		n++
	}
	text := strings.Join(m.il.queue[:n], "\n")
	m.il.queue = m.il.queue[n:]
	if text == "" {
		text = " " // Println drops an empty string: a blank row is still a row
	}
	m.il.printing = true
	return tea.Sequence(m.println(text), func() tea.Msg { return printedMsg{} })
}

// quit ends the program. Inline, a chunk on its way is waited for, so Run
// prints the rest after it and never a second time.
func (m *Model) quit() tea.Cmd {
	if !m.opts.Inline {
		return tea.Quit
	}
	m.il.quitting = true
	if m.il.printing {
		return nil // printedMsg quits
	}
	return tea.Quit
}

// onPrinted handles a chunk's acknowledgement.
func (m *Model) onPrinted() tea.Cmd {
	m.il.printing = false
	if m.il.quitting {
		return tea.Quit
	}
	return nil // the Update wrapper pumps the next chunk
}

// InlineRest is what inline mode leaves in the terminal once the program has
// quit: the rows not printed yet and the status line as a summary. "" in
// full-screen mode.
func (m *Model) InlineRest() string {
	if !m.opts.Inline || m.opts.FirstRun || m.width == 0 {
		return ""
	}
	rows := append(m.il.queue, m.tr.Rest()...)
	m.il.queue = nil
	m.hint = ""
	rows = append(rows, "", m.statusLine())
	return strings.Join(rows, "\n") + "\n"
}

// renderInline is the live area: what is not printed yet, the plan, the
// bottom block and the status bar, within inlineLiveMax rows.
func (m *Model) renderInline() string {
	if m.width == 0 || m.height == 0 || m.il.quitting {
		return ""
	}
	w, liveMax := m.width, inlineLiveMax(m.height)
	var plan []string
	if len(m.plan.Plan.Steps) > 0 || m.plan.Awaiting || m.plan.Editing() {
		if m.focus == focusPlan || m.plan.Awaiting || m.plan.Editing() {
			pl := m.planLines(w)
			if n := max(liveMax/2, 3); len(pl) > n {
				// Keep the selected (or running) step in view.
				at := m.plan.CursorLine(m.st, w)
				pl = pl[max(min(at-n/2, len(pl)-n), 0):][:n]
			}
			plan = append(pl, m.st.Muted.Render(strings.Repeat("─", w)))
		} else {
			plan = []string{m.planSummary(w)}
		}
	}
	dock := m.layoutRects().dock
	if room := liveMax - 2 - len(plan); m.focus == focusPlan && len(dock) > room {
		// The plan has the keys: its steps keep their rows, and a dialog
		// waiting meanwhile shows its end (its keys, "esc returns here").
		dock = dock[len(dock)-max(room, 3):]
	}
	fixed := len(plan) + len(dock) + 1
	lines := make([]string, 0, liveMax)
	lines = append(lines, "") // sets the live area off from the printed transcript
	// Until the theme is known nothing is printed, so every row of the
	// transcript is still "live". Showing them and then, once printing starts,
	// dropping them from the live area in the same frame as the print above
	// left a copy of that first live area in the scrollback (Bubble Tea's
	// inline renderer, seen under load). They wait (at most inlineThemeWait)
	// and go straight to the scrollback.
	if m.il.ready {
		if live := m.tr.LiveRows(liveMax - fixed - 2); len(live) > 0 {
			lines = append(append(lines, live...), "")
		}
	}
	lines = append(lines, plan...)
	lines = append(lines, dock...)
	lines = append(lines, m.statusLine())
	if len(lines) > liveMax {
		lines = lines[len(lines)-liveMax:] // a tall dialog keeps its bottom (its keys)
	}
	return strings.Join(lines, "\n")
}
