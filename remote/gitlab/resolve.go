package gitlab

import (
	"context"
	"fmt"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
	"golang.org/x/sync/errgroup"

	"gitlab.com/wend/wend/context/refs"
	"gitlab.com/wend/wend/remote/redact"
)

// DefaultBudget is the markdown size of one resolved reference when Options
// gives none: about 6,000 tokens.
const DefaultBudget = 24 << 10

// Options shape what Resolve fetches and how much it renders.
type Options struct {
	// Budget caps the markdown in bytes (pack.BytesFor converts tokens).
	Budget int
	// Diff includes per-file diffs of a merge request (default: a file list).
	Diff bool
	// File limits a merge request's diff to one path.
	File string
	// Skip leaves out the newest Skip notes of an issue, or the first Skip
	// discussion threads of a merge request: the way to page through what a
	// previous answer cut.
	Skip int
}

// Item is a resolved reference: markdown for the model and the user, redacted
// and within the budget, plus what was cut.
type Item struct {
	Kind     refs.Kind `json:"kind"`
	Ref      string    `json:"ref"` // canonical, e.g. "group/sub/proj#12"
	Title    string    `json:"title"`
	URL      string    `json:"url"`
	State    string    `json:"state,omitempty"`
	Markdown string    `json:"markdown"`
	Cuts     []string  `json:"cuts,omitempty"`
}

// Resolve fetches what a reference points at and renders it. Requests that do
// not depend on each other (an issue, its notes and its merge requests) go out
// in parallel. A `!34 pipeline` reference renders the MR's head pipeline.
// File references are not GitLab's and are refused.
func (c *Client) Resolve(ctx context.Context, ref refs.Ref, opt Options) (Item, error) {
	if opt.Budget <= 0 {
		opt.Budget = DefaultBudget
	}
	ref, err := c.localize(ref)
	if err != nil {
		return Item{}, err
	}
	switch ref.Kind {
	case refs.Issue:
		return c.issue(ctx, ref, opt)
	case refs.MergeRequest:
		if ref.HeadPipeline {
			return c.mrPipeline(ctx, ref, opt)
		}
		return c.mergeRequest(ctx, ref, opt)
	case refs.Epic:
		return c.epic(ctx, ref, opt)
	case refs.Pipeline:
		return c.pipeline(ctx, ref.Project, ref.ID, opt)
	case refs.Job:
		return c.job(ctx, ref.Project, ref.ID, opt)
	}
	return Item{}, fmt.Errorf("%s is not a GitLab reference", ref)
}

// ResolveText is Resolve for a string (`#12`, a URL...).
func (c *Client) ResolveText(ctx context.Context, text string, opt Options) (Item, error) {
	ref, err := refs.Parse(strings.TrimSpace(text))
	if err != nil {
		return Item{}, err
	}
	return c.Resolve(ctx, ref, opt)
}

// Result pairs a reference with its item or error.
type Result struct {
	Ref  refs.Ref
	Item Item
	Err  error
}

// ResolveAll resolves several references concurrently, each with opt. Results
// are in input order; one failure does not stop the others.
func (c *Client) ResolveAll(ctx context.Context, list []refs.Ref, opt Options) []Result {
	out := make([]Result, len(list))
	g, gctx := errgroup.WithContext(ctx)
	for i, r := range list {
		out[i].Ref = r
		g.Go(func() error {
			out[i].Item, out[i].Err = c.Resolve(gctx, r, opt)
			return nil
		})
	}
	g.Wait()
	return out
}

// ResolveIn finds the GitLab references in free text (a task, a prompt) and
// resolves them concurrently, each with opt; file references (@path) and
// duplicates are left out. Results are in order of appearance.
func (c *Client) ResolveIn(ctx context.Context, text string, opt Options) []Result {
	var list []refs.Ref
	seen := map[string]bool{}
	for _, r := range refs.Find(text) {
		key := r.String()
		if r.Kind == refs.File || seen[key] {
			continue
		}
		seen[key] = true
		list = append(list, r)
	}
	return c.ResolveAll(ctx, list, opt)
}

// localize fills the current project and group, and checks a URL reference is
// on this instance (stripping the instance's sub-path from its project path).
func (c *Client) localize(r refs.Ref) (refs.Ref, error) {
	if r.Kind == refs.File {
		return r, fmt.Errorf("%s is a file reference; read it with read_file", r)
	}
	if r.Host != "" {
		if !strings.EqualFold(r.Host, c.base.Host) {
			return r, fmt.Errorf("%s is on %s, but wend is connected to %s; set GITLAB_URL to that instance to read it", r, r.Host, c.BaseURL())
		}
		r = r.StripBasePath(c.base.Host, c.base.Path)
	}
	if r.Kind == refs.Epic {
		if r.Group == "" {
			r.Group = groupOf(c.project)
		}
		if r.Group == "" {
			return r, fmt.Errorf("%s: no current project, so no group; write group&%d", r, r.IID)
		}
		return r, nil
	}
	if r.Project == "" {
		r.Project = c.project
	}
	if r.Project == "" {
		return r, fmt.Errorf("%s: no current project; write group/project%s", r, strings.TrimLeft(r.String(), "/"))
	}
	return r, nil
}

func groupOf(project string) string {
	if i := strings.LastIndex(project, "/"); i > 0 {
		return project[:i]
	}
	return ""
}

// acquire bounds the requests in flight; every API call goes through it.
func (c *Client) acquire(ctx context.Context) (func(), error) {
	select {
	case c.sem <- struct{}{}:
		return func() { <-c.sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// call runs one API call under the concurrency bound and explains its error.
func call[T any](ctx context.Context, c *Client, what string, fn func(opts ...gl.RequestOptionFunc) (T, *gl.Response, error)) (T, *gl.Response, error) {
	var zero T
	release, err := c.acquire(ctx)
	if err != nil {
		return zero, nil, err
	}
	defer release()
	v, resp, err := fn(gl.WithContext(ctx))
	if err != nil {
		return zero, resp, c.explain(err, what, resp)
	}
	return v, resp, nil
}

// pages fetches page 1, then the following pages (up to maxPages in all)
// concurrently, using the X-Total-Pages header; when the server omits it
// (GitLab does above 10,000 items) it follows X-Next-Page one at a time.
// total is X-Total (0 when unknown).
func pages[T any](ctx context.Context, c *Client, what string, maxPages int64,
	fetch func(page int64, opts ...gl.RequestOptionFunc) ([]T, *gl.Response, error)) (items []T, total int64, err error) {
	first, resp, err := call(ctx, c, what, func(o ...gl.RequestOptionFunc) ([]T, *gl.Response, error) { return fetch(1, o...) })
	if err != nil {
		return nil, 0, err
	}
	return morePages(ctx, c, what, maxPages, first, resp, fetch)
}

// morePages continues pages from an already fetched first page.
func morePages[T any](ctx context.Context, c *Client, what string, maxPages int64, first []T, resp *gl.Response,
	fetch func(page int64, opts ...gl.RequestOptionFunc) ([]T, *gl.Response, error)) (items []T, total int64, err error) {
	total = resp.TotalItems
	last := min(resp.TotalPages, maxPages)
	if resp.TotalPages == 0 {
		// Unknown total: walk X-Next-Page.
		items = first
		for next := resp.NextPage; next > 0 && next <= maxPages; {
			more, r, err := call(ctx, c, what, func(o ...gl.RequestOptionFunc) ([]T, *gl.Response, error) { return fetch(next, o...) })
			if err != nil {
				return items, total, err
			}
			items, next = append(items, more...), r.NextPage
		}
		return items, total, nil
	}
	rest := make([][]T, max(0, last-1))
	g, gctx := errgroup.WithContext(ctx)
	for p := int64(2); p <= last; p++ {
		g.Go(func() error {
			v, _, err := call(gctx, c, what, func(o ...gl.RequestOptionFunc) ([]T, *gl.Response, error) { return fetch(p, o...) })
			rest[p-2] = v
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, total, err
	}
	items = first
	for _, r := range rest {
		items = append(items, r...)
	}
	return items, total, nil
}

// Helpers shared by the renderers.

func clean(s string) string { return redact.String(strings.TrimSpace(s)) }

func when(t *time.Time) string {
	if t == nil {
		return "?"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func users[T any](list []T, name func(T) string) string {
	var out []string
	for _, u := range list {
		if n := name(u); n != "" {
			out = append(out, "@"+n)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

// quote renders text as a markdown block quote.
func quote(s string) string {
	return "> " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n> ") + "\n"
}

func duration(sec float64) string {
	if sec <= 0 {
		return "–"
	}
	return (time.Duration(sec * float64(time.Second))).Round(time.Second).String()
}
