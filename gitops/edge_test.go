package gitops

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAwkwardPaths(t *testing.T) {
	r := newTestRepo(t)
	names := []string{"with space.txt", "ünïcode/файл.go", "-leading-dash", "new\nline", "quote\"d'", "tab\there", "bad\xffutf8", "*glob?"}
	for _, n := range names {
		r.write(n, "one\ntwo\n")
	}
	r.commitAll("init")
	s := r.start("paths")
	for _, n := range names {
		if err := s.WriteFile(bg, n, []byte("one\nTWO\n"), 0o644); err != nil {
			t.Fatalf("%q: %v", n, err)
		}
	}
	created := "created -x\n.txt"
	if err := s.WriteFile(bg, created, []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ps, err := s.Proposals(bg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]FileChange{}
	for _, p := range ps {
		got[p.Path] = p
	}
	for _, n := range names {
		if fc, ok := got[n]; !ok || fc.Kind != ChangeModified || fc.Added != 1 || fc.Deleted != 1 {
			t.Fatalf("%q: %+v (all: %v)", n, fc, ps)
		}
		if _, err := s.AcceptFile(bg, n, ""); err != nil {
			t.Fatalf("accept %q: %v", n, err)
		}
		if c, _ := r.staged(n); c != "one\nTWO\n" {
			t.Fatalf("%q staged %q", n, c)
		}
	}
	if got[created].Kind != ChangeAdded {
		t.Fatalf("created: %+v", got[created])
	}
	if _, err := s.RejectFile(bg, created, "not wanted"); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.read(created); ok {
		t.Fatal("rejected new file still exists")
	}
}

func TestCRLFAndMissingFinalNewline(t *testing.T) {
	r := newTestRepo(t)
	crlf := strings.ReplaceAll(lines(20, "c"), "\n", "\r\n")
	nonl := strings.TrimSuffix(lines(10, "n"), "\n")
	r.write("crlf.txt", crlf)
	r.write("nonl.txt", nonl)
	r.commitAll("init")
	s := r.start("eol")
	agentCRLF := strings.Replace(crlf, "cxx 2\r\n", "agent\r\n", 1)
	agentCRLF = strings.Replace(agentCRLF, "cxx 20\r\n", "cxx 20\n", 1) // the agent broke the last line ending
	agentNonl := nonl + "\nadded"
	for p, c := range map[string]string{"crlf.txt": agentCRLF, "nonl.txt": agentNonl} {
		if err := s.WriteFile(bg, p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ps, _ := s.Proposals(bg)
	if len(ps) != 2 || len(ps[0].Hunks) != 2 {
		t.Fatalf("%+v", ps)
	}
	// Accept the line-ending hunk, reject the other: bytes must be exact.
	if _, err := s.AcceptHunk(bg, ps[0].Hunks[1].ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RejectHunk(bg, ps[0].Hunks[0].ID, ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.staged("crlf.txt"); got != strings.Replace(crlf, "cxx 20\r\n", "cxx 20\n", 1) {
		t.Fatalf("staged %q", got)
	}
	if got := r.mustRead("crlf.txt"); got != strings.Replace(crlf, "cxx 20\r\n", "cxx 20\n", 1) {
		t.Fatalf("worktree %q", got)
	}
	h := ps[1].Hunks[0]
	if !strings.Contains(strings.Join(h.Lines, "\n"), `\ No newline at end of file`) {
		t.Fatalf("missing marker: %q", h.Lines)
	}
	if _, err := s.RejectHunk(bg, h.ID, ""); err != nil {
		t.Fatal(err)
	}
	if r.mustRead("nonl.txt") != nonl {
		t.Fatalf("nonl: %q", r.mustRead("nonl.txt"))
	}
}

func TestEmptyRepositoryWithoutCommit(t *testing.T) {
	r := newTestRepo(t)
	r.write("user.txt", "user's untracked file\n")
	s := r.start("empty")
	if err := s.WriteFile(bg, "main.go", []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptFile(bg, "main.go", ""); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.staged("user.txt"); ok {
		t.Fatal("the user's untracked file was staged")
	}
	id, err := Commit(bg, nil, r.dir, "first commit\n\nby wend")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.git("show", "--format=%s", "--name-only", id); !strings.Contains(got, "main.go") || strings.Contains(got, "user.txt") {
		t.Fatalf("commit: %s", got)
	}
	name, err := SwitchBranch(bg, nil, r.dir, "Fix #12: crash")
	if err != nil || name != "wend/fix-12-crash" {
		t.Fatalf("%q %v", name, err)
	}
}

func TestNestedRepositoryAndSubdirectory(t *testing.T) {
	outer := newTestRepo(t)
	outer.write("o.txt", "outer\n")
	outer.commitAll("outer")
	inner := &testRepo{t: t, dir: filepath.Join(outer.dir, "vendor", "inner")}
	os.MkdirAll(inner.dir, 0o755)
	inner.git("init", "-q", "-b", "main")
	inner.git("config", "user.email", "t@example.com")
	inner.git("config", "user.name", "T")
	inner.write("pkg/i.txt", "inner\n")
	inner.commitAll("inner")
	s, err := Start(bg, filepath.Join(inner.dir, "pkg"), "nested")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Root() != inner.dir {
		t.Fatalf("root %s, want %s", s.Root(), inner.dir)
	}
	if err := s.WriteFile(bg, "pkg/i.txt", []byte("agent\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptFile(bg, "pkg/i.txt", ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := inner.staged("pkg/i.txt"); got != "agent\n" {
		t.Fatalf("inner index %q", got)
	}
	if st := outer.git("status", "--porcelain", "--untracked-files=no"); st != "" {
		t.Fatalf("outer repository changed: %q", st)
	}
	// A session in the outer repository sees the inner one as opaque.
	so := outer.start("outer")
	if err := so.BeforeCommand(bg); err != nil {
		t.Fatal(err)
	}
	inner.write("pkg/i.txt", "changed inside the inner repo\n")
	changed, err := so.AfterCommand(bg)
	if err != nil || len(changed) != 0 {
		t.Fatalf("outer attributed %v, %v", changed, err)
	}
}

func TestKindsThroughCommands(t *testing.T) {
	r := newTestRepo(t)
	r.write("keep.txt", lines(12, "k"))
	r.write("gone.txt", "delete me\n")
	r.write("old.txt", lines(30, "r"))
	r.write("run.sh", "echo hi\n")
	r.write("img.bin", "\x00\x01\x02")
	r.commitAll("init")
	s := r.start("kinds")
	if err := s.BeforeCommand(bg); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(r.dir, "gone.txt"))
	os.Rename(filepath.Join(r.dir, "old.txt"), filepath.Join(r.dir, "new.txt"))
	os.Chmod(filepath.Join(r.dir, "run.sh"), 0o755)
	r.write("img.bin", "\x00\x09\x09\x09")
	r.write("gen/out.txt", "generated\n")
	changed, err := s.AfterCommand(bg)
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 6 {
		t.Fatalf("changed %q", changed)
	}
	ps, _ := s.Proposals(bg)
	kinds := map[string]FileChange{}
	for _, p := range ps {
		kinds[p.Path] = p
	}
	check := func(path string, k ChangeKind, whole bool) {
		t.Helper()
		if fc := kinds[path]; fc.Kind != k || fc.Whole != whole {
			t.Fatalf("%s: %+v", path, fc)
		}
	}
	check("gone.txt", ChangeDeleted, true)
	check("new.txt", ChangeRenamed, true)
	check("run.sh", ChangeMode, true)
	check("img.bin", ChangeModified, true)
	check("gen/out.txt", ChangeAdded, true)
	if kinds["new.txt"].OldPath != "old.txt" || !kinds["img.bin"].Binary || kinds["run.sh"].NewMode != "100755" {
		t.Fatalf("%+v", ps)
	}
	// Accept the rename and the mode, reject the rest.
	for _, p := range []string{"old.txt", "run.sh"} {
		if _, err := s.AcceptFile(bg, p, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := r.staged("old.txt"); ok {
		t.Fatal("rename did not stage the removal")
	}
	if got, _ := r.staged("new.txt"); got != lines(30, "r") {
		t.Fatal("rename did not stage the new path")
	}
	if m := r.git("ls-files", "-s", "run.sh"); !strings.HasPrefix(m, "100755") {
		t.Fatalf("mode %s", m)
	}
	if _, err := s.RejectAll(bg, "no"); err != nil {
		t.Fatal(err)
	}
	if r.mustRead("gone.txt") != "delete me\n" || r.mustRead("img.bin") != "\x00\x01\x02" {
		t.Fatal("reject did not restore")
	}
	if _, ok := r.read("gen/out.txt"); ok {
		t.Fatal("reject kept the generated file")
	}
	if fb := s.Feedback(); len(fb) != 3 {
		t.Fatalf("feedback %+v", fb)
	}
}

func TestModifyAndUndoAll(t *testing.T) {
	r := newTestRepo(t)
	orig := lines(30, "m")
	r.write("a.txt", orig)
	r.commitAll("init")
	r.write("a.txt", replaceLine(orig, 30, "user unstaged"))
	user := r.mustRead("a.txt")
	s := r.start("modify")
	agent := replaceLine(replaceLine(user, 3, "agent 3"), 20, "agent 20")
	s.WriteFile(bg, "a.txt", []byte(agent), 0o644)
	ps, _ := s.Proposals(bg)
	if _, err := s.AcceptHunk(bg, ps[0].Hunks[0].ID, ""); err != nil {
		t.Fatal(err)
	}
	edited := replaceLine(agent, 20, "user's better 20")
	d, err := s.Modify(bg, "a.txt", []byte(edited), "use this")
	if err != nil {
		t.Fatal(err)
	}
	if d.Action != ActionModify || len(d.Hunks) != 1 || r.mustRead("a.txt") != edited {
		t.Fatalf("%+v", d)
	}
	ps, _ = s.Proposals(bg)
	if len(ps) != 1 || len(ps[0].Hunks) != 1 || !strings.Contains(strings.Join(ps[0].Hunks[0].Lines, "\n"), "+user's better 20") {
		t.Fatalf("%+v", ps)
	}
	if _, err := s.UndoAll(bg, "start over"); err != nil {
		t.Fatal(err)
	}
	if r.mustRead("a.txt") != user {
		t.Fatalf("worktree after undo: %q", r.mustRead("a.txt"))
	}
	if got, _ := r.staged("a.txt"); got != orig {
		t.Fatal("undo left the accepted hunk in the index")
	}
}

func TestRecoveryAfterKill(t *testing.T) {
	r := newTestRepo(t)
	orig := lines(40, "k")
	r.write("a.txt", orig)
	r.commitAll("init")
	s := r.start("crash")
	agent := replaceLine(replaceLine(orig, 3, "agent 3"), 30, "agent 30")
	s.WriteFile(bg, "a.txt", []byte(agent), 0o644)
	// Kill: the object is dropped without Close; reopen from disk.
	reopen := func() *Session {
		t.Helper()
		s2, err := Open(bg, r.dir, "crash")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s2.Close() })
		return s2
	}
	s = reopen()
	ps, _ := s.Proposals(bg)
	if len(ps) != 1 || len(ps[0].Hunks) != 2 {
		t.Fatalf("after reopen: %+v", ps)
	}
	if _, err := s.RejectHunk(bg, ps[0].Hunks[0].ID, "why"); err != nil {
		t.Fatal(err)
	}
	s = reopen()
	ps, _ = s.Proposals(bg)
	if len(ps) != 1 || len(ps[0].Hunks) != 1 || len(s.Feedback()) != 1 {
		t.Fatalf("after reject+reopen: %+v %+v", ps, s.Feedback())
	}
	// A torn record at the end of the journal is dropped.
	j := filepath.Join(s.dir, "journal")
	f, _ := os.OpenFile(j, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte{0, 0, 1, 0, 9, 9})
	f.Close()
	s = reopen()
	// A crash between the index update and the journal record: the index has
	// the hunk, the journal does not. Accepting again is harmless.
	h := ps[0].Hunks[0]
	if _, err := s.AcceptHunk(bg, h.ID, ""); err != nil {
		t.Fatal(err)
	}
	staged, _ := r.staged("a.txt")
	s = reopen()
	s.paths["a.txt"].Base = s.paths["a.txt"].Orig // forget the decision
	if _, err := s.AcceptHunk(bg, h.ID, ""); err != nil {
		t.Fatal(err)
	}
	if again, _ := r.staged("a.txt"); again != staged {
		t.Fatalf("replayed accept changed the index:\n%s", again)
	}
	if err := s.AckFeedback(bg, 1); err != nil {
		t.Fatal(err)
	}
	if s = reopen(); len(s.Feedback()) != 0 || len(s.Decisions()) != 3 {
		t.Fatalf("feedback %+v decisions %d", s.Feedback(), len(s.Decisions()))
	}
	if _, err := Open(bg, r.dir, "nope"); !errors.Is(err, ErrNoSession) {
		t.Fatal(err)
	}
	if _, err := Start(bg, r.dir, "crash"); !errors.Is(err, ErrSessionExists) {
		t.Fatal(err)
	}
}

func TestUntrackedUserFileCannotTakePartialAccept(t *testing.T) {
	r := newTestRepo(t)
	r.commitAll("init")
	r.write("notes.txt", lines(20, "n"))
	s := r.start("untracked")
	s.WriteFile(bg, "notes.txt", []byte(replaceLine(lines(20, "n"), 2, "agent")), 0o644)
	ps, _ := s.Proposals(bg)
	_, err := s.AcceptHunk(bg, ps[0].Hunks[0].ID, "")
	var ce *ConflictError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "untracked") {
		t.Fatalf("got %v", err)
	}
	if _, ok := r.staged("notes.txt"); ok {
		t.Fatal("staged the user's untracked file")
	}
}

func TestHeadIndexStashUntouchedByStart(t *testing.T) {
	r := newTestRepo(t)
	r.write("a.txt", "a\n")
	r.commitAll("init")
	r.write("a.txt", "stashed\n")
	r.git("stash", "-q")
	r.write("a.txt", "staged\n")
	r.git("add", "a.txt")
	r.write("a.txt", "unstaged\n")
	r.write("u.txt", "untracked\n")
	before := r.git("rev-parse", "HEAD", "stash@{0}") + r.git("ls-files", "-s") + r.git("status", "--porcelain")
	idx, _ := os.ReadFile(filepath.Join(r.dir, ".git", "index"))
	s := r.start("untouched")
	after := r.git("rev-parse", "HEAD", "stash@{0}") + r.git("ls-files", "-s") + r.git("status", "--porcelain")
	idx2, _ := os.ReadFile(filepath.Join(r.dir, ".git", "index"))
	if before != after || !bytes.Equal(idx, idx2) {
		t.Fatalf("start changed the repository:\n%s\n%s", before, after)
	}
	if got := r.git("ls-tree", "-r", "--name-only", s.BaselineTree()); got != "a.txt\nu.txt\n" {
		t.Fatalf("baseline: %q", got)
	}
	if got := r.git("cat-file", "blob", s.BaselineTree()+":a.txt"); got != "unstaged\n" {
		t.Fatalf("baseline a.txt %q", got)
	}
}
