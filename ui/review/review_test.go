package review

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/keys"
	"gitlab.com/wend/wend/ui/styles"
	"gitlab.com/wend/wend/ui/uitest"
)

func files() []session.FileChange {
	hunk := func(id string, at int) session.Hunk {
		return session.Hunk{ID: id, OldStart: at, OldLines: 1, NewStart: at, NewLines: 1, State: session.HunkProposed,
			Lines: []string{"-old " + id, "+new " + id}}
	}
	return []session.FileChange{
		{Path: "a.go", Kind: session.ChangeModified, Added: 2, Deleted: 2, Hunks: []session.Hunk{hunk("a1", 1), hunk("a2", 20)}},
		{Path: "b.go", Kind: session.ChangeModified, Added: 1, Deleted: 1, Hunks: []session.Hunk{hunk("b1", 5)}},
		{Path: "gone.go", Kind: session.ChangeDeleted, Deleted: 1, Hunks: []session.Hunk{{ID: "g1", OldStart: 1, OldLines: 1, Lines: []string{"-x"}}}},
	}
}

func newModel(t *testing.T, km keys.KeyMap, opts Options) Model {
	t.Helper()
	m := New(styles.New(true, true), km, opts)
	m.SetSize(100, 40)
	m.SetFiles(files())
	if _, h := m.Current(); h == nil || h.ID != "a1" {
		t.Fatalf("the review starts on %+v, want the first hunk", h)
	}
	return m
}

func press(s string) tea.KeyPressMsg {
	switch s {
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	}
	if c, ok := strings.CutPrefix(s, "ctrl+"); ok {
		return tea.KeyPressMsg{Code: rune(c[0]), Mod: tea.ModCtrl}
	}
	return tea.KeyPressMsg{Code: []rune(s)[0], Text: s}
}

// send presses the keys in turn and returns the last Out.
func send(m *Model, ks ...string) (Out, tea.Cmd) {
	var out Out
	var cmd tea.Cmd
	for _, k := range ks {
		*m, out, cmd = m.Update(press(k))
	}
	return out, cmd
}

func wantDecision(t *testing.T, out Out, a session.ReviewAction, targets ...string) {
	t.Helper()
	if out.Decision == nil {
		t.Fatalf("no decision, want %s %v (out %+v)", a, targets, out)
	}
	d := *out.Decision
	if d.Kind != session.DecideReview || d.Action != a || !reflect.DeepEqual(d.Targets, targets) {
		t.Fatalf("decision %+v, want %s %v", d, a, targets)
	}
}

func TestKeysEmitDecisions(t *testing.T) {
	m := newModel(t, keys.Default(), Options{})
	out, _ := send(&m, "a")
	wantDecision(t, out, session.ReviewAccept, "a1")
	if _, h := m.Current(); h == nil || h.ID != "a2" {
		t.Fatalf("after accepting a hunk the cursor is on %+v, want the next undecided hunk a2", h)
	}
	out, _ = send(&m, "A")
	wantDecision(t, out, session.ReviewAccept, "a.go")
	out, _ = send(&m, "n", "r")
	if out.Decision != nil || out.Reject == nil || out.Reject.Title != "Reject this hunk" || !reflect.DeepEqual(out.Reject.Targets, []string{"b1"}) {
		t.Fatalf("r on b1: %+v, want a rejection of b1 waiting for its reason", out)
	}
	out, _ = send(&m, "R")
	if out.Reject == nil || !reflect.DeepEqual(out.Reject.Targets, []string{"b.go"}) || !strings.Contains(out.Reject.Title, "b.go") {
		t.Fatalf("R on b.go: %+v", out)
	}
	out, _ = send(&m, "ctrl+d")
	if out.Reject == nil || !reflect.DeepEqual(out.Reject.Targets, []string{"all"}) {
		t.Fatalf("ctrl+d: %+v", out)
	}
	if out, _ = send(&m, "esc"); !out.Close || out.Decision != nil {
		t.Fatalf("esc: %+v, want only Close", out)
	}
}

// A hunk key on a file row moves to the file's first hunk and decides nothing:
// a whole file is decided by the file key only.
func TestHunkKeyOnAFileRowOnlyMoves(t *testing.T) {
	m := newModel(t, keys.Default(), Options{})
	send(&m, "up")
	if f, h := m.Current(); f == nil || h != nil {
		t.Fatalf("up from the first hunk is on %v/%v, want the file row", f, h)
	}
	for _, k := range []string{"a", "r"} {
		send(&m, "up")
		if out, _ := send(&m, k); out != (Out{}) {
			t.Fatalf("%s on a file row: %+v, want nothing", k, out)
		}
		if _, h := m.Current(); h == nil || h.ID != "a1" {
			t.Fatalf("%s on a file row left the cursor on %+v, want hunk a1", k, h)
		}
	}
}

// Undo takes back the newest decision; after accept-all, file by file (never
// "all", which would return every path to the baseline); then nothing.
func TestUndoTakesBackDecisionsNewestFirst(t *testing.T) {
	m := newModel(t, keys.Default(), Options{})
	send(&m, "a")      // a1
	send(&m, "ctrl+a") // all
	out, _ := send(&m, "u")
	wantDecision(t, out, session.ReviewUndo, "a.go", "b.go", "gone.go")
	out, _ = send(&m, "u")
	wantDecision(t, out, session.ReviewUndo, "a1")
	if out, _ = send(&m, "u"); out.Decision != nil {
		t.Fatalf("undo with nothing left: %+v", out)
	}
	// A rejection counts once its reason is in (the root calls Decide).
	d := m.Decide(session.ReviewReject, []string{"b1"}, "too broad", "")
	if d.Action != session.ReviewReject || d.Reason != "too broad" {
		t.Fatalf("Decide: %+v", d)
	}
	out, _ = send(&m, "u")
	wantDecision(t, out, session.ReviewUndo, "b1")
}

// The component dispatches on the key map it is given: a remapped action
// answers to its new key, and no longer to the old one.
func TestRemappedKeysDispatch(t *testing.T) {
	km, err := keys.Default().WithOverrides(map[string][]string{"accept_hunk": {"y"}})
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(t, km, Options{})
	if out, _ := send(&m, "a"); out.Decision != nil {
		t.Fatalf("the old key still accepts: %+v", out)
	}
	out, _ := send(&m, "y")
	wantDecision(t, out, session.ReviewAccept, "a1")
	if hs := m.Hints(); hs[1].Help().Key != "y" {
		t.Fatalf("hint line shows %q for accept hunk, want the remapped key", hs[1].Help().Key)
	}
}

// Modify writes the port's proposed content to a file for the editor, and the
// edited text comes back as a modify decision; failures come back as Err.
func TestModifyRoundTrip(t *testing.T) {
	port := &uitest.Changes{Files: files()}
	m := newModel(t, keys.Default(), Options{Port: port, Editor: "true"})
	_, cmd := send(&m, "e")
	if cmd == nil {
		t.Fatal("e on a modified file started nothing")
	}
	ready, ok := cmd().(editorReadyMsg)
	if !ok || ready.err != nil || ready.path != "a.go" {
		t.Fatalf("prepare: %+v", ready)
	}
	defer os.Remove(ready.tmp)
	b, err := os.ReadFile(ready.tmp)
	if err != nil || string(b) != "new a1\nnew a2\n" {
		t.Fatalf("the editor's file holds %q (%v), want the port's proposed content", b, err)
	}
	var out Out
	m, out, cmd = m.Update(ready)
	if cmd == nil || out != (Out{}) {
		t.Fatalf("ready: out %+v, cmd %v; want the editor run", out, cmd != nil)
	}
	m, out, _ = m.Update(editorDoneMsg{path: "a.go", content: "edited\n"})
	wantDecision(t, out, session.ReviewModify, "a.go")
	if out.Decision.Content != "edited\n" {
		t.Fatalf("modify content %q", out.Decision.Content)
	}
	m, out, _ = m.Update(editorDoneMsg{path: "a.go", err: errors.New("exit status 1")})
	if out.Decision != nil || out.Err != "editor: exit status 1" {
		t.Fatalf("failed editor: %+v", out)
	}
	_, out, _ = m.Update(editorReadyMsg{path: "a.go", err: errors.New("no change")})
	if out.Err != "modify a.go: no change" {
		t.Fatalf("failed prepare: %+v", out)
	}
	// A deleted file has nothing to edit.
	send(&m, "n", "n", "n")
	if f, _ := m.Current(); f == nil || f.Path != "gone.go" {
		t.Fatalf("cursor on %+v, want gone.go", f)
	}
	if _, cmd = send(&m, "e"); cmd != nil {
		t.Fatal("e on a deleted file started the editor")
	}
}

// The review lists through the port one listing at a time; a request while
// one runs lists once more after it, and a failure is reported, not shown as
// an empty review.
func TestRefreshListsOnceAtATime(t *testing.T) {
	port := &uitest.Changes{Files: files()[:1]}
	m := New(styles.New(true, true), keys.Default(), Options{Port: port})
	m.SetSize(100, 40)
	first := m.Refresh()
	if first == nil {
		t.Fatal("Refresh with a port started nothing")
	}
	if m.Refresh() != nil {
		t.Fatal("a second listing started while one runs")
	}
	listed, ok := first().(listedMsg)
	if !ok || listed.err != nil {
		t.Fatalf("listing: %#v", listed)
	}
	var out Out
	var again tea.Cmd
	m, out, again = m.Update(listed)
	if !out.Listed || len(m.Files()) != 1 || m.Files()[0].Path != "a.go" {
		t.Fatalf("after the listing: out %+v, files %v", out, m.Files())
	}
	if again == nil {
		t.Fatal("the request made meanwhile was dropped")
	}
	m, out, _ = m.Update(again())
	if !out.Listed {
		t.Fatalf("second listing: %+v", out)
	}
	if m.Refresh() == nil {
		t.Fatal("no listing after the last one came back")
	}
	m, out, _ = m.Update(listedMsg{err: errors.New("index locked")})
	if out.Listed || out.Err != "listing changes: index locked" || len(m.Files()) != 1 {
		t.Fatalf("failed listing: out %+v, files %v; want the error and the old files kept", out, m.Files())
	}
	if (&Model{}).Refresh() != nil {
		t.Fatal("a review without a port listed")
	}
}
