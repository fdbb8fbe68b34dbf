package gitops

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestTwoSessionsDoNotCreditEachOther: while session A runs a command,
// session B's agent writes a file (and a file A touched before). A's
// snapshot must not take B's writes as A's agent's, and undoing A must not
// revert what B wrote or what the user accepted from B.
func TestTwoSessionsDoNotCreditEachOther(t *testing.T) {
	r := newTestRepo(t)
	orig := lines(20, "s")
	r.write("shared.txt", orig)
	r.write("b.txt", "b one\nb two\n")
	r.commitAll("init")
	a, b := r.start("sa"), r.start("sb")
	aVersion := replaceLine(orig, 3, "A agent 3")
	if err := a.WriteFile(bg, "shared.txt", []byte(aVersion), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := a.BeforeCommand(bg); err != nil {
		t.Fatal(err)
	}
	// While A's command runs: B's agent writes, and A's command writes c.txt.
	if err := b.WriteFile(bg, "b.txt", []byte("b one\nB agent\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bShared := replaceLine(aVersion, 17, "B agent 17")
	if err := b.WriteFile(bg, "shared.txt", []byte(bShared), 0o644); err != nil {
		t.Fatal(err)
	}
	r.write("c.txt", "A's command\n")
	changed, err := a.AfterCommand(bg)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(changed, []string{"c.txt"}) {
		t.Fatalf("A's command was credited with %q, want only c.txt", changed)
	}
	// The user accepts B's changes, then undoes everything of A's.
	if _, err := b.AcceptAll(bg, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := a.UndoAll(bg, ""); err != nil {
		t.Fatal(err)
	}
	if got := r.mustRead("b.txt"); got != "b one\nB agent\n" {
		t.Errorf("undoing A reverted B's b.txt: %q", got)
	}
	if got, _ := r.staged("b.txt"); got != "b one\nB agent\n" {
		t.Errorf("undoing A unstaged B's accepted b.txt: %q", got)
	}
	want := replaceLine(orig, 17, "B agent 17")
	if got := r.mustRead("shared.txt"); got != want {
		t.Errorf("after undoing A, shared.txt is %q, want B's line kept and A's gone: %q", got, want)
	}
	if _, ok := r.read("c.txt"); ok {
		t.Error("undoing A kept its command's c.txt")
	}
	// Once B is closed (ended), its earlier writes are part of the tree a
	// new command of A's changes like any other: credited to A again.
	b.Close()
	if err := a.BeforeCommand(bg); err != nil {
		t.Fatal(err)
	}
	r.write("b.txt", "A's command rewrote b\n")
	if changed, err := a.AfterCommand(bg); err != nil || !slices.Equal(changed, []string{"b.txt"}) {
		t.Fatalf("after B ended: %q %v", changed, err)
	}
}

// TestUndoRefusesWhenALaterAcceptChangedTheSameLines: an accept added a line,
// a later accept deleted it. Undoing the first alone cannot take back exactly
// its own lines: it is refused and the index keeps the later accept.
func TestUndoRefusesWhenALaterAcceptChangedTheSameLines(t *testing.T) {
	r := newTestRepo(t)
	orig := lines(12, "l")
	r.write("a.txt", orig)
	r.commitAll("init")
	s := r.start("exact")
	first := strings.Replace(orig, "l 6\n", "l 6\nadded by the first\n", 1)
	if err := s.WriteFile(bg, "a.txt", []byte(first), 0o644); err != nil {
		t.Fatal(err)
	}
	d1, err := s.AcceptFile(bg, "a.txt", "")
	if err != nil {
		t.Fatal(err)
	}
	second := replaceLine(orig, 2, "second 2")
	if err := s.WriteFile(bg, "a.txt", []byte(second), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptFile(bg, "a.txt", ""); err != nil {
		t.Fatal(err)
	}
	before, _ := r.staged("a.txt")
	_, err = s.Undo(bg, d1.Hunks[0].ID, "")
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("undo of the first accept: %v, want a conflict", err)
	}
	if got, _ := r.staged("a.txt"); got != before || got != second {
		t.Fatalf("the refused undo changed the index: %q", got)
	}
	// Undoing the later accept first, then the first, works.
	if _, err := s.Undo(bg, "a.txt", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Undo(bg, "a.txt", ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.staged("a.txt"); got != orig {
		t.Fatalf("after undoing both: %q", got)
	}
}

// TestBusySessionNamesTheHolder: a second writer waits a bounded time for
// the session lock, then refuses naming who holds it and what it does.
func TestBusySessionNamesTheHolder(t *testing.T) {
	r := newTestRepo(t)
	r.write("a.txt", "one\n")
	r.commitAll("init")
	s := r.start("busy")
	if err := s.WriteFile(bg, "a.txt", []byte("two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	end, err := s.begin(bg, "deciding")
	if err != nil {
		t.Fatal(err)
	}
	defer end()
	old := lockWait
	lockWait = 20 * time.Millisecond
	defer func() { lockWait = old }()
	_, err = Open(bg, r.dir, "busy")
	if !errors.Is(err, ErrSessionBusy) || !strings.Contains(err.Error(), "session busy is busy: this wend (pid "+itoa(os.Getpid())+") is deciding; try again") {
		t.Fatalf("open while another writer holds the session: %v", err)
	}
	if _, err := os.Stat(filepath.Join(r.dir, ".git", "wend", "busy", "lock")); err != nil {
		t.Fatal(err)
	}
}
