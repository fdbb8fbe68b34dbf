package gitops

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// worktreeRepo is a repository where the user has a staged change (a.txt line
// 2), an unstaged one (b.txt) and an untracked file, as isolated mode must
// carry all three into the worktree.
func worktreeRepo(t *testing.T) *testRepo {
	r := newTestRepo(t)
	r.write("a.txt", lines(30, "a"))
	r.write("b.txt", "b\n")
	r.commitAll("init")
	r.write("a.txt", replaceLine(lines(30, "a"), 2, "user staged"))
	r.git("add", "a.txt")
	r.write("b.txt", "b unstaged\n")
	r.write("u.txt", "untracked\n")
	return r
}

// addWorktree starts an isolated session and fails the test on error.
func addWorktree(t *testing.T, r *testRepo, id string) (*Worktree, *Mirrored) {
	t.Helper()
	ctx := context.Background()
	w, err := AddWorktree(ctx, nil, r.dir, id)
	if err != nil {
		t.Fatal(err)
	}
	s, err := w.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); w.Remove(ctx) })
	return w, w.Mirror(s)
}

func (r *testRepo) status() string { return r.git("status", "--porcelain=v1", "-uall") }

func TestWorktreeStartsWithTheUsersStateAndLeavesItAlone(t *testing.T) {
	r := worktreeRepo(t)
	before, index := r.status(), readFile(t, filepath.Join(r.dir, ".git", "index"))
	w, _ := addWorktree(t, r, "s1")
	wt := &testRepo{t: t, dir: w.Dir}
	if got := wt.status(); got != before {
		t.Fatalf("worktree status:\n%s\nwant the user's:\n%s", got, before)
	}
	if got, _ := wt.staged("a.txt"); !strings.Contains(got, "user staged") {
		t.Fatalf("worktree index lacks the user's staged change:\n%s", got)
	}
	if wt.mustRead("u.txt") != "untracked\n" || wt.mustRead("b.txt") != "b unstaged\n" {
		t.Fatal("worktree lacks the user's untracked or unstaged file")
	}
	if got := strings.TrimSpace(wt.git("branch", "--show-current")); got != "wend/s1" {
		t.Fatalf("worktree branch %q", got)
	}
	if r.status() != before || readFile(t, filepath.Join(r.dir, ".git", "index")) != index {
		t.Fatal("starting the worktree changed the user's status or index")
	}
	if strings.TrimSpace(r.git("stash", "list")) != "" {
		t.Fatal("the stash was used")
	}
}

func TestWorktreeAcceptMirrorsAndRejectStaysInWorktree(t *testing.T) {
	ctx := context.Background()
	r := worktreeRepo(t)
	w, m := addWorktree(t, r, "s2")
	userFile, userStaged := r.mustRead("a.txt"), mustStaged(t, r, "a.txt")
	agent := replaceLine(replaceLine(userFile, 10, "agent ten"), 25, "agent twenty-five")
	if err := m.WriteFile(ctx, "a.txt", []byte(agent), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.WriteFile(ctx, "new.txt", []byte("created\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r.mustRead("a.txt") != userFile {
		t.Fatal("the agent's edit reached the user's tree before any accept")
	}
	if _, ok := r.read("new.txt"); ok {
		t.Fatal("the agent's new file reached the user's tree")
	}
	hunks := proposalHunks(t, m.Session, "a.txt")
	if len(hunks) != 2 {
		t.Fatalf("want 2 hunks, got %d", len(hunks))
	}
	if _, err := m.AcceptHunk(ctx, hunks[0], ""); err != nil {
		t.Fatal(err)
	}
	if got, want := r.mustRead("a.txt"), replaceLine(userFile, 10, "agent ten"); got != want {
		t.Fatalf("user's file after accept:\n%s\nwant:\n%s", got, want)
	}
	if got, want := mustStaged(t, r, "a.txt"), replaceLine(userStaged, 10, "agent ten"); got != want {
		t.Fatalf("user's index after accept (on top of the staged line 2):\n%s\nwant:\n%s", got, want)
	}
	// Undoing the accept takes it back out of the user's tree too.
	if _, err := m.Undo(ctx, hunks[0], ""); err != nil {
		t.Fatal(err)
	}
	if r.mustRead("a.txt") != userFile || mustStaged(t, r, "a.txt") != userStaged {
		t.Fatal("undoing the accept left it in the user's tree")
	}
	if hunks = proposalHunks(t, m.Session, "a.txt"); len(hunks) != 2 {
		t.Fatalf("after the undo, want 2 hunks again, got %d", len(hunks))
	}
	if _, err := m.AcceptHunk(ctx, hunks[0], ""); err != nil {
		t.Fatal(err)
	}
	if _, err := m.RejectHunk(ctx, hunks[1], "no"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.mustRead("a.txt"), "twenty-five") || strings.Contains(mustStaged(t, r, "a.txt"), "twenty-five") {
		t.Fatal("a rejected hunk reached the user's tree")
	}
	wt := &testRepo{t: t, dir: w.Dir}
	if strings.Contains(wt.mustRead("a.txt"), "twenty-five") {
		t.Fatal("the rejected hunk is still in the worktree")
	}
	if _, err := m.AcceptFile(ctx, "new.txt", ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.staged("new.txt"); got != "created\n" || r.mustRead("new.txt") != "created\n" {
		t.Fatalf("accepted new file: staged %q", got)
	}
	// Undo-all takes the accepted changes back out of the user's tree.
	if _, err := m.UndoAll(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if r.mustRead("a.txt") != userFile || mustStaged(t, r, "a.txt") != userStaged {
		t.Fatal("undo-all left the accepted hunk in the user's tree")
	}
	if _, ok := r.read("new.txt"); ok {
		t.Fatal("undo-all left the accepted new file")
	}
	if _, ok := r.staged("new.txt"); ok {
		t.Fatal("undo-all left the accepted new file in the index")
	}
}

func TestWorktreeAcceptRefusesOverlappingUserEdit(t *testing.T) {
	ctx := context.Background()
	r := worktreeRepo(t)
	_, m := addWorktree(t, r, "s3")
	userFile := r.mustRead("a.txt")
	if err := m.WriteFile(ctx, "a.txt", []byte(replaceLine(userFile, 10, "agent ten")), 0o644); err != nil {
		t.Fatal(err)
	}
	edited := replaceLine(userFile, 10, "user ten")
	r.write("a.txt", edited)
	index := readFile(t, filepath.Join(r.dir, ".git", "index"))
	hunks := proposalHunks(t, m.Session, "a.txt")
	_, err := m.AcceptHunk(ctx, hunks[0], "")
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Where != "your working tree" || len(ce.Lines) == 0 || ce.Lines[0].First != 10 {
		t.Fatalf("want a conflict on line 10 of the working tree, got %v", err)
	}
	if !strings.Contains(err.Error(), "10") {
		t.Fatalf("the error does not name the line: %v", err)
	}
	if r.mustRead("a.txt") != edited || readFile(t, filepath.Join(r.dir, ".git", "index")) != index {
		t.Fatal("a refused accept changed the user's tree or index")
	}
	if got := proposalHunks(t, m.Session, "a.txt"); len(got) != 1 {
		t.Fatal("a refused accept left the proposal list")
	}
}

func TestWorktreeRemoveAndDecideAfterTheEnd(t *testing.T) {
	ctx := context.Background()
	r := worktreeRepo(t)
	w, m := addWorktree(t, r, "s4")
	userFile := r.mustRead("a.txt")
	if err := m.WriteFile(ctx, "a.txt", []byte(replaceLine(userFile, 20, "agent twenty")), 0o644); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if err := w.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(w.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the worktree directory is still there")
	}
	if out := r.git("worktree", "list", "--porcelain"); strings.Count(out, "worktree ") != 1 {
		t.Fatalf("git still lists the worktree:\n%s", out)
	}
	if _, err := r.gitErr("rev-parse", "--verify", "--quiet", "refs/heads/wend/s4"); err == nil {
		t.Fatal("the branch is still there")
	}
	// The journal outlives the worktree: the session can be listed from the
	// user's checkout and decided in a throw-away worktree.
	listed, err := Open(ctx, r.dir, "s4")
	if err != nil {
		t.Fatal(err)
	}
	if hs := proposalHunks(t, listed, "a.txt"); len(hs) != 1 {
		t.Fatalf("after the end: %d hunks", len(hs))
	}
	listed.Close()
	w2, ok, err := LoadWorktree(ctx, nil, r.dir, "s4")
	if err != nil || !ok || !w2.Ended {
		t.Fatalf("LoadWorktree: %v %v %+v", ok, err, w2)
	}
	s, err := w2.Reopen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m2 := w2.Mirror(s)
	if _, err := m2.AcceptHunk(ctx, proposalHunks(t, s, "a.txt")[0], ""); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := w2.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	if got := r.mustRead("a.txt"); got != replaceLine(userFile, 20, "agent twenty") {
		t.Fatalf("accept after the end did not reach the user's file:\n%s", got)
	}
	if !strings.Contains(mustStaged(t, r, "a.txt"), "agent twenty") {
		t.Fatal("accept after the end did not reach the user's index")
	}
	if _, err := os.Stat(w2.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the throw-away worktree is still there")
	}
}

func TestWorktreeRecoversAfterACrash(t *testing.T) {
	ctx := context.Background()
	r := worktreeRepo(t)
	dead, _ := addWorktree(t, r, "crashed")
	live, _ := addWorktree(t, r, "live")
	// The crashed session's process is gone: give it a pid that has exited.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead.PID = cmd.Process.Pid
	if err := dead.save(); err != nil {
		t.Fatal(err)
	}
	got, err := RecoverWorktrees(ctx, nil, r.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "crashed" || !got[0].Recovered {
		t.Fatalf("recovered %+v", got)
	}
	if _, err := os.Stat(dead.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the crashed worktree is still there")
	}
	if _, err := r.gitErr("rev-parse", "--verify", "--quiet", "refs/heads/wend/crashed"); err == nil {
		t.Fatal("the crashed session's branch is still there")
	}
	if _, err := os.Stat(filepath.Join(dead.StateDir, "journal")); err != nil {
		t.Fatal("the crashed session's journal was not kept")
	}
	if _, err := os.Stat(live.Dir); err != nil {
		t.Fatal("the live session's worktree was removed")
	}
	if again, _ := RecoverWorktrees(ctx, nil, r.dir); len(again) != 0 {
		t.Fatalf("recovered twice: %+v", again)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustStaged(t *testing.T, r *testRepo, p string) string {
	t.Helper()
	s, ok := r.staged(p)
	if !ok {
		t.Fatalf("%s is not staged", p)
	}
	return s
}

func proposalHunks(t *testing.T, s *Session, path string) []string {
	t.Helper()
	fcs, err := s.Proposals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, fc := range fcs {
		if fc.Path == path {
			for _, h := range fc.Hunks {
				ids = append(ids, h.ID)
			}
		}
	}
	return ids
}
