package gitlab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
	"golang.org/x/sync/errgroup"

	"gitlab.com/wend/wend/context/refs"
	"gitlab.com/wend/wend/remote/redact"
)

// Review is what reviewing a merge request in the terminal needs: its text,
// the SHAs a comment's position names, every changed file's diff and the
// threads already on its lines. All text has been redacted; diffs line by
// line, so line numbers stay true.
type Review struct {
	Ref          string `json:"ref"` // "group/proj!34"
	Project      string `json:"-"`
	IID          int64  `json:"iid"`
	Title        string `json:"title"`
	Description  string `json:"description"`
	WebURL       string `json:"web_url"`
	SourceBranch string `json:"source_branch"`
	TargetBranch string `json:"target_branch"`
	// The latest diff version's SHAs (GET .../versions; the merge request's
	// diff_refs when the instance has no versions endpoint).
	BaseSHA  string       `json:"base_sha"`
	StartSHA string       `json:"start_sha"`
	HeadSHA  string       `json:"head_sha"`
	Files    []ReviewFile `json:"files"`
	Threads  []Thread     `json:"threads"`
}

// ReviewFile is one changed file of a merge request.
type ReviewFile struct {
	OldPath  string `json:"old_path"`
	NewPath  string `json:"new_path"`
	Diff     string `json:"diff"` // unified hunks ("@@ -a,b +c,d @@" ...)
	New      bool   `json:"new_file,omitempty"`
	Deleted  bool   `json:"deleted_file,omitempty"`
	Renamed  bool   `json:"renamed_file,omitempty"`
	TooLarge bool   `json:"too_large,omitempty"` // GitLab left the diff out
}

// Thread is an existing discussion. Path and lines are set for a thread on a
// diff line (OldLine only: a removed line; both: an unchanged one); a thread
// on a whole file has Path only, a general one neither.
type Thread struct {
	ID         string       `json:"id"`
	Path       string       `json:"path,omitempty"`
	OldLine    int64        `json:"old_line,omitempty"`
	NewLine    int64        `json:"new_line,omitempty"`
	Resolvable bool         `json:"resolvable,omitempty"`
	Resolved   bool         `json:"resolved,omitempty"`
	Notes      []ThreadNote `json:"notes"`
}

// ThreadNote is one comment of a thread (system notes are left out).
type ThreadNote struct {
	Author    string    `json:"author"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// ReviewComment is a comment to post on a diff line: NewLine for an added
// line, OldLine for a removed one, both for an unchanged one (as GitLab's
// position requires). Without lines it is a general comment.
type ReviewComment struct {
	OldPath string `json:"old_path,omitempty"`
	NewPath string `json:"new_path,omitempty"`
	OldLine int64  `json:"old_line,omitempty"`
	NewLine int64  `json:"new_line,omitempty"`
	Body    string `json:"body"`
}

// LoadReview fetches a merge request, its diff versions, all its diffs and all
// its discussions, in parallel.
func (c *Client) LoadReview(ctx context.Context, ref refs.Ref) (*Review, error) {
	ref, err := c.localize(ref)
	if err != nil {
		return nil, err
	}
	if ref.Kind != refs.MergeRequest {
		return nil, fmt.Errorf("%s is not a merge request (review takes !N)", ref)
	}
	pid, iid := ref.Project, ref.IID
	what := fmt.Sprintf("merge request %s!%d", pid, iid)
	path := mrPath(pid, iid)
	var (
		mr       gl.MergeRequest
		versions []*gl.MergeRequestDiffVersion
		discs    []*discussion
		diffs    []*gl.MergeRequestDiff
		bad      = &unread{}
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		mr, _, err = call(gctx, c, what, getLenient[gl.MergeRequest](c, path, nil, bad, ""))
		return err
	})
	g.Go(func() error {
		v, _, err := call(gctx, c, "diff versions of "+what, getLenient[[]*gl.MergeRequestDiffVersion](c, path+"/versions", nil, bad, "versions"))
		if err != nil && StatusOf(err) != 404 { // an instance without the endpoint: diff_refs serve
			return err
		}
		versions = v
		return nil
	})
	g.Go(func() (err error) {
		discs, _, err = pages(gctx, c, "discussions of "+what, maxMRPages, func(p int64, o ...gl.RequestOptionFunc) ([]*discussion, *gl.Response, error) {
			return getLenient[[]*discussion](c, path+"/discussions",
				&gl.ListMergeRequestDiscussionsOptions{ListOptions: gl.ListOptions{Page: p, PerPage: 100}}, bad, fmt.Sprintf("discussions (page %d)", p))(o...)
		})
		return err
	})
	g.Go(func() (err error) {
		diffs, _, err = pages(gctx, c, "changes of "+what, maxMRPages, func(p int64, o ...gl.RequestOptionFunc) ([]*gl.MergeRequestDiff, *gl.Response, error) {
			return getLenient[[]*gl.MergeRequestDiff](c, path+"/diffs",
				&gl.ListMergeRequestDiffsOptions{ListOptions: gl.ListOptions{Page: p, PerPage: 100}}, bad, fmt.Sprintf("changes (page %d)", p))(o...)
		})
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	r := &Review{Ref: fmt.Sprintf("%s!%d", pid, iid), Project: pid, IID: iid, Title: clean(mr.Title), Description: clean(mr.Description),
		WebURL: mr.WebURL, SourceBranch: mr.SourceBranch, TargetBranch: mr.TargetBranch}
	if len(versions) > 0 && versions[0] != nil { // newest first
		v := versions[0]
		r.BaseSHA, r.StartSHA, r.HeadSHA = v.BaseCommitSHA, v.StartCommitSHA, v.HeadCommitSHA
	} else if mr.DiffRefs.HeadSha != "" {
		r.BaseSHA, r.StartSHA, r.HeadSHA = mr.DiffRefs.BaseSha, mr.DiffRefs.StartSha, mr.DiffRefs.HeadSha
	}
	for _, f := range diffs {
		if f == nil {
			continue
		}
		r.Files = append(r.Files, ReviewFile{OldPath: f.OldPath, NewPath: f.NewPath, Diff: redactLines(f.Diff),
			New: f.NewFile, Deleted: f.DeletedFile, Renamed: f.RenamedFile, TooLarge: f.TooLarge || f.Collapsed && f.Diff == ""})
	}
	for _, d := range discs {
		if t, ok := threadOf(d); ok {
			r.Threads = append(r.Threads, t)
		}
	}
	return r, nil
}

// redactLines masks secrets in each line on its own, so a masked diff keeps
// its line count (a comment's position is a line number).
func redactLines(diff string) string {
	lines := strings.Split(diff, "\n")
	for i, l := range lines {
		lines[i] = strings.ReplaceAll(redact.String(l), "\n", " ")
	}
	return strings.Join(lines, "\n")
}

func threadOf(d *discussion) (Thread, bool) {
	if d == nil {
		return Thread{}, false
	}
	t := Thread{ID: d.ID}
	for _, n := range d.Notes {
		if n == nil || n.System {
			continue
		}
		if len(t.Notes) == 0 {
			t.Resolvable, t.Resolved = n.Resolvable, n.Resolved
			if p := n.Position; p != nil {
				t.Path = p.path()
				if p.PositionType == "" || p.PositionType == "text" {
					t.OldLine, t.NewLine = p.OldLine, p.NewLine
				}
			}
		}
		var at time.Time
		if n.CreatedAt != nil {
			at = *n.CreatedAt
		}
		t.Notes = append(t.Notes, ThreadNote{Author: noteAuthor(&n.Note), Body: clean(n.Body), CreatedAt: at})
	}
	return t, len(t.Notes) > 0
}

// ErrPendingDrafts means the user already has unpublished draft notes on the
// merge request (left in the web UI, or by an earlier run that failed): a bulk
// publish would publish those too, unseen.
var ErrPendingDrafts = errors.New("pending draft notes")

// PublishReview posts comments on the merge request. As a review (single
// false) it creates one draft note each, then publishes them all in one
// go, so reviewers are notified once; with single, each becomes its own
// thread (or a plain note when it has no line). Bodies are redacted first.
// Nothing is retried: a retried POST could comment twice. When a draft
// cannot be created, nothing is published and the error says how many
// drafts wait in GitLab.
func (c *Client) PublishReview(ctx context.Context, r *Review, comments []ReviewComment, single bool) (int, error) {
	pid, iid := r.Project, r.IID
	what := fmt.Sprintf("merge request %s!%d", pid, iid)
	if len(comments) == 0 {
		return 0, fmt.Errorf("no comments to publish")
	}
	if single {
		for i, cm := range comments {
			if err := c.postThread(ctx, r, cm); err != nil {
				return i, fmt.Errorf("%d of %d comments posted; then %w", i, len(comments), err)
			}
		}
		return len(comments), nil
	}
	pending, _, err := call(ctx, c, "draft notes of "+what, func(o ...gl.RequestOptionFunc) ([]*gl.DraftNote, *gl.Response, error) {
		return c.api.DraftNotes.ListDraftNotes(pid, iid, &gl.ListDraftNotesOptions{ListOptions: gl.ListOptions{PerPage: 100}}, o...)
	})
	if err != nil {
		return 0, err
	}
	if len(pending) > 0 {
		return 0, fmt.Errorf("%w: you have %d unpublished draft note(s) on %s already; publishing the review would publish them too. "+
			"Submit or discard them in GitLab (%s), or post these as single comments (--single)", ErrPendingDrafts, len(pending), r.Ref, r.WebURL)
	}
	for i, cm := range comments {
		opt := &gl.CreateDraftNoteOptions{Note: gl.Ptr(redact.String(strings.TrimSpace(cm.Body))), Position: r.position(cm)}
		_, _, err := call(ctx, c, fmt.Sprintf("draft note %d of %d on %s", i+1, len(comments), what), func(o ...gl.RequestOptionFunc) (*gl.DraftNote, *gl.Response, error) {
			return c.api.DraftNotes.CreateDraftNote(pid, iid, opt, o...)
		})
		if err != nil {
			return 0, fmt.Errorf("nothing was published; %d draft note(s) were created and wait in GitLab as your pending review: %w", i, err)
		}
	}
	_, _, err = call(ctx, c, "publishing the review on "+what, func(o ...gl.RequestOptionFunc) (struct{}, *gl.Response, error) {
		resp, err := c.api.DraftNotes.PublishAllDraftNotes(pid, iid, o...)
		return struct{}{}, resp, err
	})
	if err != nil {
		return 0, fmt.Errorf("the %d draft notes were created but not published (they wait in GitLab as your pending review): %w", len(comments), err)
	}
	return len(comments), nil
}

func (c *Client) postThread(ctx context.Context, r *Review, cm ReviewComment) error {
	body := redact.String(strings.TrimSpace(cm.Body))
	what := fmt.Sprintf("comment on %s", r.Ref)
	if pos := r.position(cm); pos != nil {
		_, _, err := call(ctx, c, what, func(o ...gl.RequestOptionFunc) (*gl.Discussion, *gl.Response, error) {
			return c.api.Discussions.CreateMergeRequestDiscussion(r.Project, r.IID,
				&gl.CreateMergeRequestDiscussionOptions{Body: gl.Ptr(body), Position: pos}, o...)
		})
		return err
	}
	_, _, err := call(ctx, c, what, func(o ...gl.RequestOptionFunc) (*gl.Note, *gl.Response, error) {
		return c.api.Notes.CreateMergeRequestNote(r.Project, r.IID, &gl.CreateMergeRequestNoteOptions{Body: gl.Ptr(body)}, o...)
	})
	return err
}

// position is a comment's place in the latest diff version, or nil for a
// comment on the merge request as a whole.
func (r *Review) position(cm ReviewComment) *gl.PositionOptions {
	if cm.OldLine == 0 && cm.NewLine == 0 {
		return nil
	}
	oldPath, newPath := cm.OldPath, cm.NewPath
	if oldPath == "" {
		oldPath = newPath
	}
	if newPath == "" {
		newPath = oldPath
	}
	p := &gl.PositionOptions{BaseSHA: gl.Ptr(r.BaseSHA), StartSHA: gl.Ptr(r.StartSHA), HeadSHA: gl.Ptr(r.HeadSHA),
		PositionType: gl.Ptr("text"), OldPath: gl.Ptr(oldPath), NewPath: gl.Ptr(newPath)}
	if cm.NewLine > 0 {
		p.NewLine = gl.Ptr(cm.NewLine)
	}
	if cm.OldLine > 0 {
		p.OldLine = gl.Ptr(cm.OldLine)
	}
	return p
}
