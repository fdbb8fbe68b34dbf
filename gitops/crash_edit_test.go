package gitops

import (
	"fmt"
	"strings"
	"testing"
)

// TestCrashThenUserEditKeepsFileAndJournalTogether: a decision interrupted
// after some of its working-tree writes, then the user edits the same file
// elsewhere before wend comes back. Recovery rolls the decision back (the
// user changed its path), and the file must then hold what the journal says
// is pending (the agent's hunk) plus the user's edit; or, if the decision
// counts, the file must show it. Found by TestRandomized's crash mode (seed
// 1068): the rejected hunk stayed rejected on disk while the journal called it
// pending, so a later accept staged lines the working tree no longer had.
func TestCrashThenUserEditKeepsFileAndJournalTogether(t *testing.T) {
	for _, tc := range []struct {
		name string
		act  func(s *Session, c *crashScene) error
		gone string // the agent line the decision takes out of the file
	}{
		{"reject hunk", func(s *Session, c *crashScene) error { _, err := s.RejectHunk(bg, c.hunkBottom, ""); return err }, "agent 17"},
		{"reject file", func(s *Session, c *crashScene) error { _, err := s.RejectFile(bg, "a.txt", ""); return err }, "agent 5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for at := 1; ; at++ {
				c := newCrashScene(t)
				s, err := Open(bg, c.r.dir, crashID)
				if err != nil {
					t.Fatal(err)
				}
				point, release, err := crashAt(s, at, func() error { return tc.act(s, c) })
				if release == nil {
					s.Close()
					if err != nil {
						t.Fatal(err)
					}
					if at == 1 {
						t.Fatal("no write boundary")
					}
					return
				}
				t.Cleanup(release)
				what := fmt.Sprintf("crash at boundary %d (%s)", at, point)
				edited := replaceLine(c.r.mustRead("a.txt"), 10, "user edit 10")
				c.r.write("a.txt", edited)
				s, err = Open(bg, c.r.dir, crashID)
				if err != nil {
					t.Fatalf("%s: open: %v", what, err)
				}
				file := c.r.mustRead("a.txt")
				if !strings.Contains(file, "user edit 10\n") {
					t.Fatalf("%s: the user's edit is gone: %q", what, file)
				}
				decided := len(s.Decisions()) > 0
				if has := strings.Contains(file, tc.gone+"\n"); has == decided {
					t.Fatalf("%s: the journal says decided=%v but a.txt %s %q:\n%s", what, decided,
						map[bool]string{true: "still has", false: "lacks"}[has], tc.gone, file)
				}
				if _, err := s.UndoAll(bg, ""); err != nil {
					t.Fatalf("%s: undo-all: %v", what, err)
				}
				if got, want := c.r.mustRead("a.txt"), replaceLine(c.userFile, 10, "user edit 10"); got != want {
					t.Fatalf("%s: after undo-all a.txt is\n%q\nwant the user's\n%q", what, got, want)
				}
				s.Close()
			}
		})
	}
}

// TestCrashThenUserEditOfTheSameLinesKeepsTheEdit: the interrupted reject
// rewrote lines the user then edits before wend comes back, so the write
// cannot be taken back without undoing the user's edit. Recovery must then
// complete the reject (the user's edit sits on the rejected version), not
// leave the journal calling the agent's lines pending while the file lacks
// them: a later agent write and undo-all lost the user's line (seed 150).
func TestCrashThenUserEditOfTheSameLinesKeepsTheEdit(t *testing.T) {
	for at := 1; ; at++ {
		c := newCrashScene(t)
		s, err := Open(bg, c.r.dir, crashID)
		if err != nil {
			t.Fatal(err)
		}
		// Line 17 is the agent's; the reject puts the user's back.
		point, release, err := crashAt(s, at, func() error { _, err := s.RejectHunk(bg, c.hunkBottom, ""); return err })
		if release == nil {
			s.Close()
			if err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Cleanup(release)
		what := fmt.Sprintf("crash at boundary %d (%s)", at, point)
		file := c.r.mustRead("a.txt")
		if strings.Contains(file, "agent 17\n") {
			continue // the reject's write was not made: the user edits around it
		}
		edited := replaceLine(file, 17, "user wrote 17")
		c.r.write("a.txt", edited)
		s, err = Open(bg, c.r.dir, crashID)
		if err != nil {
			t.Fatalf("%s: open: %v", what, err)
		}
		if got := c.r.mustRead("a.txt"); got != edited {
			t.Fatalf("%s: recovery changed the user's file:\n%q\nwant\n%q", what, got, edited)
		}
		if len(s.Decisions()) != 1 {
			t.Fatalf("%s: the reject the file shows is not in the journal (decisions %+v)", what, s.Decisions())
		}
		// The agent writes again, then everything is undone: the user's
		// line stays.
		if err := s.WriteFile(bg, "a.txt", []byte(replaceLine(edited, 3, "agent 3")), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UndoAll(bg, ""); err != nil {
			t.Fatalf("%s: undo-all: %v", what, err)
		}
		if got, want := c.r.mustRead("a.txt"), replaceLine(c.userFile, 17, "user wrote 17"); got != want {
			t.Fatalf("%s: after undo-all a.txt is\n%q\nwant\n%q", what, got, want)
		}
		s.Close()
	}
}

// TestCrashBeforeTheWriteThenUserEditNextToItRollsBack: the reject was
// interrupted before its file write, and the user then edits the line next
// to the agent's insertion, so neither a merge back nor forward is clean.
// The file still has the agent's line (the write was never made): recovery
// must leave the reject undone, not record it over a file that still holds
// the rejected line, which then became the user's (seeds 7778523, 7779694).
func TestCrashBeforeTheWriteThenUserEditNextToItRollsBack(t *testing.T) {
	for at := 1; ; at++ {
		r := newTestRepo(t)
		r.write("a.txt", lines(12, "line"))
		r.commitAll("init")
		user := r.mustRead("a.txt")
		s := r.start(crashID)
		agent := strings.Replace(user, "line 6\n", "agent inserted\nline 6\n", 1)
		if err := s.WriteFile(bg, "a.txt", []byte(agent), 0o644); err != nil {
			t.Fatal(err)
		}
		s.Close()
		s, err := Open(bg, r.dir, crashID)
		if err != nil {
			t.Fatal(err)
		}
		point, release, err := crashAt(s, at, func() error { _, err := s.RejectFile(bg, "a.txt", ""); return err })
		if release == nil {
			t.Fatalf("the reject's file write was never reached (%v)", err)
		}
		t.Cleanup(release)
		if !strings.Contains(r.mustRead("a.txt"), "agent inserted\n") {
			t.Fatalf("no boundary before the file write was found below %d", at)
		}
		if point != "index" {
			continue // crash at the boundary right before the file write
		}
		edited := strings.Replace(agent, "line 6\n", "user wrote 6\n", 1)
		r.write("a.txt", edited)
		if s, err = Open(bg, r.dir, crashID); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if got := r.mustRead("a.txt"); got != edited {
			t.Fatalf("recovery changed the user's file:\n%q\nwant\n%q", got, edited)
		}
		if len(s.Decisions()) != 0 {
			t.Fatalf("the journal records the reject, the file still has the rejected line: %+v", s.Decisions())
		}
		if _, err := s.RejectFile(bg, "a.txt", ""); err != nil {
			t.Fatal(err)
		}
		if got, want := r.mustRead("a.txt"), strings.Replace(user, "line 6\n", "user wrote 6\n", 1); got != want {
			t.Fatalf("after the reject a.txt is\n%q\nwant\n%q", got, want)
		}
		return
	}
}
