package diffview

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/ui/styles"
)

// Notes show under the line they are about, on either side, unified and side
// by side; a note whose line the diff lacks shows under its file's header;
// hostile text in a note shows, never acts.
func TestNotesWovenAtTheirLines(t *testing.T) {
	notes := []Note{
		{ID: 1, Path: "auth/session.go", NewLine: 12, Title: "@bob · unresolved", Body: "Is s.clock ever nil?"},
		{ID: 2, Path: "auth/session.go", OldLine: 11, Kind: NoteDraft, Title: "comment 2", Body: "why \x1b]0;pwned\x07 removed"},
		{ID: 3, Path: "web/app.py", NewLine: 99, Kind: NoteKept, Title: "comment 3", Body: "not in the diff"},
	}
	for _, width := range []int{100, 160} {
		m := New(styles.New(true, true))
		m.SetSize(width, 60)
		m.SetFiles(sampleFiles())
		m.SetNotes(notes)
		lines := strings.Split(ansi.Strip(m.View()), "\n")
		find := func(s string) int {
			for i, l := range lines {
				if strings.Contains(l, s) {
					return i
				}
			}
			t.Fatalf("width %d: no %q in\n%s", width, s, strings.Join(lines, "\n"))
			return -1
		}
		if find("Is s.clock ever nil?") != find("@bob · unresolved")+1 || find("@bob") != find("return now.Before")+1 {
			t.Errorf("width %d: the thread is not under new line 12:\n%s", width, strings.Join(lines, "\n"))
		}
		if width < SideBySideMin && find("comment 2") != find("-     return time.Now()")+1 {
			t.Errorf("the draft is not under old line 11:\n%s", strings.Join(lines, "\n"))
		}
		if find("comment 3") != find("web/app.py added")+1 {
			t.Errorf("the note without its line is not under its file:\n%s", strings.Join(lines, "\n"))
		}
		if strings.Contains(m.View(), "\x1b]0;") {
			t.Error("an escape in a note reached the terminal")
		}
	}
}

func TestNextNoteAndCurrentNoteKeepTheCursor(t *testing.T) {
	m := New(styles.New(true, true))
	m.SetSize(100, 60)
	m.SetFiles(sampleFiles())
	drafts := func(n Note) bool { return n.Kind != NoteThread }
	notes := []Note{
		{ID: 1, Path: "auth/session.go", NewLine: 12, Title: "thread"},
		{ID: 2, Path: "auth/session.go", NewLine: 42, Kind: NoteDraft, Title: "d2", Body: "two\nlines"},
		{ID: 3, Path: "web/app.py", NewLine: 2, Kind: NoteDraft, Title: "d3"},
	}
	m.SetNotes(notes)
	if !m.NextNote(1, drafts) {
		t.Fatal("no next note")
	}
	if n, ok := m.CurrentNote(); !ok || n.ID != 2 {
		t.Fatalf("on %+v, want note 2 (the thread is skipped)", n)
	}
	if f, h := m.Current(); f == nil || h == nil || h.ID != "h2" {
		t.Errorf("a note row belongs to its hunk: %v %v", f, h)
	}
	notes[1].Kind = NoteKept // a new state re-weaves the notes: the cursor stays on it
	m.SetNotes(notes)
	if n, ok := m.CurrentNote(); !ok || n.ID != 2 || n.Kind != NoteKept {
		t.Fatalf("after SetNotes on %+v", n)
	}
	if !m.NextNote(1, drafts) {
		t.Fatal("no third note")
	}
	if n, _ := m.CurrentNote(); n.ID != 3 {
		t.Fatalf("on %d", n.ID)
	}
	if m.NextNote(1, drafts) {
		t.Error("moved past the last note")
	}
	if !m.NextNote(-1, drafts) {
		t.Fatal("no way back")
	}
	if n, _ := m.CurrentNote(); n.ID != 2 {
		t.Fatalf("back on %d, want the first line of note 2", n.ID)
	}
}
