package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/internal/termtext"
	"gitlab.com/wend/wend/session"
)

// Notify modes (Options.Notify, config key `notify`).
const (
	NotifyAuto = "auto" // bell and OSC 9 when unfocused, OSC 9;4 progress (the default)
	NotifyBell = "bell" // only the bell when unfocused
	NotifyOff  = "off"  // nothing; focus reporting stays off
)

func (m *Model) notifyMode() string {
	switch m.opts.Notify {
	case NotifyBell, NotifyOff:
		return m.opts.Notify
	}
	return NotifyAuto
}

// notification is what to send the terminal for p: when the session starts
// waiting for the user (an approval, a question, the plan's go, the end) while
// the terminal is not focused, a bell (which most terminals and tmux turn into
// an urgent window or tab) and an OSC 9 desktop notification saying what
// waits. Focused, the user sees it; nothing is sent.
func (m *Model) notification(p session.Payload) string {
	if m.notifyMode() == NotifyOff || !m.termBlurred {
		return ""
	}
	var what string
	switch p := p.(type) {
	case session.ApprovalRequested:
		what = "approval needed"
		if c := p.Request.Command; c != "" {
			what += ": " + c
		} else if p.Request.Path != "" {
			what += ": " + p.Request.Tool + " " + p.Request.Path
		}
	case session.InputRequested:
		what = "question: " + p.Question
	case session.PlanProposed:
		if !p.AwaitingApproval {
			return ""
		}
		what = "the plan waits for your go"
	case session.SessionFinished:
		what = "session " + string(p.State)
		if p.State == session.StateStopped {
			return "" // the user stopped it
		}
	default:
		return ""
	}
	if m.notifyMode() == NotifyBell {
		return "\a"
	}
	// The text is the model's: no control character may end the OSC early.
	what = ansi.Truncate(strings.Join(strings.Fields(termtext.Sanitize(what)), " "), 200, "…")
	what = strings.NewReplacer("\x07", "", "\x1b", "", ";", ",").Replace(what)
	return "\a" + m.passthrough(ansi.Notify("wend: "+what))
}

// passthrough wraps a sequence for tmux, which otherwise swallows OSCs it does
// not know (it needs `set -g allow-passthrough on`).
func (m *Model) passthrough(seq string) string {
	if m.opts.Tmux {
		return ansi.TmuxPassthrough(seq)
	}
	return seq
}

// progressChange is the OSC 9;4 sequence for the session's state when it
// changed since the last call, else "". Terminals that know it (Windows
// Terminal, ConEmu, WezTerm, Ghostty, iTerm2) show it in the tab or taskbar:
// busy while running, paused while waiting for the user, error on failure.
func (m *Model) progressChange() string {
	if m.notifyMode() != NotifyAuto {
		return ""
	}
	var seq string
	switch {
	case m.state == session.StateFailed || m.state == session.StateInterrupted:
		seq = "\x1b]9;4;2;100\a"
	case m.state == session.StateWaiting || m.state == session.StatePaused ||
		m.dlg.Waiting() || m.plan.Awaiting:
		seq = "\x1b]9;4;4;100\a"
	case m.busy():
		seq = "\x1b]9;4;3\a"
	case m.progress != "":
		seq = "\x1b]9;4;0\a" // ended or idle: clear what was shown
	}
	if seq == m.progress {
		return ""
	}
	m.progress = seq
	return m.passthrough(seq)
}
