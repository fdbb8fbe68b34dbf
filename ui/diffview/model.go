package diffview

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/internal/termtext"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/styles"
)

// Model is the review pane: a short file list over the diff of all files, with a
// row cursor. Decisions are not made here; the caller reads Current and sends them.
type Model struct {
	st            styles.Styles
	files         []session.FileChange
	doc           *Doc
	width, height int
	cursor        int // row in doc
	offset        int // first visible row
	notes         []Note
}

// New returns an empty review pane.
func New(st styles.Styles) Model { return Model{st: st} }

// SetStyles switches theme (rebuilds the rendered rows).
func (m *Model) SetStyles(st styles.Styles) {
	m.st = st
	m.doc = nil
	m.rebuild()
}

// Files returns the files on show.
func (m Model) Files() []session.FileChange { return m.files }

// SetFiles replaces the files, keeping the cursor on the same file and hunk when
// they still exist.
func (m *Model) SetFiles(files []session.FileChange) {
	path, hunk := "", ""
	if f, h := m.Current(); f != nil {
		path = f.Path
		if h != nil {
			hunk = h.ID
		}
	}
	m.files = files
	m.doc = nil
	m.rebuild()
	if m.doc == nil {
		return
	}
	for fi, f := range files {
		if f.Path != path {
			continue
		}
		m.cursor = m.doc.FileRows[fi]
		for hi, h := range f.Hunks {
			if h.ID == hunk {
				m.cursor = m.doc.HunkRows[fi][hi]
			}
		}
		m.scrollToCursor()
		return
	}
	m.cursor = min(m.cursor, max(len(m.doc.Rows)-1, 0))
	m.scrollToCursor()
}

// SetSize sets the pane's size in cells.
func (m *Model) SetSize(w, h int) {
	if w == m.width && h == m.height {
		return
	}
	m.width, m.height = w, h
	if m.doc != nil && m.doc.Width != m.diffWidth() {
		m.doc = nil
	}
	m.rebuild()
	m.scrollToCursor()
}

func (m *Model) diffWidth() int { return max(m.width-1, 10) }

func (m *Model) listHeight() int {
	if len(m.files) == 0 {
		return 0
	}
	return min(len(m.files), 6, max(m.height/4, 1)) + 1 // + separator
}

func (m *Model) diffHeight() int { return max(m.height-m.listHeight(), 1) }

func (m *Model) rebuild() {
	if m.doc == nil && m.width > 0 {
		fresh := m.cursor == 0
		// Side by side from a pane of SideBySideMin columns (the diff itself is
		// one narrower, for the cursor margin).
		m.doc = build(m.files, m.st, m.diffWidth(), m.width >= SideBySideMin)
		m.doc.weave(m.notes) // notes.go
		if m.cursor >= len(m.doc.Rows) {
			m.cursor = max(len(m.doc.Rows)-1, 0)
		}
		if fresh && len(m.doc.Rows) > 0 && m.doc.Rows[0].Kind == rowFile {
			m.NextHunk() // start on the first hunk, where the keys act
		}
	}
}

// Current is the file and hunk under the cursor (hunk nil on a file row).
func (m Model) Current() (*session.FileChange, *session.Hunk) {
	if m.doc == nil || m.cursor >= len(m.doc.Rows) {
		return nil, nil
	}
	r := m.doc.Rows[m.cursor]
	f := &m.files[r.File]
	if r.Hunk < 0 {
		return f, nil
	}
	return f, &f.Hunks[r.Hunk]
}

// Move moves the cursor by n rows.
func (m *Model) Move(n int) {
	if m.doc == nil || len(m.doc.Rows) == 0 {
		return
	}
	m.cursor = max(min(m.cursor+n, len(m.doc.Rows)-1), 0)
	m.scrollToCursor()
}

// Scroll moves the view by n rows, dragging the cursor along when it leaves.
func (m *Model) Scroll(n int) {
	if m.doc == nil {
		return
	}
	h := m.diffHeight()
	m.offset = max(min(m.offset+n, len(m.doc.Rows)-h), 0)
	if m.cursor < m.offset {
		m.cursor = m.offset
	} else if m.cursor >= m.offset+h {
		m.cursor = m.offset + h - 1
	}
}

// NextHunk moves to the next hunk header (across files); PrevHunk back.
func (m *Model) NextHunk() { m.jump(1) }
func (m *Model) PrevHunk() { m.jump(-1) }

func (m *Model) jump(dir int) {
	if m.doc == nil {
		return
	}
	for i := m.cursor + dir; i >= 0 && i < len(m.doc.Rows); i += dir {
		if m.doc.Rows[i].Kind == rowHunk {
			m.cursor = i
			m.scrollToCursor()
			return
		}
	}
}

// NextUndecided moves to the next hunk still proposed, if any.
func (m *Model) NextUndecided() {
	if m.doc == nil {
		return
	}
	for i := m.cursor + 1; i < len(m.doc.Rows); i++ {
		r := m.doc.Rows[i]
		if r.Kind == rowHunk && m.files[r.File].Hunks[r.Hunk].State == session.HunkProposed {
			m.cursor = i
			m.scrollToCursor()
			return
		}
	}
}

func (m *Model) scrollToCursor() {
	h := m.diffHeight()
	if m.cursor < m.offset {
		m.offset = m.cursor
	} else if m.cursor >= m.offset+h {
		m.offset = m.cursor - h + 1
	}
	// Keep a hunk header's first lines in view when jumping onto it.
	if m.doc != nil && m.cursor < len(m.doc.Rows) && m.doc.Rows[m.cursor].Kind == rowHunk && m.cursor > m.offset+h-4 {
		m.offset = max(min(m.cursor-1, len(m.doc.Rows)-h), 0)
	}
}

// View renders the pane: exactly height lines of width cells at most.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	st := m.st
	if len(m.files) == 0 || m.doc == nil {
		return st.Muted.Render("No proposed changes.")
	}
	cf, ch := -1, -1
	if r := m.doc.Rows[m.cursor]; true {
		cf, ch = r.File, r.Hunk
	}
	var out []string
	// File list: a window around the current file.
	lh := m.listHeight() - 1
	start := max(min(cf-lh/2, len(m.files)-lh), 0)
	for i := start; i < start+lh && i < len(m.files); i++ {
		out = append(out, fileLine(m.files[i], i == cf, st, m.width))
	}
	out = append(out, st.Muted.Render(strings.Repeat("─", m.width)))
	rows := m.doc.Lines(m.offset, m.diffHeight())
	for i, l := range rows {
		ri := m.offset + i
		r := m.doc.Rows[ri]
		margin := " "
		switch {
		case ri == m.cursor:
			margin = st.Accent.Render("▶")
		case r.File == cf && r.Hunk == ch && ch >= 0:
			margin = st.Accent.Render("▌")
		}
		out = append(out, margin+l)
	}
	return strings.Join(out, "\n")
}

// fileLine is one entry of the file list: state, path, +/- counts.
func fileLine(f session.FileChange, cur bool, st styles.Styles, width int) string {
	acc, rej, mod := 0, 0, 0
	for _, h := range f.Hunks {
		switch h.State {
		case session.HunkAccepted:
			acc++
		case session.HunkRejected:
			rej++
		case session.HunkModified:
			mod++
		}
	}
	icon, ist := "●", st.Warn
	switch n := len(f.Hunks); {
	case n > 0 && acc == n:
		icon, ist = "✓", st.OK
	case n > 0 && rej == n:
		icon, ist = "✗", st.Error
	case acc+rej+mod > 0:
		icon, ist = "◐", st.Accent
	}
	counts := st.OK.Render(fmt.Sprintf("+%d", f.Added)) + " " + st.Error.Render(fmt.Sprintf("-%d", f.Deleted))
	name := termtext.Sanitize(f.Path)
	cw := ansi.StringWidth(counts)
	nameW := max(width-cw-5, 4)
	name = ansi.Truncate(name, nameW, "…")
	if cur {
		name = st.Selected.Render(name)
	}
	gap := max(width-4-ansi.StringWidth(name)-cw, 1)
	return ansi.Truncate(" "+ist.Render(icon)+" "+name+strings.Repeat(" ", gap)+counts, width, "")
}
