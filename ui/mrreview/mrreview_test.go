package mrreview

import (
	"context"
	"errors"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/session"
)

type fakeSource struct {
	drafted   []string
	fail      string // hunk id whose drafting fails
	published [][]Comment
}

func (f *fakeSource) Draft(_ context.Context, file session.FileChange, h session.Hunk) ([]Comment, error) {
	f.drafted = append(f.drafted, h.ID)
	if h.ID == f.fail {
		return nil, errors.New("model unavailable")
	}
	return []Comment{{Path: file.Path, NewLine: h.NewStart, Body: "about " + h.ID}}, nil
}

func (f *fakeSource) Publish(_ context.Context, kept []Comment) (string, error) {
	f.published = append(f.published, kept)
	return "Published", nil
}

func files() []session.FileChange {
	hunk := func(id string, start int) session.Hunk {
		return session.Hunk{ID: id, OldStart: start, OldLines: 1, NewStart: start, NewLines: 1, Lines: []string{"-a", "+b"}}
	}
	return []session.FileChange{
		{Path: "a.go", Kind: session.ChangeModified, Hunks: []session.Hunk{hunk("a.go#1", 1), hunk("a.go#2", 20)}},
		{Path: "b.go", Kind: session.ChangeModified, Hunks: []session.Hunk{hunk("b.go#1", 5)}},
	}
}

// run feeds a key and runs the commands it returns until none is left (the
// drafting chain of C), as the program would.
func run(m *Model, keys ...string) {
	for _, k := range keys {
		cmd := m.onKey(k)
		for cmd != nil {
			msg := cmd()
			if _, ok := msg.(tea.QuitMsg); ok || msg == nil {
				return
			}
			_, cmd = m.Update(msg)
		}
	}
}

func newModel(src Source) *Model {
	m := New(context.Background(), src, Options{Title: "!1", Files: files(), Mode: "as one draft review", NoColor: true})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 40})
	return m
}

func TestDraftAllInOrderThenDecide(t *testing.T) {
	src := &fakeSource{}
	m := newModel(src)
	run(m, "C")
	if strings.Join(src.drafted, " ") != "a.go#1 a.go#2 b.go#1" || len(m.Comments()) != 3 {
		t.Fatalf("drafted %v, comments %d", src.drafted, len(m.Comments()))
	}
	run(m, "a", "d", "p") // keep 1, drop 2, ask to publish
	if len(src.published) != 0 || !strings.Contains(m.status, "Publish 1 comment(s) as one draft review? y/n (1 undecided will not be posted)") {
		t.Fatalf("status %q, published %v", m.status, src.published)
	}
	run(m, "n")
	if len(src.published) != 0 {
		t.Fatal("published after n")
	}
	run(m, "p", "y")
	if len(src.published) != 1 || len(src.published[0]) != 1 || src.published[0][0].Body != "about a.go#1" {
		t.Fatalf("published %+v", src.published)
	}
	run(m, "p") // nothing kept any more: the published one is not posted twice
	if len(src.published) != 1 {
		t.Fatal("published twice")
	}
	if !strings.Contains(ansi.Strip(m.render()), "1 published") {
		t.Errorf("screen:\n%s", ansi.Strip(m.render()))
	}
}

func TestDraftFailureStopsTheQueueAndSaysWhy(t *testing.T) {
	src := &fakeSource{fail: "a.go#2"}
	m := newModel(src)
	run(m, "C")
	if len(src.drafted) != 2 || !strings.Contains(m.status, "drafting a.go#2 failed: model unavailable") {
		t.Fatalf("drafted %v, status %q", src.drafted, m.status)
	}
	src.fail = ""
	run(m, "C") // what is left is drafted on request
	if len(src.drafted) != 4 {
		t.Fatalf("drafted %v", src.drafted)
	}
}

func TestQuitWithDraftsAsksFirst(t *testing.T) {
	m := newModel(&fakeSource{})
	if cmd := m.onKey("q"); cmd == nil {
		t.Fatal("q with nothing drafted should quit")
	}
	run(m, "c")
	if len(m.Comments()) != 1 {
		t.Fatal("c drafted nothing")
	}
	if cmd := m.onKey("q"); cmd != nil || !strings.Contains(m.status, "Quit without publishing 1 drafted comment(s)?") {
		t.Fatalf("status %q", m.status)
	}
	if cmd := m.onKey("n"); cmd != nil {
		t.Fatal("n quit")
	}
	m.onKey("q")
	if cmd := m.onKey("y"); cmd == nil {
		t.Fatal("y did not quit")
	}
}

// esc while C works through the hunks stops after the request in flight.
func TestEscStopsDraftingAll(t *testing.T) {
	src := &fakeSource{}
	m := newModel(src)
	cmd := m.onKey("C") // a.go#1 is in flight, two wait
	m.onKey("esc")
	if !strings.Contains(m.status, "drafting stopped: 2 hunk(s) left undrafted") {
		t.Fatalf("status %q", m.status)
	}
	for cmd != nil { // the answer in flight still arrives, and nothing follows it
		_, cmd = m.Update(cmd())
	}
	if len(src.drafted) != 1 || len(m.Comments()) != 1 {
		t.Fatalf("drafted %v", src.drafted)
	}
	if m.onKey("esc") != nil || !strings.Contains(m.status, "Quit without publishing 1 drafted comment(s)?") {
		t.Fatalf("esc with a draft: %q", m.status)
	}
}

func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// i edits the comment in place: ctrl+s keeps the text, esc leaves the
// comment as it was, an emptied comment is dropped; the screen keeps its height.
func TestInlineEdit(t *testing.T) {
	m := newModel(&fakeSource{})
	run(m, "c")
	m.Update(tea.KeyPressMsg{Code: 'i', Text: "i"})
	if m.inline == nil || !strings.Contains(m.status, "editing comment 1") {
		t.Fatalf("no inline editor: %q", m.status)
	}
	if n := strings.Count(m.render(), "\n") + 1; n > 40 {
		t.Errorf("the screen grew to %d lines", n)
	}
	typeText(m, " and more")
	if !strings.Contains(ansi.Strip(m.inlineView()), "about a.go#1 and more") {
		t.Errorf("the typed text does not show:\n%s", ansi.Strip(m.inlineView()))
	}
	m.Update(tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl})
	c := m.Comments()[0]
	if m.inline != nil || c.Body != "about a.go#1 and more" || c.State != Kept {
		t.Fatalf("after ctrl+s: %+v", c)
	}
	m.Update(tea.KeyPressMsg{Code: 'i', Text: "i"})
	typeText(m, "zzz")
	m.Update(tea.KeyPressMsg{Code: tea.KeyEscape})
	if c := m.Comments()[0]; m.inline != nil || c.Body != "about a.go#1 and more" {
		t.Fatalf("esc changed the comment: %+v", c)
	}
	m.Update(tea.KeyPressMsg{Code: 'i', Text: "i"})
	m.inline.ta.SetValue("")
	m.Update(tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl})
	if c := m.Comments()[0]; c.State != Dropped {
		t.Fatalf("an emptied comment: %+v", c)
	}
}
