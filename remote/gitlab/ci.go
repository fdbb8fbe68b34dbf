package gitlab

import (
	"context"
	"fmt"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// IssueRef is an open issue as `wend ci issues` lists it.
type IssueRef struct {
	IID   int64  `json:"iid"`
	Title string `json:"title"`
	URL   string `json:"web_url"`
}

// maxLabelPages bounds the issues one label lists (100 a page).
const maxLabelPages = 5

// LabeledIssues lists the project's open issues that carry label, oldest
// first, so a sweep works through a backlog in the order it was filed.
func (c *Client) LabeledIssues(ctx context.Context, label string) ([]IssueRef, error) {
	label = strings.TrimSpace(label)
	if label == "" {
		return nil, fmt.Errorf("no label given")
	}
	pid := c.project
	labels := gl.LabelOptions{label}
	list, _, err := pages(ctx, c, fmt.Sprintf("issues labelled %q in %s", label, pid), maxLabelPages,
		func(p int64, o ...gl.RequestOptionFunc) ([]*gl.Issue, *gl.Response, error) {
			return c.api.Issues.ListProjectIssues(pid, &gl.ListProjectIssuesOptions{ListOptions: gl.ListOptions{Page: p, PerPage: 100},
				State: gl.Ptr("opened"), Labels: &labels, OrderBy: gl.Ptr("created_at"), Sort: gl.Ptr("asc")}, o...)
		})
	if err != nil {
		return nil, err
	}
	out := make([]IssueRef, 0, len(list))
	for _, is := range list {
		if is != nil {
			out = append(out, IssueRef{IID: is.IID, Title: clean(is.Title), URL: is.WebURL})
		}
	}
	return out, nil
}
