package gitlab

import (
	"errors"
	"strings"
	"testing"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"gitlab.com/wend/wend/context/refs"
	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
)

func reviewServer(t *testing.T) (*gitlabtest.Server, *Client, *Review) {
	t.Helper()
	srv := gitlabtest.New(t)
	gitlabtest.ReviewFixture(srv.Data)
	c, _ := testClient(t, srv)
	r, err := c.LoadReview(bg, refs.Ref{Kind: refs.MergeRequest, IID: gitlabtest.ReviewMRIID})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, r
}

func posts(srv *gitlabtest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		if !strings.HasPrefix(r, "GET ") {
			out = append(out, r)
		}
	}
	return out
}

func TestLoadReviewReadsVersionsDiffsAndThreads(t *testing.T) {
	srv, _, r := reviewServer(t)
	if r.BaseSHA != gitlabtest.BaseSHA || r.StartSHA != gitlabtest.StartSHA || r.HeadSHA != srv.Data.MRs[gitlabtest.ReviewMRIID].SHA {
		t.Errorf("SHAs: %s %s %s", r.BaseSHA, r.StartSHA, r.HeadSHA)
	}
	if r.Ref != gitlabtest.Project+"!36" || r.Title != "Retry the upload" || len(r.Files) != 2 || r.Files[0].NewPath != "upload.go" {
		t.Fatalf("review: %+v", r)
	}
	if len(r.Threads) != 1 || r.Threads[0].Path != "upload.go" || r.Threads[0].NewLine != 12 || r.Threads[0].Notes[0].Author != "bob" {
		t.Fatalf("threads: %+v", r.Threads)
	}
	if p := posts(srv); len(p) != 0 {
		t.Fatalf("loading wrote: %v", p)
	}
	// !34: a resolved line thread, a general thread, a system note left out; a
	// 6,000-line diff arrives whole, secrets masked line by line.
	c, _ := testClient(t, srv)
	big, err := c.LoadReview(bg, refs.Ref{Kind: refs.MergeRequest, IID: gitlabtest.MRIID})
	if err != nil {
		t.Fatal(err)
	}
	if len(big.Files) != gitlabtest.MRFiles || len(big.Threads) != 3 || !big.Threads[0].Resolved || big.Threads[0].NewLine != gitlabtest.DiffNoteLine || big.Threads[1].Path != "" {
		t.Fatalf("!34: %d files, threads %+v", len(big.Files), big.Threads)
	}
}

func TestRedactLinesKeepsLineCount(t *testing.T) {
	diff := "@@ -1,2 +1,3 @@\n x\n+token = \"" + gitlabtest.Secret + "\"\n+-----BEGIN RSA PRIVATE KEY-----\n"
	got := redactLines(diff)
	if strings.Contains(got, gitlabtest.Secret) || strings.Count(got, "\n") != strings.Count(diff, "\n") {
		t.Fatalf("%q", got)
	}
}

// A review goes up as draft notes on the exact lines (added: new_line only;
// removed: old_line only; unchanged: both), then one bulk publish.
func TestPublishReviewCreatesDraftsThenPublishesOnce(t *testing.T) {
	srv, c, r := reviewServer(t)
	comments := []ReviewComment{
		{OldPath: "upload.go", NewPath: "upload.go", NewLine: 12, Body: "Back off here.\n\n```suggestion:-0+0\n\tfor i := 0; i < maxTries; i++ {\n```"},
		{OldPath: "upload.go", NewPath: "upload.go", OldLine: 11, Body: "Why was this removed? token " + gitlabtest.Secret},
		{OldPath: "upload.go", NewPath: "upload.go", OldLine: 8, NewLine: 8, Body: "Unchanged line comment."},
	}
	n, err := c.PublishReview(bg, r, comments, false)
	if err != nil || n != 3 {
		t.Fatalf("published %d: %v", n, err)
	}
	want := []string{"POST", "POST", "POST", "POST"}
	p := posts(srv)
	if len(p) != len(want) || !strings.HasSuffix(p[3], "/draft_notes/bulk_publish") || !strings.HasSuffix(p[0], "/draft_notes") {
		t.Fatalf("writes: %v", p)
	}
	if srv.Published() != 3 || len(srv.Drafts(gitlabtest.ReviewMRIID)) != 0 {
		t.Fatalf("published %d, pending %d", srv.Published(), len(srv.Drafts(gitlabtest.ReviewMRIID)))
	}
	threads := srv.Threads(gitlabtest.ReviewMRIID)
	if len(threads) != 4 {
		t.Fatalf("%d threads", len(threads))
	}
	last := threads[2].Notes[0]
	if strings.Contains(last.Body, gitlabtest.Secret) || !strings.Contains(last.Body, "[REDACTED") {
		t.Errorf("a secret was posted: %q", last.Body)
	}
	if pos := threads[1].Notes[0].Position; pos == nil || *pos.NewLine != 12 || pos.OldLine != nil || pos.HeadSHA != r.HeadSHA {
		t.Errorf("position: %+v", pos)
	}
}

// Drafts the user left in the web UI would be published unseen by a bulk
// publish: wend refuses and posts nothing.
func TestPublishReviewRefusesOverPendingDrafts(t *testing.T) {
	srv, c, r := reviewServer(t)
	// a pending draft, as the web UI leaves one
	if _, _, err := c.API().DraftNotes.CreateDraftNote(r.Project, r.IID, &gl.CreateDraftNoteOptions{Note: gl.Ptr("pending")}); err != nil {
		t.Fatal(err)
	}
	srv.Reset()
	_, err := c.PublishReview(bg, r, []ReviewComment{{NewPath: "upload.go", NewLine: 12, Body: "x"}}, false)
	if !errors.Is(err, ErrPendingDrafts) || !strings.Contains(err.Error(), "--single") {
		t.Fatalf("err = %v", err)
	}
	if p := posts(srv); len(p) != 0 {
		t.Fatalf("wrote despite pending drafts: %v", p)
	}
}

// A draft GitLab refuses (a line not in the diff) stops the review: nothing is
// published, and the error says what waits in GitLab.
func TestPublishReviewStopsAtARefusedDraft(t *testing.T) {
	srv, c, r := reviewServer(t)
	_, err := c.PublishReview(bg, r, []ReviewComment{
		{NewPath: "upload.go", NewLine: 12, Body: "ok"},
		{NewPath: "upload.go", NewLine: 99, Body: "no such line"},
	}, false)
	if err == nil || !strings.Contains(err.Error(), "nothing was published; 1 draft note(s) were created") {
		t.Fatalf("err = %v", err)
	}
	for _, p := range posts(srv) {
		if strings.HasSuffix(p, "bulk_publish") {
			t.Fatal("published after a refused draft")
		}
	}
	if srv.Published() != 0 {
		t.Fatal("published")
	}
}

func TestPublishReviewSingleComments(t *testing.T) {
	srv, c, r := reviewServer(t)
	n, err := c.PublishReview(bg, r, []ReviewComment{
		{OldPath: "README.md", NewPath: "README.md", NewLine: 4, Body: "Say how long it waits."},
		{Body: "Overall fine."},
	}, true)
	if err != nil || n != 2 {
		t.Fatalf("%d %v", n, err)
	}
	p := posts(srv)
	if len(p) != 2 || !strings.HasSuffix(p[0], "/discussions") || !strings.HasSuffix(p[1], "/notes") {
		t.Fatalf("writes: %v", p)
	}
	if len(srv.Drafts(gitlabtest.ReviewMRIID)) != 0 || srv.Published() != 0 {
		t.Fatal("single comments went through drafts")
	}
}

// BenchmarkLoadReview loads !34 (25 files, one a 6,000-line diff, four
// threads): four requests in parallel, diffs redacted line by line.
func BenchmarkLoadReview(b *testing.B) {
	srv := gitlabtest.New(b)
	c, _ := testClient(b, srv)
	ref := refs.Ref{Kind: refs.MergeRequest, IID: gitlabtest.MRIID}
	for b.Loop() {
		if _, err := c.LoadReview(bg, ref); err != nil {
			b.Fatal(err)
		}
	}
}
