package gitops

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCrashMirroredAcceptAtEveryBoundary: an isolated (--worktree) accept
// writes the user's index and working tree as well as the worktree's. It is
// interrupted at every write boundary (in-process, crashAt), the session is
// reopened from disk, and then the user's index, the user's file, the
// worktree and the journal must agree: either the accept counts and the user
// has it in both index and file, or it is pending again and the user has
// exactly what they had. Then undo-all must give the user back their state.
func TestCrashMirroredAcceptAtEveryBoundary(t *testing.T) {
	for _, tc := range []struct {
		name string
		act  func(m *Mirrored, hunks []string) error
		// file and index are what the user's a.txt and its index entry
		// become when the accept counts (from the user's file and staged
		// content); newFile: whether new.txt reaches the user's tree.
		file    func(user string) string
		newFile bool
	}{
		{name: "accept hunk",
			act:  func(m *Mirrored, hunks []string) error { _, err := m.AcceptHunk(bg, hunks[0], ""); return err },
			file: func(u string) string { return replaceLine(u, 10, "agent ten") }},
		// A whole file: the user's tree gets a file and an index entry it
		// did not have (a modified file's accept-file writes like a hunk).
		{name: "accept file",
			act:     func(m *Mirrored, _ []string) error { _, err := m.AcceptFile(bg, "new.txt", ""); return err },
			file:    func(u string) string { return u },
			newFile: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var points []string
			for at := 1; ; at++ {
				r := worktreeRepo(t)
				w, m := addWorktree(t, r, "mc")
				userFile, userStaged := r.mustRead("a.txt"), mustStaged(t, r, "a.txt")
				agent := replaceLine(replaceLine(userFile, 10, "agent ten"), 25, "agent twenty-five")
				if err := m.WriteFile(bg, "a.txt", []byte(agent), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := m.WriteFile(bg, "new.txt", []byte("created\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				hunks := proposalHunks(t, m.Session, "a.txt")
				point, release, err := crashAt(m.Session, at, func() error { return tc.act(m, hunks) })
				if release == nil {
					if err != nil {
						t.Fatal(err)
					}
					if at == 1 {
						t.Fatal("no write boundary")
					}
					t.Logf("crashed at each of %d write boundaries: %s", at-1, strings.Join(points, ", "))
					return
				}
				t.Cleanup(release)
				what := fmt.Sprintf("crash at boundary %d (%s)", at, point)
				points = append(points, point)
				s, err := w.Reopen(bg)
				if err != nil {
					t.Fatalf("%s: reopen: %v", what, err)
				}
				m = w.Mirror(s)
				decided := len(s.Decisions()) > 0
				wantFile, wantStaged := userFile, userStaged
				if decided {
					wantFile, wantStaged = tc.file(userFile), tc.file(userStaged)
				}
				if got := r.mustRead("a.txt"); got != wantFile {
					t.Fatalf("%s (decided %v): the user's a.txt is\n%s\nwant\n%s", what, decided, got, wantFile)
				}
				if got := mustStaged(t, r, "a.txt"); got != wantStaged {
					t.Fatalf("%s (decided %v): the user's index has a.txt\n%s\nwant\n%s", what, decided, got, wantStaged)
				}
				_, onDisk := r.read("new.txt")
				_, staged := r.staged("new.txt")
				if want := decided && tc.newFile; onDisk != want || staged != want {
					t.Fatalf("%s (decided %v): new.txt in the user's tree %v, staged %v; want %v", what, decided, onDisk, staged, want)
				}
				for _, dir := range []string{r.dir, w.Dir} {
					checkNoLeftovers(t, what, dir)
				}
				if _, err := m.UndoAll(bg, ""); err != nil {
					t.Fatalf("%s: undo-all: %v", what, err)
				}
				if r.mustRead("a.txt") != userFile || mustStaged(t, r, "a.txt") != userStaged {
					t.Fatalf("%s: undo-all did not give the user back a.txt", what)
				}
				if _, ok := r.read("new.txt"); ok {
					t.Fatalf("%s: undo-all left new.txt in the user's tree", what)
				}
				m.Close()
			}
		})
	}
}

// checkNoLeftovers fails when a working tree holds an index.lock or a
// temporary file of wend's.
func checkNoLeftovers(t *testing.T, what, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if d == nil {
			return nil
		}
		if d.Name() == "index.lock" {
			t.Errorf("%s: %s left behind", what, p)
		}
		if d.IsDir() && d.Name() == ".git" {
			if _, err := os.Stat(filepath.Join(p, "index.lock")); err == nil {
				t.Errorf("%s: %s/index.lock left behind", what, p)
			}
			return filepath.SkipDir
		}
		if strings.HasPrefix(d.Name(), ".wend-tmp-") {
			t.Errorf("%s: temporary file %s left behind", what, p)
		}
		return nil
	})
}
