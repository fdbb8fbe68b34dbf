package mrreview

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/textarea"
	tea "charm.land/bubbletea/v2"
)

// Inline editing: i opens the comment in a text area under the diff; ctrl+s
// keeps what it holds (empty drops the comment), esc leaves it as it was.

const inlineHeight = 6

type inlineEdit struct {
	id int
	ta textarea.Model
}

func (m *Model) startInline() tea.Cmd {
	i := m.target()
	if i < 0 || m.comments[i].State == Published {
		m.status = "no drafted comment here to edit"
		return nil
	}
	ta := textarea.New()
	ta.ShowLineNumbers = false
	ta.Prompt = "│ "
	ta.CharLimit = 0
	ta.SetStyles(textarea.Styles{Cursor: textarea.CursorStyle{Blink: false}})
	ta.SetWidth(max(m.w-1, 10))
	ta.SetHeight(inlineHeight)
	ta.SetValue(m.comments[i].Body)
	m.inline = &inlineEdit{id: m.comments[i].ID, ta: ta}
	m.status = fmt.Sprintf("editing comment %d · ctrl+s keep · esc cancel", m.comments[i].ID)
	m.resize()
	return m.inline.ta.Focus()
}

func (m *Model) onInlineKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "ctrl+s":
		id, body := m.inline.id, m.inline.ta.Value()
		m.inline = nil
		m.resize()
		m.onEdited(editedMsg{id: id, body: body})
		return nil
	case "esc":
		m.status = fmt.Sprintf("comment %d left as it was", m.inline.id)
		m.inline = nil
		m.resize()
		return nil
	}
	var cmd tea.Cmd
	m.inline.ta, cmd = m.inline.ta.Update(msg)
	return cmd
}

func (m *Model) inlineView() string {
	if m.inline == nil {
		return ""
	}
	return strings.TrimRight(m.inline.ta.View(), "\n")
}
