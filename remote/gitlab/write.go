package gitlab

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"gitlab.com/wend/wend/context/refs"
	"gitlab.com/wend/wend/remote/redact"
)

// The functions in this file change GitLab. Call them only when the user has
// asked for that action in so many words (a command, a confirmed prompt); they
// are deliberately not in the model's tool list. Text sent is redacted first:
// a summary drafted from logs may quote a secret.

// NewMergeRequest describes the merge request to open for a pushed branch.
type NewMergeRequest struct {
	SourceBranch string // required; must already be pushed
	TargetBranch string // empty: the project's default branch
	Title        string // required
	Description  string
	// Issue, when not zero, is linked with "Closes #N" so merging closes it.
	Issue              int64
	Draft              bool
	RemoveSourceBranch bool
}

// Created is what a write action made.
type Created struct {
	Ref string `json:"ref"` // "group/proj!99" or the note's parent
	ID  int64  `json:"id"`
	URL string `json:"url"`
}

// CreateMergeRequest opens a merge request from a pushed branch. It is not
// retried on a 5xx: GitLab may have created it already.
func (c *Client) CreateMergeRequest(ctx context.Context, in NewMergeRequest) (Created, error) {
	if in.SourceBranch == "" || strings.TrimSpace(in.Title) == "" {
		return Created{}, fmt.Errorf("a merge request needs a source branch and a title")
	}
	pid := c.project
	target := in.TargetBranch
	if target == "" {
		p, _, err := call(ctx, c, "project "+pid, func(o ...gl.RequestOptionFunc) (*gl.Project, *gl.Response, error) {
			return c.api.Projects.GetProject(pid, nil, o...)
		})
		if err != nil {
			return Created{}, err
		}
		target = p.DefaultBranch
	}
	title := redact.String(strings.TrimSpace(in.Title))
	if in.Draft && !strings.HasPrefix(strings.ToLower(title), "draft:") {
		title = "Draft: " + title
	}
	desc := redact.String(ClosingDescription(in.Description, in.Issue))
	opt := &gl.CreateMergeRequestOptions{
		Title: gl.Ptr(title), Description: gl.Ptr(desc),
		SourceBranch: gl.Ptr(in.SourceBranch), TargetBranch: gl.Ptr(target),
	}
	if in.RemoveSourceBranch {
		opt.RemoveSourceBranch = gl.Ptr(true)
	}
	what := fmt.Sprintf("new merge request %s → %s in %s", in.SourceBranch, target, pid)
	mr, _, err := call(ctx, c, what, func(o ...gl.RequestOptionFunc) (*gl.MergeRequest, *gl.Response, error) {
		return c.api.MergeRequests.CreateMergeRequest(pid, opt, o...)
	})
	if err != nil {
		if StatusOf(err) == 409 {
			return Created{}, fmt.Errorf("%w (a merge request for %s probably exists already)", err, in.SourceBranch)
		}
		return Created{}, err
	}
	return Created{Ref: fmt.Sprintf("%s!%d", pid, mr.IID), ID: mr.IID, URL: mr.WebURL}, nil
}

// closesRe matches a closing statement that opens a line ("Fixes #12 today"):
// a reference quoted inside other text ("Task: fix #12") is the user's words,
// not a statement a reader of the merge request can see at a glance.
var closesRe = regexp.MustCompile(`(?im)^\s*(close[sd]?|fix(e[sd])?|resolve[sd]?|implement(s|ed)?)\s+#(\d+)\b`)

// ClosingDescription appends "Closes #N" to a description unless a line of it
// already states that it closes that issue.
func ClosingDescription(desc string, issue int64) string {
	desc = strings.TrimSpace(desc)
	if issue == 0 {
		return desc
	}
	for _, m := range closesRe.FindAllStringSubmatch(desc, -1) {
		if m[4] == fmt.Sprint(issue) {
			return desc
		}
	}
	if desc != "" {
		desc += "\n\n"
	}
	return desc + fmt.Sprintf("Closes #%d", issue)
}

// AddNote comments on an issue or merge request (a summary of the work, for
// example). Not retried on a 5xx, so a note is never posted twice.
func (c *Client) AddNote(ctx context.Context, ref refs.Ref, body string) (Created, error) {
	ref, err := c.localize(ref)
	if err != nil {
		return Created{}, err
	}
	body = redact.String(strings.TrimSpace(body))
	if body == "" {
		return Created{}, fmt.Errorf("the note is empty")
	}
	switch ref.Kind {
	case refs.Issue:
		n, _, err := call(ctx, c, fmt.Sprintf("note on issue %s#%d", ref.Project, ref.IID), func(o ...gl.RequestOptionFunc) (*gl.Note, *gl.Response, error) {
			return c.api.Notes.CreateIssueNote(ref.Project, ref.IID, &gl.CreateIssueNoteOptions{Body: gl.Ptr(body)}, o...)
		})
		if err != nil {
			return Created{}, err
		}
		return Created{Ref: fmt.Sprintf("%s#%d", ref.Project, ref.IID), ID: n.ID,
			URL: fmt.Sprintf("%s/%s/-/issues/%d#note_%d", c.BaseURL(), ref.Project, ref.IID, n.ID)}, nil
	case refs.MergeRequest:
		n, _, err := call(ctx, c, fmt.Sprintf("note on merge request %s!%d", ref.Project, ref.IID), func(o ...gl.RequestOptionFunc) (*gl.Note, *gl.Response, error) {
			return c.api.Notes.CreateMergeRequestNote(ref.Project, ref.IID, &gl.CreateMergeRequestNoteOptions{Body: gl.Ptr(body)}, o...)
		})
		if err != nil {
			return Created{}, err
		}
		return Created{Ref: fmt.Sprintf("%s!%d", ref.Project, ref.IID), ID: n.ID,
			URL: fmt.Sprintf("%s/%s/-/merge_requests/%d#note_%d", c.BaseURL(), ref.Project, ref.IID, n.ID)}, nil
	}
	return Created{}, fmt.Errorf("notes go on an issue or a merge request, not on %s", ref)
}
