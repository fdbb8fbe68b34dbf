package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"
)

// armed is what a second press of the stop key (ctrl+c) will do.
type armed int

const (
	armNone armed = iota
	armStop       // the run stops
	armQuit       // the program quits
)

// armWindow is how soon the second press must follow the first; later it asks
// again, so a stray press minutes after the first never stops a run.
const armWindow = 3 * time.Second

// onStopKey follows the terminal agents' convention for ctrl+c: text being typed
// is cleared first; with nothing typed, the first press says what a second
// will do (stop the run, or quit when nothing runs) and the second does it.
func (m *Model) onStopKey() tea.Cmd {
	k := m.km.Stop.Help().Key
	now := m.now()
	fresh := m.armed != armNone && now.Sub(m.armedAt) < armWindow
	if !fresh {
		m.armed = armNone
	}
	switch {
	case m.modal() && m.dlg.Input() != "":
		m.dlg.ClearInput()
		m.armed, m.hint = armNone, "cleared"
		return nil
	case !m.modal() && !m.opts.FirstRun && m.focus == focusInput && m.input.Value() != "":
		m.input.Reset()
		m.comp.close()
		m.armed, m.hint = armNone, "input cleared"
		return nil
	case m.armed == armQuit:
		return m.quit()
	}
	running := m.state != "" && !m.state.Ended()
	switch {
	case running && m.armed == armStop:
		m.armed, m.armedAt = armQuit, now
		m.hint = "stopping · press " + k + " again to quit"
		return m.call("stop", false, func(ctx context.Context) error { return m.be.Stop(ctx) })
	case running:
		m.armed, m.armedAt = armStop, now
		m.hint = "press " + k + " again to stop the run"
	default:
		m.armed, m.armedAt = armQuit, now
		m.hint = "press " + k + " again to quit"
	}
	return nil
}
