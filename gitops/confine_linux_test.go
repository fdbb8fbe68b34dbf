package gitops

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"gitlab.com/wend/wend/internal/gittest"
)

// startSwapper is shared with session/tools' tests.
var startSwapper = gittest.StartSwapper

// outsideDir is a directory outside the repository holding one file the
// attack would like to overwrite; the returned check fails the test when
// anything in it changed.
func outsideDir(t testing.TB) (dir string, check func()) {
	t.Helper()
	dir = t.TempDir()
	victim := filepath.Join(dir, "f.txt")
	if err := os.WriteFile(victim, []byte("outside\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, func() {
		t.Helper()
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		if len(names) != 1 || names[0] != "f.txt" {
			t.Errorf("entries outside the repository: %v, want only f.txt", names)
		}
		data, err := os.ReadFile(victim)
		if err != nil || string(data) != "outside\n" {
			t.Errorf("the file outside the repository was replaced: %q %v", data, err)
		} else if fi, _ := os.Stat(victim); fi.Mode().Perm() != 0o600 {
			t.Errorf("the file outside the repository has permission %v now", fi.Mode().Perm())
		}
	}
}

// swapWrites is how many writes race the swapper: the old code escaped
// dozens of times in that many; bounded for CI (each write fsyncs).
const swapWrites = 200

func TestWriteFileThroughSwappedSymlinkStaysInRepo(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	r.write("sub/keep.txt", "keep\n")
	r.commitAll("init")
	s := r.start("swap")
	outside, checkOutside := outsideDir(t)

	stop := startSwapper(t, filepath.Join(r.dir, "sub"), outside)
	wrote := 0
	for i := range swapWrites {
		if err := s.WriteFile(ctx, "sub/f.txt", []byte(fmt.Sprintf("agent %d\n", i)), 0o644); err == nil {
			wrote++
		}
	}
	stop()
	checkOutside()
	t.Logf("%d of %d writes landed (the rest were refused)", wrote, swapWrites)
}

func TestDecisionWritesThroughSwappedSymlinkStayInRepo(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	r.write("sub/f.txt", "base\n")
	r.commitAll("init")
	s := r.start("swapdecide")
	outside, checkOutside := outsideDir(t)

	stop := startSwapper(t, filepath.Join(r.dir, "sub"), outside)
	for i := range swapWrites / 4 {
		s.WriteFile(ctx, "sub/f.txt", []byte(fmt.Sprintf("agent %d\n", i)), 0o644)
		s.RejectFile(ctx, "sub/f.txt", "")
		s.UndoAll(ctx, "")
	}
	stop()
	checkOutside()
}

func TestWriteFileThroughSwappedSymlinkStaysOutOfGitDir(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	r.write("sub/keep.txt", "keep\n")
	r.commitAll("init")
	s := r.start("swapgit")
	hooks := filepath.Join(r.dir, ".git", "hooks")
	before, _ := os.ReadDir(hooks)
	config := readFile(t, filepath.Join(r.dir, ".git", "config"))

	// The link stays inside the repository, so the Root alone would follow it.
	stop := startSwapper(t, filepath.Join(r.dir, "sub"), ".git")
	for i := range swapWrites / 2 {
		s.WriteFile(ctx, "sub/hooks/pre-commit", []byte("#!/bin/sh\necho pwned\n"), 0o755)
		s.WriteFile(ctx, "sub/config", []byte(fmt.Sprintf("agent %d\n", i)), 0o644)
	}
	stop()
	if after, _ := os.ReadDir(hooks); len(after) != len(before) {
		t.Errorf(".git/hooks had %d entries, has %d now", len(before), len(after))
	}
	if got := readFile(t, filepath.Join(r.dir, ".git", "config")); got != config {
		t.Errorf(".git/config was replaced with %q", got)
	}
}
