package diffview

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/internal/termtext"
)

// NoteKind says what a note under a diff line is, which sets its look.
type NoteKind uint8

const (
	NoteThread  NoteKind = iota // a discussion already on the merge request
	NoteDraft                   // drafted, not decided
	NoteKept                    // drafted and kept: will be posted
	NoteDropped                 // drafted and dropped: will not be posted
)

// Note is text shown under the diff line it is about (a review thread, a
// drafted comment). A note whose line is not in the diff, or that has none,
// shows under its file's header.
type Note struct {
	ID               int // the caller's, returned by CurrentNote
	Path             string
	OldLine, NewLine int
	Kind             NoteKind
	Title            string // one line: "@bob · unresolved"
	Body             string
}

// rowComment rows are the lines of a note; Row.Line is the note's index in
// Doc.notes, Row.L the line of its rendered text.
const rowComment rowKind = 100

// SetNotes replaces the notes woven into the diff, keeping the cursor on the
// note or diff line it was on.
func (m *Model) SetNotes(notes []Note) {
	var keep Row
	noteID, onNote := -1, false
	if m.doc != nil && m.cursor < len(m.doc.Rows) {
		keep = m.doc.Rows[m.cursor]
		if keep.Kind == rowComment {
			noteID, onNote = m.doc.notes[keep.Line].ID, true
		}
	}
	m.notes = notes
	m.doc = nil
	m.rebuild()
	if m.doc == nil {
		return
	}
	for i, r := range m.doc.Rows {
		if onNote && r.Kind == rowComment && m.doc.notes[r.Line].ID == noteID && r.L == 0 ||
			!onNote && r.Kind == keep.Kind && r.File == keep.File && r.Hunk == keep.Hunk && r.Line == keep.Line && r.Kind != rowComment {
			m.cursor = i
			break
		}
	}
	m.scrollToCursor()
}

// CurrentNote is the note under the cursor.
func (m Model) CurrentNote() (Note, bool) {
	if m.doc == nil || m.cursor >= len(m.doc.Rows) || m.doc.Rows[m.cursor].Kind != rowComment {
		return Note{}, false
	}
	return m.doc.notes[m.doc.Rows[m.cursor].Line], true
}

// NextNote moves the cursor to the first line of the next note (dir 1) or the
// previous one (dir -1) for which want is true; it reports whether it moved.
func (m *Model) NextNote(dir int, want func(Note) bool) bool {
	if m.doc == nil {
		return false
	}
	cur := -1
	if m.cursor < len(m.doc.Rows) && m.doc.Rows[m.cursor].Kind == rowComment {
		cur = m.doc.Rows[m.cursor].Line
	}
	for i := m.cursor + dir; i >= 0 && i < len(m.doc.Rows); i += dir {
		r := m.doc.Rows[i]
		if r.Kind != rowComment || r.Line == cur || !want(m.doc.notes[r.Line]) {
			continue
		}
		for i > 0 && m.doc.Rows[i-1].Kind == rowComment && m.doc.Rows[i-1].Line == r.Line {
			i-- // the note's first line
		}
		m.cursor = i
		m.scrollToCursor()
		return true
	}
	return false
}

// weave inserts each note's rows after the diff line it is about (or after
// its file's header) and recomputes the row indexes.
func (d *Doc) weave(notes []Note) {
	if len(notes) == 0 {
		return
	}
	d.notes = notes
	d.noteLines = make([][]string, len(notes))
	w := max(d.Width-4, 8)
	for i, n := range notes {
		lines := []string{termtext.Sanitize(n.Title)}
		for _, l := range strings.Split(strings.TrimRight(n.Body, "\n"), "\n") {
			lines = append(lines, strings.Split(ansi.Wrap(termtext.Sanitize(strings.ReplaceAll(l, "\t", "    ")), w, " "), "\n")...)
		}
		d.noteLines[i] = lines
	}
	placed := make([]bool, len(notes))
	at := func(r Row) []int { // notes anchored on this row
		var out []int
		if r.Kind != rowCtx && r.Kind != rowAdd && r.Kind != rowDel && r.Kind != rowPair {
			return nil
		}
		path := d.Files[r.File].Path
		for i, n := range notes {
			if placed[i] || n.Path != path {
				continue
			}
			hasNew := r.Kind == rowAdd || r.Kind == rowCtx || r.Kind == rowPair && r.R >= 0
			hasOld := r.Kind == rowDel || r.Kind == rowCtx || r.Kind == rowPair && r.L >= 0
			if n.NewLine > 0 && hasNew && r.NewNo == n.NewLine || n.NewLine == 0 && n.OldLine > 0 && hasOld && r.OldNo == n.OldLine {
				out = append(out, i)
			}
		}
		return out
	}
	add := func(rows []Row, i int, anchor Row) []Row {
		placed[i] = true
		for l := range d.noteLines[i] {
			rows = append(rows, Row{Kind: rowComment, File: anchor.File, Hunk: anchor.Hunk, Line: i, L: l, R: -1, Partner: -1})
		}
		return rows
	}
	// A first pass finds each note's anchor; file-level notes go under the
	// file's header, so they are placed when the header is.
	anchored := make([]bool, len(notes))
	for _, r := range d.Rows {
		for _, i := range at(r) {
			anchored[i] = true
		}
	}
	clear(placed)
	rows := make([]Row, 0, len(d.Rows)+len(notes)*3)
	for _, r := range d.Rows {
		rows = append(rows, r)
		if r.Kind == rowFile {
			for i, n := range notes {
				if !anchored[i] && !placed[i] && n.Path == d.Files[r.File].Path {
					rows = add(rows, i, r)
				}
			}
			continue
		}
		for _, i := range at(r) {
			rows = add(rows, i, r)
		}
	}
	d.Rows = rows
	for i, r := range rows {
		switch r.Kind {
		case rowFile:
			d.FileRows[r.File] = i
		case rowHunk:
			d.HunkRows[r.File][r.Hunk] = i
		}
	}
}

func (d *Doc) renderNote(r Row) string {
	st := d.st
	n := d.notes[r.Line]
	text := d.noteLines[r.Line][r.L]
	bar, style := "┃ ", st.Muted
	switch n.Kind {
	case NoteDraft:
		bar, style = "✎ ", st.Warn
	case NoteKept:
		bar, style = "✓ ", st.OK
	case NoteDropped:
		bar, style = "✗ ", st.Faint
	}
	if r.L > 0 {
		bar = "│ "
	}
	line := "   " + style.Render(bar)
	if r.L == 0 {
		return ansi.Truncate(line+style.Render(text), d.Width, "…")
	}
	if n.Kind == NoteDropped {
		return ansi.Truncate(line+st.Faint.Render(text), d.Width, "…")
	}
	return ansi.Truncate(line+text, d.Width, "…")
}
