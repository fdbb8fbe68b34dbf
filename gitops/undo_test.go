package gitops

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// stageContent puts content in the index for path without touching the
// working tree, as `git add -p` would.
func stageContent(r *testRepo, path, content string) {
	r.t.Helper()
	cmd := exec.Command("git", "hash-object", "-w", "--stdin")
	cmd.Dir = r.dir
	cmd.Stdin = strings.NewReader(content)
	out, err := cmd.Output()
	if err != nil {
		r.t.Fatal(err)
	}
	r.git("update-index", "--add", "--cacheinfo", "100644,"+strings.TrimSpace(string(out))+","+path)
}

// repoState fingerprints the index file's bytes and the working tree.
func repoState(r *testRepo) string {
	idx, _ := os.ReadFile(filepath.Join(r.dir, ".git", "index"))
	var b strings.Builder
	b.Write(idx)
	filepath.WalkDir(r.dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || (d.IsDir() && d.Name() == ".git") {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			data, _ := os.ReadFile(p)
			b.WriteString("\x00" + p + "\x00" + string(data))
		}
		return nil
	})
	return b.String()
}

func mustProposals(t *testing.T, s *Session) []FileChange {
	t.Helper()
	ps, err := s.Proposals(bg)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// pendingHunk reports whether hunk id is proposed.
func pendingHunk(t *testing.T, s *Session, id string) bool {
	t.Helper()
	for _, fc := range mustProposals(t, s) {
		for _, h := range fc.Hunks {
			if h.ID == id {
				return true
			}
		}
	}
	return false
}

func TestUndoAcceptedHunkRestoresUserIndex(t *testing.T) {
	r := newTestRepo(t)
	orig := lines(40, "line")
	r.write("a.txt", orig)
	r.commitAll("init")
	userStaged := replaceLine(orig, 1, "user staged")
	r.write("a.txt", userStaged)
	r.git("add", "a.txt")
	userWork := replaceLine(userStaged, 20, "user unstaged")
	r.write("a.txt", userWork)

	s := r.start("u1")
	agent := replaceLine(replaceLine(userWork, 10, "agent ten"), 35, "agent 35")
	if err := s.WriteFile(bg, "a.txt", []byte(agent), 0o644); err != nil {
		t.Fatal(err)
	}
	ps := mustProposals(t, s)
	h10, h35 := ps[0].Hunks[0].ID, ps[0].Hunks[1].ID
	acc, err := s.AcceptHunk(bg, h35, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := r.staged("a.txt"); got != replaceLine(userStaged, 35, "agent 35") {
		t.Fatalf("accept staged %q", got)
	}
	d, err := s.Undo(bg, h35, "misclick")
	if err != nil {
		t.Fatal(err)
	}
	if d.Action != ActionUndo || d.Undoes != acc.Seq || d.UndoneAction != ActionAccept || d.Path != "a.txt" ||
		len(d.HunkIDs) != 1 || d.HunkIDs[0] != h35 || d.Reason != "misclick" || d.Seq != acc.Seq+1 {
		t.Fatalf("undo decision %+v", d)
	}
	if got, _ := r.staged("a.txt"); got != userStaged {
		t.Fatalf("index after undo:\n%s\nwant the user's staged version", got)
	}
	if r.mustRead("a.txt") != agent {
		t.Fatal("undoing an accept changed the working tree")
	}
	if !pendingHunk(t, s, h35) || !pendingHunk(t, s, h10) {
		t.Fatalf("hunks not pending again with the same ids: %+v", mustProposals(t, s))
	}
	if fb := s.Feedback(); len(fb) != 0 {
		t.Fatalf("the model hears of an undone accept: %+v", fb)
	}
	// Accept both, let the user stage a line of their own on top, and undo
	// one: the index loses only that hunk (merged, not restored wholesale).
	if _, err := s.AcceptHunk(bg, h35, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptHunk(bg, h10, ""); err != nil {
		t.Fatal(err)
	}
	staged, _ := r.staged("a.txt")
	stageContent(r, "a.txt", replaceLine(staged, 3, "user staged later"))
	if _, err := s.Undo(bg, h35, ""); err != nil {
		t.Fatal(err)
	}
	want := replaceLine(replaceLine(userStaged, 3, "user staged later"), 10, "agent ten")
	if got, _ := r.staged("a.txt"); got != want {
		t.Fatalf("index:\n%s\nwant:\n%s", got, want)
	}
	if !pendingHunk(t, s, h35) || pendingHunk(t, s, h10) {
		t.Fatalf("proposals %+v", mustProposals(t, s))
	}
	// UndoAll still returns the index to the user's own (with their later line).
	if _, err := s.UndoAll(bg, ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.staged("a.txt"); got != replaceLine(userStaged, 3, "user staged later") {
		t.Fatalf("index after undo-all %q", got)
	}
	if r.mustRead("a.txt") != userWork {
		t.Fatalf("worktree after undo-all %q", r.mustRead("a.txt"))
	}
}

func TestUndoLatestOfTwoAcceptsKeepsTheFirst(t *testing.T) {
	r := newTestRepo(t)
	orig := lines(40, "l")
	r.write("a.txt", orig)
	r.commitAll("init")
	s := r.start("u9")
	agent := replaceLine(replaceLine(orig, 5, "agent 5"), 30, "agent 30")
	if err := s.WriteFile(bg, "a.txt", []byte(agent), 0o644); err != nil {
		t.Fatal(err)
	}
	ps := mustProposals(t, s)
	for _, h := range ps[0].Hunks {
		if _, err := s.AcceptHunk(bg, h.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	if d, err := s.Undo(bg, "a.txt", ""); err != nil || d.HunkIDs[0] != ps[0].Hunks[1].ID {
		t.Fatalf("%+v %v", d, err)
	}
	if got, _ := r.staged("a.txt"); got != replaceLine(orig, 5, "agent 5") {
		t.Fatalf("index %q", got)
	}
	if d, err := s.Undo(bg, "a.txt", ""); err != nil || d.HunkIDs[0] != ps[0].Hunks[0].ID {
		t.Fatalf("%+v %v", d, err)
	}
	if got, _ := r.staged("a.txt"); got != orig {
		t.Fatalf("index %q", got)
	}
	if got := mustProposals(t, s); len(got) != 1 || len(got[0].Hunks) != 2 || got[0].Hunks[0].ID != ps[0].Hunks[0].ID {
		t.Fatalf("proposals %+v", got)
	}
}

func TestUndoAcceptedFile(t *testing.T) {
	r := newTestRepo(t)
	orig := lines(12, "m")
	r.write("mod.txt", orig)
	r.commitAll("init")
	s := r.start("u2")
	agentMod := replaceLine(orig, 2, "agent")
	if err := s.WriteFile(bg, "mod.txt", []byte(agentMod), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFile(bg, "new.txt", []byte("created\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"mod.txt", "new.txt"} {
		if _, err := s.AcceptFile(bg, p, ""); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := r.staged("new.txt"); got != "created\n" {
		t.Fatalf("new.txt staged %q", got)
	}
	for _, p := range []string{"new.txt", "mod.txt"} {
		d, err := s.Undo(bg, p, "")
		if err != nil || d.UndoneAction != ActionAccept || d.Path != p {
			t.Fatalf("undo %s: %+v %v", p, d, err)
		}
	}
	if _, ok := r.staged("new.txt"); ok {
		t.Fatal("the created file is still in the index")
	}
	if got, _ := r.staged("mod.txt"); got != orig {
		t.Fatalf("mod.txt staged %q", got)
	}
	if r.mustRead("new.txt") != "created\n" || r.mustRead("mod.txt") != agentMod {
		t.Fatal("undoing accepts changed the working tree")
	}
	ps := mustProposals(t, s)
	if len(ps) != 2 || ps[0].Path != "mod.txt" || ps[1].Path != "new.txt" || ps[1].Kind != ChangeAdded {
		t.Fatalf("proposals %+v", ps)
	}
	if st := r.git("status", "--porcelain"); st != " M mod.txt\n?? new.txt\n" {
		t.Fatalf("status %q", st)
	}
	// Accepted again, then the user stages their own version of the new
	// file: undoing the accept would drop it from the index, so it refuses.
	if _, err := s.AcceptFile(bg, "new.txt", ""); err != nil {
		t.Fatal(err)
	}
	stageContent(r, "new.txt", "user's staged version\n")
	before := repoState(r)
	_, err := s.Undo(bg, "new.txt", "")
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Where != "index" {
		t.Fatalf("want an index conflict, got %v", err)
	}
	if repoState(r) != before {
		t.Fatal("a failed undo changed the repository")
	}
}

func TestUndoRejectedHunk(t *testing.T) {
	r := newTestRepo(t)
	orig := lines(40, "l")
	r.write("a.txt", orig)
	r.commitAll("init")
	s := r.start("u3")
	agent := replaceLine(replaceLine(orig, 5, "agent 5"), 30, "agent 30")
	if err := s.WriteFile(bg, "a.txt", []byte(agent), 0o644); err != nil {
		t.Fatal(err)
	}
	ps := mustProposals(t, s)
	h5, h30 := ps[0].Hunks[0].ID, ps[0].Hunks[1].ID
	rej, err := s.RejectHunk(bg, h5, "no")
	if err != nil {
		t.Fatal(err)
	}
	// The model heard of the rejection (as the engine does right away).
	if err := s.AckFeedback(bg, rej.Seq); err != nil {
		t.Fatal(err)
	}
	// The user edits elsewhere meanwhile; that edit must survive the undo.
	user := replaceLine(r.mustRead("a.txt"), 40, "user 40")
	r.write("a.txt", user)
	d, err := s.Undo(bg, h5, "")
	if err != nil {
		t.Fatal(err)
	}
	if d.UndoneAction != ActionReject || d.Undoes != rej.Seq || len(d.Hunks) != 1 || d.Hunks[0].State != HunkProposed {
		t.Fatalf("undo %+v", d)
	}
	if want := replaceLine(agent, 40, "user 40"); r.mustRead("a.txt") != want {
		t.Fatalf("worktree:\n%s", r.mustRead("a.txt"))
	}
	if _, ok := r.staged("a.txt"); !ok || r.git("diff", "--cached") != "" {
		t.Fatal("undoing a reject touched the index")
	}
	if !pendingHunk(t, s, h5) || !pendingHunk(t, s, h30) {
		t.Fatalf("proposals %+v", mustProposals(t, s))
	}
	fb := s.Feedback()
	if len(fb) != 1 || fb[0].Seq != d.Seq {
		t.Fatalf("feedback %+v", fb)
	}
	text := FeedbackText(fb)
	if !strings.Contains(text, "undid their rejection of a hunk of your change to a.txt") || !strings.Contains(text, "+agent 5") {
		t.Fatalf("feedback text %q", text)
	}
	// Rejected and undone before the model heard of either: it hears nothing.
	rej2, err := s.RejectHunk(bg, h30, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AckFeedback(bg, d.Seq); err != nil {
		t.Fatal(err)
	}
	if fb := s.Feedback(); len(fb) != 1 || fb[0].Seq != rej2.Seq {
		t.Fatalf("feedback %+v", fb)
	}
	if _, err := s.Undo(bg, h30, ""); err != nil {
		t.Fatal(err)
	}
	if fb := s.Feedback(); len(fb) != 0 {
		t.Fatalf("feedback %+v", fb)
	}
	if r.mustRead("a.txt") != replaceLine(agent, 40, "user 40") {
		t.Fatal("hunk 30 not back")
	}
}

func TestUndoRejectedFile(t *testing.T) {
	r := newTestRepo(t)
	r.write("gone.txt", "the agent deletes this\n")
	r.commitAll("init")
	s := r.start("u4")
	if err := s.WriteFile(bg, "new.txt", []byte("agent's file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(bg, "gone.txt"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"new.txt", "gone.txt"} {
		if _, err := s.RejectFile(bg, p, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := r.read("new.txt"); ok {
		t.Fatal("rejected file exists")
	}
	if r.mustRead("gone.txt") != "the agent deletes this\n" {
		t.Fatal("rejected deletion not restored")
	}
	for _, p := range []string{"new.txt", "gone.txt"} {
		if d, err := s.Undo(bg, p, ""); err != nil || d.UndoneAction != ActionReject {
			t.Fatalf("undo %s: %+v %v", p, d, err)
		}
	}
	if r.mustRead("new.txt") != "agent's file\n" {
		t.Fatal("created file did not come back")
	}
	if _, ok := r.read("gone.txt"); ok {
		t.Fatal("deleted file was not deleted again")
	}
	ps := mustProposals(t, s)
	if len(ps) != 2 || ps[0].Path != "gone.txt" || ps[0].Kind != ChangeDeleted || ps[1].Kind != ChangeAdded {
		t.Fatalf("proposals %+v", ps)
	}
	if _, ok := r.staged("gone.txt"); !ok {
		t.Fatal("undo touched the index")
	}
}

func TestUndoModify(t *testing.T) {
	r := newTestRepo(t)
	orig := lines(20, "x")
	r.write("a.txt", orig)
	r.commitAll("init")
	s := r.start("u5")
	agent := replaceLine(orig, 8, "agent 8")
	if err := s.WriteFile(bg, "a.txt", []byte(agent), 0o644); err != nil {
		t.Fatal(err)
	}
	id := mustProposals(t, s)[0].Hunks[0].ID
	mod := replaceLine(agent, 8, "user's better 8")
	md, err := s.Modify(bg, "a.txt", []byte(mod), "")
	if err != nil {
		t.Fatal(err)
	}
	if r.mustRead("a.txt") != mod {
		t.Fatal("modify not applied")
	}
	if err := s.AckFeedback(bg, md.Seq); err != nil {
		t.Fatal(err)
	}
	d, err := s.Undo(bg, "a.txt", "")
	if err != nil || d.UndoneAction != ActionModify || d.Undoes != md.Seq {
		t.Fatalf("%+v %v", d, err)
	}
	if r.mustRead("a.txt") != agent {
		t.Fatalf("worktree %q", r.mustRead("a.txt"))
	}
	if av, _ := s.AgentVersion(bg, "a.txt"); string(av) != agent {
		t.Fatalf("agent version %q", av)
	}
	if !pendingHunk(t, s, id) {
		t.Fatalf("proposals %+v", mustProposals(t, s))
	}
	if text := FeedbackText(s.Feedback()); !strings.Contains(text, "undid their edit of your change to a.txt") {
		t.Fatalf("feedback %q", text)
	}
}

func TestUndoTwiceTakesTheDecisionBefore(t *testing.T) {
	r := newTestRepo(t)
	orig := lines(40, "l")
	r.write("a.txt", orig)
	r.commitAll("init")
	s := r.start("u6")
	agent := replaceLine(replaceLine(orig, 5, "agent 5"), 30, "agent 30")
	if err := s.WriteFile(bg, "a.txt", []byte(agent), 0o644); err != nil {
		t.Fatal(err)
	}
	ps := mustProposals(t, s)
	h5, h30 := ps[0].Hunks[0].ID, ps[0].Hunks[1].ID
	if _, err := s.RejectHunk(bg, h5, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptHunk(bg, h30, ""); err != nil {
		t.Fatal(err)
	}
	// By path: the accept of 30 first, then the reject of 5.
	d, err := s.Undo(bg, "a.txt", "")
	if err != nil || d.UndoneAction != ActionAccept || d.HunkIDs[0] != h30 {
		t.Fatalf("first undo %+v %v", d, err)
	}
	if got, _ := r.staged("a.txt"); got != orig {
		t.Fatalf("index %q", got)
	}
	if r.mustRead("a.txt") != replaceLine(orig, 30, "agent 30") {
		t.Fatal("first undo touched the working tree")
	}
	d, err = s.Undo(bg, "a.txt", "")
	if err != nil || d.UndoneAction != ActionReject || d.HunkIDs[0] != h5 {
		t.Fatalf("second undo %+v %v", d, err)
	}
	if r.mustRead("a.txt") != agent {
		t.Fatal("second undo did not bring hunk 5 back")
	}
	if _, err := s.Undo(bg, "a.txt", ""); !errors.Is(err, ErrNothingToUndo) {
		t.Fatalf("third undo: %v", err)
	}
	if _, err := s.Undo(bg, h5, ""); !errors.Is(err, ErrNothingToUndo) {
		t.Fatalf("undo of an undone hunk: %v", err)
	}
	if _, err := s.Undo(bg, "never-decided", ""); !errors.Is(err, ErrNothingToUndo) {
		t.Fatalf("undo of nothing: %v", err)
	}
	// Decide again, then undo-all: what came before undo-all is final.
	if _, err := s.RejectHunk(bg, h5, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UndoAll(bg, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Undo(bg, h5, ""); !errors.Is(err, ErrNothingToUndo) {
		t.Fatalf("undo after undo-all: %v", err)
	}
	if len(mustProposals(t, s)) != 0 || r.mustRead("a.txt") != orig {
		t.Fatal("undo-all")
	}
}

func TestUndoConflictsWithUserEditAndChangesNothing(t *testing.T) {
	r := newTestRepo(t)
	orig := lines(20, "l")
	r.write("a.txt", orig)
	r.write("b.txt", orig)
	r.commitAll("init")
	s := r.start("u7")
	for _, p := range []string{"a.txt", "b.txt"} {
		if err := s.WriteFile(bg, p, []byte(replaceLine(orig, 5, "agent")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ps := mustProposals(t, s)
	ha, hb := ps[0].Hunks[0].ID, ps[1].Hunks[0].ID
	if _, err := s.RejectHunk(bg, ha, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptHunk(bg, hb, ""); err != nil {
		t.Fatal(err)
	}
	// The user rewrites the restored line 5 of a.txt, and stages another
	// line 5 in b.txt.
	r.write("a.txt", replaceLine(orig, 5, "user's own 5"))
	stageContent(r, "b.txt", replaceLine(orig, 5, "user staged 5"))
	before := repoState(r)
	nd := len(s.Decisions())

	_, err := s.Undo(bg, ha, "")
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Where != "working tree" || len(ce.Lines) != 1 || ce.Lines[0] != (LineRange{5, 5}) || ce.Action != ActionUndo {
		t.Fatalf("want a working-tree conflict at line 5, got %v", err)
	}
	if !strings.Contains(err.Error(), "line 5") {
		t.Fatalf("message %q", err)
	}
	_, err = s.Undo(bg, "b.txt", "")
	if !errors.As(err, &ce) || ce.Where != "index" || len(ce.Lines) != 1 || ce.Lines[0] != (LineRange{5, 5}) {
		t.Fatalf("want an index conflict at line 5, got %v", err)
	}
	if repoState(r) != before {
		t.Fatal("a failed undo changed the repository")
	}
	if len(s.Decisions()) != nd || pendingHunk(t, s, ha) || pendingHunk(t, s, hb) {
		t.Fatal("a failed undo changed the session")
	}
}

func TestUndoSurvivesReopenAndCrash(t *testing.T) {
	r := newTestRepo(t)
	orig := lines(40, "l")
	r.write("a.txt", orig)
	r.commitAll("init")
	s, err := Start(bg, r.dir, "u8")
	if err != nil {
		t.Fatal(err)
	}
	agent := replaceLine(replaceLine(orig, 5, "agent 5"), 30, "agent 30")
	if err := s.WriteFile(bg, "a.txt", []byte(agent), 0o644); err != nil {
		t.Fatal(err)
	}
	ps := mustProposals(t, s)
	h5, h30 := ps[0].Hunks[0].ID, ps[0].Hunks[1].ID
	if _, err := s.RejectHunk(bg, h5, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RejectHunk(bg, h30, ""); err != nil {
		t.Fatal(err)
	}
	reopen := func() {
		t.Helper()
		s.Close()
		if s, err = Open(bg, r.dir, "u8"); err != nil {
			t.Fatal(err)
		}
	}
	// The decisions were made before Open: Undo finds them in the journal.
	reopen()
	if d, err := s.Undo(bg, "a.txt", ""); err != nil || d.HunkIDs[0] != h30 {
		t.Fatalf("%+v %v", d, err)
	}
	reopen()
	if !pendingHunk(t, s, h30) || pendingHunk(t, s, h5) {
		t.Fatalf("after reopen: %+v", mustProposals(t, s))
	}
	ds := s.Decisions()
	if last := ds[len(ds)-1]; last.Action != ActionUndo || last.Undoes != 2 || last.UndoneAction != ActionReject {
		t.Fatalf("journaled undo %+v", last)
	}
	// A crash after the working tree changed but before the completion
	// record was fsynced: the torn record is dropped, and the reopen rolls
	// the journaled intent forward (recover.go), once.
	if _, err := s.Undo(bg, "a.txt", ""); err != nil {
		t.Fatal(err)
	}
	s.Close()
	jpath := filepath.Join(r.dir, ".git", "wend", "u8", "journal")
	fi, err := os.Stat(jpath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(jpath, fi.Size()-3); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(bg, r.dir, "u8"); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ds = s.Decisions()
	if d := ds[len(ds)-1]; len(ds) != 4 || d.Action != ActionUndo || d.Undoes != 1 || d.HunkIDs[0] != h5 {
		t.Fatalf("the interrupted undo was not rolled forward once: %+v", ds)
	}
	if r.mustRead("a.txt") != agent || !pendingHunk(t, s, h5) || !pendingHunk(t, s, h30) {
		t.Fatalf("after the rolled-forward undo: %q %+v", r.mustRead("a.txt"), mustProposals(t, s))
	}
	if _, err := s.Undo(bg, "a.txt", ""); !errors.Is(err, ErrNothingToUndo) {
		t.Fatalf("undo with both rejections undone: %v", err)
	}
}

// undo is TestRandomized's undo action: it takes back the decision on a
// random earlier target (a path or a hunk id), checks that Undo picked the
// decision an independent reading of Decisions expects, that a conflict
// changed nothing, and takes an undone accept of text hunks out of the model.
func (c *randCase) undo() {
	ds := c.s.Decisions()
	var targets []string
	for _, d := range ds {
		if d.Action != ActionUndo {
			targets = append(append(targets, d.Path), d.HunkIDs...)
		}
	}
	if len(targets) == 0 {
		return
	}
	target := c.pick(targets)
	want := expectedUndo(ds, target)
	if want != nil && want.Action == ActionAccept && (want.Kind != ChangeModified || want.Binary) {
		return // whole-file accepts of other kinds: the model cannot follow
	}
	before := c.state()
	c.logf("undo %q", target)
	var d Decision
	crashed, err := c.crashing(func() (err error) { d, err = c.s.Undo(bg, target, ""); return err }, "", "")
	if crashed {
		// Recovery either completed the undo or rolled it back.
		ds := c.recovered(c.decisionsBefore)
		if len(ds) == 0 {
			return
		}
		d = ds[0]
	}
	var ce *ConflictError
	switch {
	case want == nil:
		if !errors.Is(err, ErrNothingToUndo) {
			c.t.Fatalf("undo of %q with nothing to undo: %+v %v", target, d, err)
		}
		return
	case errors.As(err, &ce):
		c.conflicts++
		c.logf("  conflict: %v", err)
		if c.state() != before {
			c.t.Fatalf("a failed undo changed the repository")
		}
		return
	case err != nil:
		c.t.Fatalf("undo failed: %v", err)
	case d.Undoes != want.Seq || d.UndoneAction != want.Action:
		c.t.Fatalf("undo of %q took back %d (%s), want %d (%s)", target, d.Undoes, d.UndoneAction, want.Seq, want.Action)
	}
	c.logf("  undid %d: %s %q", want.Seq, want.Action, want.Path)
	if want.Action != ActionAccept {
		return // the model holds only accepts
	}
	for _, files := range []map[string]string{c.idxAcc, c.wAcc} {
		cur, ok := files[want.Path]
		if !ok {
			continue
		}
		ls := splitLines([]byte(cur))
		for _, h := range want.Hunks {
			var err error
			if ls, err = applyDisplayHunk(ls, reverseHunk(h)); err != nil {
				c.t.Fatalf("model: undo in %q: %v", want.Path, err)
			}
		}
		files[want.Path] = string(joinLines(ls))
	}
}

// expectedUndo is the decision Undo(target) should take back: the latest on
// target (path, old path or hunk id) not undone yet, unless UndoAll reset its
// path since.
func expectedUndo(ds []Decision, target string) *Decision {
	undone, reset := map[int]bool{}, map[string]bool{}
	for i := len(ds) - 1; i >= 0; i-- {
		d := ds[i]
		if d.Action == ActionUndo {
			undone[d.Undoes] = d.Undoes > 0
			reset[d.Path] = reset[d.Path] || d.Undoes == 0
			continue
		}
		hit := d.Path == target || d.OldPath == target
		for _, h := range d.Hunks {
			hit = hit || h.ID == target
		}
		for _, id := range d.HunkIDs {
			hit = hit || id == target
		}
		if !hit || undone[d.Seq] {
			continue
		}
		if reset[d.Path] || reset[d.OldPath] {
			return nil
		}
		return &ds[i]
	}
	return nil
}

func reverseHunk(h Hunk) Hunk {
	r := h
	r.Lines = make([]string, len(h.Lines))
	for i, l := range h.Lines {
		switch l[0] {
		case '+':
			l = "-" + l[1:]
		case '-':
			l = "+" + l[1:]
		}
		r.Lines[i] = l
	}
	return r
}
