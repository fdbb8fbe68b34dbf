package gitlab

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
	"golang.org/x/sync/errgroup"

	"gitlab.com/wend/wend/context/pack"
	"gitlab.com/wend/wend/context/refs"
	"gitlab.com/wend/wend/remote/httpx"
)

// maxFailedLogs caps the failed jobs whose logs a pipeline item excerpts.
const maxFailedLogs = 3

// pipeline fetches the pipeline and its jobs in parallel, then the logs of
// its failed jobs in parallel, each streamed into an excerpt.
func (c *Client) pipeline(ctx context.Context, pid string, id int64, opt Options) (Item, error) {
	what := fmt.Sprintf("pipeline %d of %s", id, pid)
	var (
		p    *gl.Pipeline
		jobs []*gl.Job
		bad  = &unread{}
	)
	path := fmt.Sprintf("projects/%s/pipelines/%d", gl.PathEscape(pid), id)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		v, _, err := call(gctx, c, what, getLenient[gl.Pipeline](c, path, nil, bad, ""))
		p = &v
		return err
	})
	g.Go(func() (err error) {
		jobs, _, err = pages(gctx, c, "jobs of "+what, 5, func(page int64, o ...gl.RequestOptionFunc) ([]*gl.Job, *gl.Response, error) {
			return getLenient[[]*gl.Job](c, path+"/jobs",
				&gl.ListJobsOptions{ListOptions: gl.ListOptions{Page: page, PerPage: 100}}, bad, fmt.Sprintf("jobs (page %d)", page))(o...)
		})
		return err
	})
	if err := g.Wait(); err != nil {
		return Item{}, err
	}
	slices.SortFunc(jobs, func(a, b *gl.Job) int { return int(a.ID - b.ID) })
	var failed []*gl.Job
	for _, j := range jobs {
		if j.Status == "failed" && !j.AllowFailure && len(failed) < maxFailedLogs {
			failed = append(failed, j)
		}
	}
	excerpts := make([]*Excerpt, len(failed))
	logErrs := make([]error, len(failed))
	lg, lctx := errgroup.WithContext(ctx)
	for i, j := range failed {
		lg.Go(func() error {
			excerpts[i], logErrs[i] = c.JobExcerpt(lctx, pid, j.ID, ExcerptOptions{})
			return nil
		})
	}
	lg.Wait()

	d := pack.New(opt.Budget)
	if p.ID == 0 {
		p.ID = id
	}
	d.Printf("# Pipeline #%d: %s\n\n- ref: %s, commit %s, source: %s\n- duration: %s\n- url: %s\n\n",
		p.ID, bad.or("status", p.Status), bad.or("ref", p.Ref), bad.or("sha", short(p.SHA)), bad.or("source", string(p.Source)),
		bad.or("duration", duration(float64(p.Duration))), bad.or("web_url", p.WebURL))
	renderJobs(d, jobs)
	for i, j := range failed {
		d.Printf("## Failed job %s (job %d, stage %s)\n\n", j.Name, j.ID, j.Stage)
		if logErrs[i] != nil {
			d.Printf("Log unavailable: %s\n\n", clean(logErrs[i].Error()))
			continue
		}
		share := d.Remaining() / (len(failed) - i)
		d.Fit(excerpts[i].Markdown(j.ID)+"\n", share, "log excerpt of job "+fmt.Sprint(j.ID),
			fmt.Sprintf("gitlab_get_job_log {\"job\": %d}", j.ID))
	}
	if n := bad.note(); n != "" {
		d.Write("\n" + n)
	}
	return Item{Kind: refs.Pipeline, Ref: fmt.Sprintf("%s pipeline %d", pid, p.ID), Title: "Pipeline #" + fmt.Sprint(p.ID),
		URL: p.WebURL, State: p.Status, Markdown: d.String(), Cuts: d.Cuts()}, nil
}

// renderJobs groups jobs by stage, stages in the order their first job ran.
func renderJobs(d *pack.Doc, jobs []*gl.Job) {
	var stages []string
	by := map[string][]*gl.Job{}
	for _, j := range jobs {
		if _, ok := by[j.Stage]; !ok {
			stages = append(stages, j.Stage)
		}
		by[j.Stage] = append(by[j.Stage], j)
	}
	d.Printf("## Jobs by stage (%d jobs)\n\n", len(jobs))
	for _, s := range stages {
		d.Printf("### %s\n", s)
		for _, j := range by[s] {
			extra := ""
			if j.FailureReason != "" {
				extra = " (" + j.FailureReason + ")"
			}
			if j.AllowFailure && j.Status == "failed" {
				extra += " (allowed to fail)"
			}
			d.Printf("- %s %s — %s%s, %s, job %d\n", statusMark(j.Status), j.Name, j.Status, extra, duration(j.Duration), j.ID)
		}
		d.Write("\n")
	}
}

func statusMark(s string) string {
	switch s {
	case "success":
		return "✓"
	case "failed":
		return "✗"
	case "running", "pending", "created", "preparing", "waiting_for_resource":
		return "…"
	case "canceled", "skipped":
		return "–"
	case "manual":
		return "▶"
	}
	return "?"
}

func short(sha string) string {
	if len(sha) > 8 {
		return sha[:8]
	}
	return sha
}

// job fetches a job and its log excerpt in parallel.
func (c *Client) job(ctx context.Context, pid string, id int64, opt Options) (Item, error) {
	what := fmt.Sprintf("job %d of %s", id, pid)
	var (
		j   *gl.Job
		ex  *Excerpt
		bad = &unread{}
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		v, _, err := call(gctx, c, what, getLenient[gl.Job](c, fmt.Sprintf("projects/%s/jobs/%d", gl.PathEscape(pid), id), nil, bad, ""))
		j = &v
		return err
	})
	g.Go(func() (err error) {
		ex, err = c.JobExcerpt(gctx, pid, id, ExcerptOptions{})
		return err
	})
	if err := g.Wait(); err != nil {
		return Item{}, err
	}
	d := pack.New(opt.Budget)
	if j.ID == 0 {
		j.ID = id
	}
	d.Printf("# Job %s (job %d): %s\n\n- stage: %s, pipeline #%d, ref %s\n- duration: %s%s\n- url: %s\n\n",
		bad.or("name", j.Name), j.ID, bad.or("status", j.Status), bad.or("stage", j.Stage), j.Pipeline.ID, bad.or("ref", j.Ref),
		bad.or("duration", duration(j.Duration)),
		map[bool]string{true: ", failure reason: " + j.FailureReason}[j.FailureReason != ""], bad.or("web_url", j.WebURL))
	d.Fit(ex.Markdown(j.ID), d.Remaining(), "log excerpt", fmt.Sprintf("gitlab_get_job_log {\"job\": %d, \"start_line\": 1, \"end_line\": 500}", j.ID))
	if n := bad.note(); n != "" {
		d.Write("\n" + n)
	}
	return Item{Kind: refs.Job, Ref: fmt.Sprintf("%s job %d", pid, j.ID), Title: clean(j.Name), URL: j.WebURL, State: j.Status,
		Markdown: d.String(), Cuts: d.Cuts()}, nil
}

// JobExcerpt streams a job's log into an excerpt; memory does not grow with
// the log's size.
func (c *Client) JobExcerpt(ctx context.Context, pid string, jobID int64, opt ExcerptOptions) (*Excerpt, error) {
	x := NewExcerptWriter(opt)
	if err := c.streamLog(ctx, pid, jobID, x); err != nil {
		return nil, err
	}
	return x.Excerpt(), nil
}

// JobLogRange reads lines start..end (1-based, inclusive, at most
// MaxRangeLines) of a job's log, ANSI-stripped and sections removed.
func (c *Client) JobLogRange(ctx context.Context, pid string, jobID int64, start, end int) (LogRange, error) {
	w := newRangeWriter(start, end)
	if err := c.streamLog(ctx, pid, jobID, w); err != nil {
		return LogRange{}, err
	}
	return w.result(end), nil
}

// streamLog copies GET /projects/:id/jobs/:job_id/trace into w as it arrives.
func (c *Client) streamLog(ctx context.Context, pid string, jobID int64, w io.Writer) error {
	if pid == "" {
		pid = c.project
	}
	what := fmt.Sprintf("log of job %d of %s", jobID, pid)
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	// The log passes through w's line filter, which keeps a bounded excerpt, so a
	// log larger than max_response_mb is read whole; the idle bound still holds.
	req, err := c.api.NewRequest(http.MethodGet, fmt.Sprintf("projects/%s/jobs/%d/trace", gl.PathEscape(pid), jobID), nil,
		[]gl.RequestOptionFunc{gl.WithContext(httpx.Unbounded(ctx))})
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/plain")
	if resp, err := c.api.Do(req, w); err != nil {
		return c.explain(err, what, resp)
	}
	return nil
}

// epic fetches an epic and its child issues in parallel.
func (c *Client) epic(ctx context.Context, ref refs.Ref, opt Options) (Item, error) {
	gid, iid := ref.Group, ref.IID
	what := fmt.Sprintf("epic %s&%d", gid, iid)
	var (
		e      *gl.Epic
		issues []*gl.Issue
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		e, _, err = call(gctx, c, what, func(o ...gl.RequestOptionFunc) (*gl.Epic, *gl.Response, error) {
			return c.api.Epics.GetEpic(gid, iid, o...)
		})
		return err
	})
	g.Go(func() (err error) {
		issues, _, err = pages(gctx, c, "issues of "+what, 5, func(p int64, o ...gl.RequestOptionFunc) ([]*gl.Issue, *gl.Response, error) {
			return c.api.EpicIssues.ListEpicIssues(gid, iid, &gl.ListOptions{Page: p, PerPage: 100}, o...)
		})
		return err
	})
	if err := g.Wait(); err != nil {
		return Item{}, err
	}
	d := pack.New(opt.Budget)
	canon := fmt.Sprintf("%s&%d", gid, e.IID)
	d.Printf("# Epic %s: %s\n\n- state: %s\n- labels: %s\n- url: %s\n\n## Description\n\n", canon, clean(e.Title), e.State, orNone(e.Labels), e.WebURL)
	desc := clean(e.Description)
	if desc == "" {
		desc = "(no description)"
	}
	d.Fit(desc+"\n\n", d.Remaining()/2, "description", "full text at "+e.WebURL)
	d.Printf("## Child issues (%d)\n\n", len(issues))
	for i, is := range issues {
		ref := fmt.Sprintf("#%d", is.IID)
		if is.References != nil && is.References.Full != "" {
			ref = is.References.Full
		}
		if !d.Printf("- %s %s (%s; %s)\n", ref, clean(is.Title), is.State, strings.Join(is.Labels, ", ")) {
			d.Cut(fmt.Sprintf("%d of %d child issues", len(issues)-i, len(issues)), "open "+e.WebURL)
			break
		}
	}
	return Item{Kind: refs.Epic, Ref: canon, Title: clean(e.Title), URL: e.WebURL, State: e.State, Markdown: d.String(), Cuts: d.Cuts()}, nil
}
