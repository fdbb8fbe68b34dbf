package gitlab

import (
	"context"
	"fmt"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
	"golang.org/x/sync/errgroup"

	"gitlab.com/wend/wend/context/refs"
)

// Search scopes gitlab_search accepts.
const (
	ScopeIssues        = "issues"
	ScopeMergeRequests = "merge_requests"
)

// Hit is one search result or completion suggestion.
type Hit struct {
	Kind     refs.Kind `json:"kind"`
	Ref      string    `json:"ref"` // "#12", "!34", "&5": short, for the current project or group
	Title    string    `json:"title"`
	State    string    `json:"state"`
	URL      string    `json:"url"`
	Updated  time.Time `json:"updated"`
	Assigned bool      `json:"assigned,omitempty"` // assigned to the token's user
	Labels   []string  `json:"labels,omitempty"`
}

// Search runs GitLab's project search (scope issues or merge_requests) and
// returns up to 20 hits, titles redacted.
func (c *Client) Search(ctx context.Context, scope, query string) ([]Hit, error) {
	if strings.TrimSpace(query) == "" {
		return nil, fmt.Errorf("gitlab_search needs a non-empty query")
	}
	opt := &gl.SearchOptions{ListOptions: gl.ListOptions{PerPage: 20}}
	pid := c.project
	what := fmt.Sprintf("search %s for %q in %s", scope, query, pid)
	switch scope {
	case ScopeIssues:
		list, _, err := call(ctx, c, what, func(o ...gl.RequestOptionFunc) ([]*gl.Issue, *gl.Response, error) {
			return c.api.Search.IssuesByProject(pid, query, opt, o...)
		})
		return issueHits(list, 0), err
	case ScopeMergeRequests:
		list, _, err := call(ctx, c, what, func(o ...gl.RequestOptionFunc) ([]*gl.MergeRequest, *gl.Response, error) {
			return c.api.Search.MergeRequestsByProject(pid, query, opt, o...)
		})
		var hits []Hit
		for _, m := range list {
			hits = append(hits, mrHit(&m.BasicMergeRequest, 0))
		}
		return hits, err
	}
	return nil, fmt.Errorf("gitlab_search scope must be %q or %q, not %q", ScopeIssues, ScopeMergeRequests, scope)
}

// Suggest feeds the `#`, `!` and `&` completion: for kind Issue, the user's
// open assigned issues, plus matches for typed text; for MergeRequest, open
// merge requests (the user's first), plus matches; for Epic, the group's open
// epics matching the text. The lists are fetched concurrently; the result is
// deduplicated, assigned-to-me first, then most recently updated. A failing
// list is left out, unless all fail.
func (c *Client) Suggest(ctx context.Context, kind refs.Kind, text string) ([]Hit, error) {
	text = strings.TrimSpace(text)
	me, _ := c.currentUserID(ctx)
	var lists [][]Hit
	var fails []error
	var fetches []func(context.Context) ([]Hit, error)
	pid := c.project
	switch kind {
	case refs.Issue:
		fetches = append(fetches, func(ctx context.Context) ([]Hit, error) {
			l, _, err := call(ctx, c, "assigned issues", func(o ...gl.RequestOptionFunc) ([]*gl.Issue, *gl.Response, error) {
				return c.api.Issues.ListProjectIssues(pid, &gl.ListProjectIssuesOptions{ListOptions: gl.ListOptions{PerPage: 20},
					State: gl.Ptr("opened"), Scope: gl.Ptr("assigned_to_me"), OrderBy: gl.Ptr("updated_at")}, o...)
			})
			return issueHits(l, me), err
		})
		if text != "" {
			fetches = append(fetches, func(ctx context.Context) ([]Hit, error) {
				l, _, err := call(ctx, c, "issues matching "+text, func(o ...gl.RequestOptionFunc) ([]*gl.Issue, *gl.Response, error) {
					return c.api.Issues.ListProjectIssues(pid, &gl.ListProjectIssuesOptions{ListOptions: gl.ListOptions{PerPage: 20},
						Search: gl.Ptr(text), OrderBy: gl.Ptr("updated_at")}, o...)
				})
				return issueHits(l, me), err
			})
		}
	case refs.MergeRequest:
		list := func(search *string) func(context.Context) ([]Hit, error) {
			return func(ctx context.Context) ([]Hit, error) {
				l, _, err := call(ctx, c, "merge requests", func(o ...gl.RequestOptionFunc) ([]*gl.BasicMergeRequest, *gl.Response, error) {
					return c.api.MergeRequests.ListProjectMergeRequests(pid, &gl.ListProjectMergeRequestsOptions{ListOptions: gl.ListOptions{PerPage: 20},
						State: gl.Ptr("opened"), Search: search, OrderBy: gl.Ptr("updated_at")}, o...)
				})
				var hits []Hit
				for _, m := range l {
					hits = append(hits, mrHit(m, me))
				}
				return hits, err
			}
		}
		fetches = append(fetches, list(nil))
		if text != "" {
			fetches = append(fetches, list(gl.Ptr(text)))
		}
	case refs.Epic:
		fetches = append(fetches, func(ctx context.Context) ([]Hit, error) {
			opt := &gl.ListGroupEpicsOptions{ListOptions: gl.ListOptions{PerPage: 20}, State: gl.Ptr("opened"), OrderBy: gl.Ptr("updated_at")}
			if text != "" {
				opt.Search = gl.Ptr(text)
			}
			l, _, err := call(ctx, c, "epics", func(o ...gl.RequestOptionFunc) ([]*gl.Epic, *gl.Response, error) {
				return c.api.Epics.ListGroupEpics(groupOf(pid), opt, o...)
			})
			var hits []Hit
			for _, e := range l {
				h := Hit{Kind: refs.Epic, Ref: fmt.Sprintf("&%d", e.IID), Title: clean(e.Title), State: e.State, URL: e.WebURL, Labels: e.Labels}
				if e.UpdatedAt != nil {
					h.Updated = *e.UpdatedAt
				}
				hits = append(hits, h)
			}
			return hits, err
		})
	default:
		return nil, fmt.Errorf("no suggestions for %q", kind)
	}
	lists = make([][]Hit, len(fetches))
	errs := make([]error, len(fetches))
	g, gctx := errgroup.WithContext(ctx)
	for i, f := range fetches {
		g.Go(func() error {
			lists[i], errs[i] = f(gctx)
			return nil
		})
	}
	g.Wait()
	for _, err := range errs {
		if err != nil {
			fails = append(fails, err)
		}
	}
	if len(fails) == len(fetches) {
		return nil, fails[0]
	}
	return mergeHits(lists), nil
}

func mergeHits(lists [][]Hit) []Hit {
	seen := map[string]bool{}
	var out []Hit
	for _, l := range lists {
		for _, h := range l {
			if !seen[h.Ref] {
				seen[h.Ref] = true
				out = append(out, h)
			}
		}
	}
	// Stable: assigned first, then newest.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && less(out[j], out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func less(a, b Hit) bool {
	if a.Assigned != b.Assigned {
		return a.Assigned
	}
	return a.Updated.After(b.Updated)
}

// currentUserID is fetched once per Client and cached; a failure is not
// cached, so a later call tries again.
func (c *Client) currentUserID(ctx context.Context) (int64, error) {
	c.meMu.Lock()
	defer c.meMu.Unlock()
	if c.me != 0 {
		return c.me, nil
	}
	u, _, err := call(ctx, c, "current user", func(o ...gl.RequestOptionFunc) (*gl.User, *gl.Response, error) {
		return c.api.Users.CurrentUser(o...)
	})
	if err != nil {
		return 0, err
	}
	c.me = u.ID
	return c.me, nil
}

func issueHits(list []*gl.Issue, me int64) []Hit {
	var hits []Hit
	for _, is := range list {
		h := Hit{Kind: refs.Issue, Ref: fmt.Sprintf("#%d", is.IID), Title: clean(is.Title), State: is.State, URL: is.WebURL, Labels: is.Labels}
		if is.UpdatedAt != nil {
			h.Updated = *is.UpdatedAt
		}
		for _, a := range is.Assignees {
			if me != 0 && a.ID == me {
				h.Assigned = true
			}
		}
		hits = append(hits, h)
	}
	return hits
}

func mrHit(m *gl.BasicMergeRequest, me int64) Hit {
	h := Hit{Kind: refs.MergeRequest, Ref: fmt.Sprintf("!%d", m.IID), Title: clean(m.Title), State: m.State, URL: m.WebURL, Labels: m.Labels}
	if m.UpdatedAt != nil {
		h.Updated = *m.UpdatedAt
	}
	for _, a := range m.Assignees {
		if me != 0 && a.ID == me {
			h.Assigned = true
		}
	}
	if m.Author != nil && me != 0 && m.Author.ID == me {
		h.Assigned = true
	}
	return h
}

// HitsMarkdown renders search hits as a list for the model.
func HitsMarkdown(scope, query string, hits []Hit) string {
	if len(hits) == 0 {
		return fmt.Sprintf("No %s match %q.\n", strings.ReplaceAll(scope, "_", " "), query)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s matching %q (most relevant first; at most 20):\n\n", len(hits), strings.ReplaceAll(scope, "_", " "), query)
	for _, h := range hits {
		fmt.Fprintf(&b, "- %s %s (%s", h.Ref, h.Title, h.State)
		if len(h.Labels) > 0 {
			fmt.Fprintf(&b, "; %s", strings.Join(h.Labels, ", "))
		}
		b.WriteString(")\n")
	}
	return b.String()
}
