package tools

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/internal/gittest"
)

// These tests race the tools against a directory that flips between itself
// and a symlink planted after resolve checked the path (finding 5): whatever
// wins the race, nothing outside the repository (or inside .git) may be
// written or read.

// swapCalls is how many calls race the swapper; the old code escaped dozens
// of times in that many.
const swapCalls = 200

// swapReads is the same for reads, which are cheaper and race a narrower
// window (resolve's own check is closer to the read).
const swapReads = 1000

// outsideFiles is a directory outside the repository; check fails the test
// when its entries or contents changed.
func outsideFiles(t *testing.T, files map[string]string) (dir string, check func()) {
	t.Helper()
	dir = t.TempDir()
	writeFiles(t, dir, files)
	return dir, func() {
		t.Helper()
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) != len(files) {
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			t.Errorf("outside the repository now: %v", names)
		}
		for name, want := range files {
			if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(got) != want {
				t.Errorf("outside file %s changed: %q %v", name, got, err)
			}
		}
	}
}

func TestCreateFileThroughSwappedSymlinkStaysInRepo(t *testing.T) {
	for _, ws := range []string{"direct", "gitops"} {
		t.Run(ws, func(t *testing.T) {
			dir := newGitRepo(t, map[string]string{"sub/keep.txt": "keep\n"})
			cfg := Config{Root: dir}
			if ws == "gitops" {
				s, err := gitops.Start(context.Background(), dir, "swap")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				cfg.Workspace = s
			}
			reg, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			outside, check := outsideFiles(t, map[string]string{"f.txt": "outside\n"})
			stop := gittest.StartSwapper(t, filepath.Join(dir, "sub"), outside)
			created := 0
			for i := range swapCalls {
				args := fmt.Sprintf(`{"path":"sub/f-%d.txt","content":"agent\n"}`, i)
				if !reg.Execute(context.Background(), Call{ID: "1", Name: ToolCreateFile, Args: []byte(args)}).IsError {
					created++
				}
			}
			stop()
			check()
			t.Logf("%d of %d created", created, swapCalls)
		})
	}
}

func TestReadFileThroughSwappedSymlinkNeverReadsOutside(t *testing.T) {
	f := newFixture(t, map[string]string{"sub/secret.txt": "inside\n"})
	outside, check := outsideFiles(t, map[string]string{"secret.txt": "OUTSIDE SECRET\n", "only-outside.txt": "x\n"})
	stop := gittest.StartSwapper(t, filepath.Join(f.dir, "sub"), outside)
	read, listed := 0, 0
	for range swapReads {
		res := f.call(ToolReadFile, obj{"path": "sub/secret.txt"})
		if strings.Contains(res.Output, "OUTSIDE") {
			t.Fatalf("read_file returned the file outside the repository:\n%s", res.Output)
		}
		if !res.IsError {
			read++
		}
		res = f.call(ToolListDir, obj{"path": "sub"})
		if strings.Contains(res.Output, "only-outside") {
			t.Fatalf("list_dir listed the directory outside the repository:\n%s", res.Output)
		}
		if !res.IsError {
			listed++
		}
	}
	stop()
	check()
	t.Logf("%d reads and %d listings of %d succeeded", read, listed, swapReads)
}

func TestReadFileThroughSwappedSymlinkStaysOutOfGitDir(t *testing.T) {
	f := newFixture(t, map[string]string{"sub/config": "inside\n"})
	// The link stays inside the repository, so a Root alone would follow it.
	stop := gittest.StartSwapper(t, filepath.Join(f.dir, "sub"), ".git")
	for range swapReads {
		res := f.call(ToolReadFile, obj{"path": "sub/config"})
		if strings.Contains(res.Output, "[core]") {
			t.Fatalf("read_file returned .git/config:\n%s", res.Output)
		}
	}
	stop()
}

// An agent edit keeps a private file private, and rejecting the edit puts
// back the permission the agent's command widened (finding 8), end to end
// through the tools and the gitops workspace.
func TestEditKeepsPermissionAndRejectRestoresIt(t *testing.T) {
	ctx := context.Background()
	dir := newGitRepo(t, map[string]string{"secret.txt": "token\n", "run.sh": "#!/bin/sh\n"})
	for p, m := range map[string]os.FileMode{"secret.txt": 0o600, "run.sh": 0o700} {
		if err := os.Chmod(filepath.Join(dir, p), m); err != nil {
			t.Fatal(err)
		}
	}
	s, err := gitops.Start(ctx, dir, "perm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	reg, err := New(Config{Root: dir, Workspace: s})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dir: dir, reg: reg}
	perm := func(p string) os.FileMode {
		fi, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	for p, want := range map[string]os.FileMode{"secret.txt": 0o600, "run.sh": 0o700} {
		f.mustOK(ToolReadFile, obj{"path": p})
		f.mustOK(ToolCreateFile, obj{"path": p, "content": "agent\n"})
		if got := perm(p); got != want {
			t.Errorf("%s: permission %v after the agent's write, want %v", p, got, want)
		}
	}
	f.mustOK(ToolRunCommand, obj{"command": "chmod 644 secret.txt"})
	if got := perm("secret.txt"); got != 0o644 {
		t.Fatalf("chmod did not run: %v", got)
	}
	if _, err := s.RejectFile(ctx, "secret.txt", ""); err != nil {
		t.Fatal(err)
	}
	if got := f.read("secret.txt"); got != "token\n" {
		t.Fatalf("content after reject: %q", got)
	}
	if got := perm("secret.txt"); got != 0o600 {
		t.Fatalf("permission after reject: %v, want 0600", got)
	}
}
