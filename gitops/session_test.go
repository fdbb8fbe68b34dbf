package gitops

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
)

var bg = context.Background()

func TestAcceptHunkStagesOnTopOfUserIndex(t *testing.T) {
	r := newTestRepo(t)
	orig := lines(40, "line")
	r.write("a.txt", orig)
	r.commitAll("init")
	// The user staged a change at the top and has an unstaged one in the middle.
	userStaged := replaceLine(orig, 1, "user staged")
	r.write("a.txt", userStaged)
	r.git("add", "a.txt")
	userWork := replaceLine(userStaged, 20, "user unstaged")
	r.write("a.txt", userWork)

	s := r.start("s1")
	agent := replaceLine(replaceLine(userWork, 10, "agent ten"), 35, "agent 35")
	if err := s.WriteFile(bg, "a.txt", []byte(agent), 0o644); err != nil {
		t.Fatal(err)
	}
	ps, err := s.Proposals(bg)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || len(ps[0].Hunks) != 2 || ps[0].Kind != ChangeModified {
		t.Fatalf("proposals: %+v", ps)
	}
	for _, l := range ps[0].Hunks[0].Lines {
		if strings.Contains(l, "user") && l[0] != ' ' {
			t.Fatalf("user's line attributed to the agent: %q", l)
		}
	}
	d, err := s.AcceptHunk(bg, ps[0].Hunks[1].ID, "looks right")
	if err != nil {
		t.Fatal(err)
	}
	if d.Action != ActionAccept || d.Reason != "looks right" || d.HunkIDs[0] != ps[0].Hunks[1].ID {
		t.Fatalf("decision %+v", d)
	}
	got, _ := r.staged("a.txt")
	if want := replaceLine(userStaged, 35, "agent 35"); got != want {
		t.Fatalf("index:\n%s\nwant:\n%s", got, want)
	}
	if r.mustRead("a.txt") != agent {
		t.Fatal("accept changed the working tree")
	}
	// Reject the other hunk: the working tree loses it, keeps the user's lines.
	if _, err := s.RejectHunk(bg, ps[0].Hunks[0].ID, "no"); err != nil {
		t.Fatal(err)
	}
	if want := replaceLine(userWork, 35, "agent 35"); r.mustRead("a.txt") != want {
		t.Fatalf("worktree:\n%s", r.mustRead("a.txt"))
	}
	ps, _ = s.Proposals(bg)
	if len(ps) != 0 {
		t.Fatalf("still pending: %+v", ps)
	}
	fb := s.Feedback()
	if len(fb) != 1 || fb[0].Action != ActionReject || fb[0].Reason != "no" {
		t.Fatalf("feedback %+v", fb)
	}
	if !strings.Contains(FeedbackText(fb), "-agent ten") && !strings.Contains(FeedbackText(fb), "+agent ten") {
		t.Fatalf("feedback text lacks the hunk: %s", FeedbackText(fb))
	}
}

func TestRejectConflictsWithUserEdit(t *testing.T) {
	r := newTestRepo(t)
	orig := lines(20, "l")
	r.write("a.txt", orig)
	r.commitAll("init")
	s := r.start("s1")
	agent := replaceLine(orig, 5, "agent")
	if err := s.WriteFile(bg, "a.txt", []byte(agent), 0o644); err != nil {
		t.Fatal(err)
	}
	ps, _ := s.Proposals(bg)
	user := replaceLine(agent, 5, "user rewrote the agent's line")
	r.write("a.txt", user)
	_, err := s.RejectHunk(bg, ps[0].Hunks[0].ID, "")
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Where != "working tree" || len(ce.Lines) != 1 || ce.Lines[0] != (LineRange{5, 5}) {
		t.Fatalf("want conflict at line 5, got %v", err)
	}
	if !strings.Contains(err.Error(), "line 5") {
		t.Fatalf("message %q", err)
	}
	if r.mustRead("a.txt") != user {
		t.Fatal("failed reject changed the file")
	}
}

func TestUserEditOfUntouchedFileIsNotAProposal(t *testing.T) {
	r := newTestRepo(t)
	r.write("a.txt", "a\n")
	r.write("b.txt", "b\n")
	r.commitAll("init")
	s := r.start("s1")
	r.write("b.txt", "user\n")
	if err := s.BeforeCommand(bg); err != nil {
		t.Fatal(err)
	}
	r.write("a.txt", "formatted\n")
	changed, err := s.AfterCommand(bg)
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 1 || changed[0] != "a.txt" {
		t.Fatalf("changed %v", changed)
	}
	ps, _ := s.Proposals(bg)
	if len(ps) != 1 || ps[0].Path != "a.txt" {
		t.Fatalf("proposals %+v", ps)
	}
}

// workspace is session/tools.Workspace, copied: gitops may not import it.
type workspace interface {
	WriteFile(ctx context.Context, path string, data []byte, perm fs.FileMode) error
	Remove(ctx context.Context, path string) error
	AfterCommand(ctx context.Context) ([]string, error)
}

var _ workspace = (*Session)(nil)

func TestWorkspaceRefusesPathsOutsideTheTree(t *testing.T) {
	r := newTestRepo(t)
	r.commitAll("init")
	s := r.start("confined")
	for _, p := range []string{"../x", "/etc/passwd", ".git/config", "a/../../b", "", "sub/.git/x"} {
		if err := s.WriteFile(bg, p, []byte("x"), 0o644); err == nil {
			t.Fatalf("%q accepted", p)
		}
	}
	if err := s.Remove(bg, "missing.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("remove missing: %v", err)
	}
}
