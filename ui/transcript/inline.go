package transcript

import (
	"sort"

	tea "charm.land/bubbletea/v2"
)

// Inline mode: the transcript is printed into the terminal's own scrollback,
// each finished part exactly once, and only what is still changing (the
// streaming tail of a message, a tool call without its result, and whatever
// follows them) stays in the redrawn live area.
//
// Parts become final in order: an entry is printed only when every entry
// before it is. A user line or a notice is final at once, a tool call when its
// result arrives, a message block by block as the splitter closes each one
// (blank line outside a fence) and its render at the current width arrives.
// What has been printed is never printed again: after a resize a message's
// blocks are re-rendered at the new width, and only the ones not printed yet
// are printed from that render.

// inlineState is what has been printed.
type inlineState struct {
	from int  // id of the first entry not wholly printed
	any  bool // something was printed (the next entry is set off by a blank row)
}

// Commit returns the rows that became final since the last call, in order and
// each entry set off from the previous one by a blank row, and marks them
// printed. A message's blocks that are not rendered at the current width yet
// wait for their render, which the command asks for (the caller commits again
// after the next Update).
func (m *Model) Commit() ([]string, tea.Cmd) {
	var out []string
	var cmds []tea.Cmd
	i := m.firstUnprinted()
	for ; i < len(m.entries); i++ {
		e := m.entries[i]
		if e.md != nil && e.md.width != m.width && m.width > 0 {
			// Stale after a resize or a theme change and perhaps out of the
			// live area's rows: ensureVisible would not ask for it.
			cmds = append(cmds, m.kick(e))
		}
		rows, done := m.finalRows(e, false)
		out = append(out, rows...)
		if !done {
			break
		}
	}
	m.markFrom(i)
	return out, tea.Batch(cmds...)
}

// LiveRows are the last max rows of what is not printed yet: the message
// being streamed (its tail as last rendered), a tool call waiting for its
// result, and anything after them.
func (m *Model) LiveRows(max int) []string {
	if max <= 0 {
		return nil
	}
	var out []string
	for i := m.firstUnprinted(); i < len(m.entries); i++ {
		e := m.entries[i]
		var rows []string
		if e.md != nil {
			rows = m.liveMessageRows(e)
		} else {
			rows = m.simpleLines(e)
		}
		if len(rows) == 0 {
			continue
		}
		if len(out) > 0 {
			out = append(out, "")
		}
		out = append(out, rows...)
	}
	if len(out) > max {
		out = out[len(out)-max:]
	}
	return out
}

// Rest closes the transcript for good (the program quits): every part not
// printed yet, messages rendered now at the current width and unfinished tool
// calls as they stand, marked printed.
func (m *Model) Rest() []string {
	m.closeText()
	sync := m.syncRender
	m.syncRender = true
	defer func() { m.syncRender = sync }()
	var out []string
	i := m.firstUnprinted()
	for ; i < len(m.entries); i++ {
		e := m.entries[i]
		if s := e.md; s != nil && (s.width != m.width || s.nr < len(s.ends)) {
			// A render may be on its way: this one replaces it.
			s.inflight, s.dirty, s.width = false, false, -1
			m.kick(e)
		}
		rows, _ := m.finalRows(e, true)
		out = append(out, rows...)
	}
	m.markFrom(i)
	return out
}

// finalRows are e's rows that became final and were not printed, and whether
// e is now wholly printed. force takes an unfinished tool call as it stands.
func (m *Model) finalRows(e *entry, force bool) ([]string, bool) {
	var out []string
	sep := func() {
		if m.inline.any {
			out = append(out, "")
		}
		m.inline.any = true
	}
	if e.md == nil {
		if e.kind == Tool && !e.tool.done && !force {
			return nil, false
		}
		sep()
		return append(out, m.simpleLines(e)...), true
	}
	s := e.md
	if s.width == m.width {
		for ; e.printed < s.nr; e.printed++ {
			k := e.printed
			end := len(s.flat)
			if k+1 < len(s.starts) {
				end = s.starts[k+1] - 1 // without the blank row between blocks
			}
			sep()
			out = append(out, s.flat[s.starts[k]:end]...)
		}
	}
	return out, s.finished && e.printed >= len(s.ends)
}

// liveMessageRows are a message's rows not printed: rendered blocks waiting
// for their turn and the streaming tail.
func (m *Model) liveMessageRows(e *entry) []string {
	s := e.md
	var out []string
	if s.width == m.width {
		for k := e.printed; k < s.nr; k++ {
			end := len(s.flat)
			if k+1 < len(s.starts) {
				end = s.starts[k+1] - 1
			}
			if len(out) > 0 {
				out = append(out, "")
			}
			out = append(out, s.flat[s.starts[k]:end]...)
		}
		if len(s.tail) > 0 {
			if len(out) > 0 {
				out = append(out, "")
			}
			out = append(out, s.tail...)
		}
	}
	tailFrom := 0
	if n := len(s.ends); n > 0 {
		tailFrom = s.ends[n-1]
	}
	if len(out) == 0 && len(s.buf) > tailFrom && !s.finished {
		out = []string{m.st.Muted.Render("  …")} // the first render is on its way
	}
	return out
}

// firstUnprinted is the index of the first entry not wholly printed.
func (m *Model) firstUnprinted() int {
	return sort.Search(len(m.entries), func(i int) bool { return m.entries[i].id >= m.inline.from })
}

func (m *Model) markFrom(i int) {
	if i < len(m.entries) {
		m.inline.from = m.entries[i].id
	} else {
		m.inline.from = m.nextID + 1
	}
}
