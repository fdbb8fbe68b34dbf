package gitlab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// PipelineJob is one job of a watched pipeline, as the plan step shows it.
type PipelineJob struct {
	ID            int64
	Name, Stage   string
	Status        string
	Duration      time.Duration
	AllowFailure  bool
	FailureReason string
}

// PipelineState is a watched pipeline at one moment.
type PipelineState struct {
	ID       int64
	Status   string
	Ref, SHA string
	WebURL   string
	Jobs     []PipelineJob // oldest first (GitLab lists newest first)
	// MoreJobs is set when the pipeline has more than the one page of jobs
	// (100) the watcher reads per interval.
	MoreJobs bool
}

// Done reports whether the pipeline will not change any more by itself.
func (s PipelineState) Done() bool { return PipelineDone(s.Status) }

// PipelineDone reports whether a pipeline status is final. A manual pipeline
// waits for a person, so watching it longer shows nothing new.
func PipelineDone(status string) bool {
	switch status {
	case "success", "failed", "canceled", "skipped", "manual", "blocked":
		return true
	}
	return false
}

// Failed returns the jobs that failed and were not allowed to.
func (s PipelineState) Failed() []PipelineJob {
	var out []PipelineJob
	for _, j := range s.Jobs {
		if j.Status == "failed" && !j.AllowFailure {
			out = append(out, j)
		}
	}
	return out
}

// WatchOptions says what to watch and how often.
type WatchOptions struct {
	Project string // default: the client's project
	// Pipeline is the pipeline's id; when zero the watcher first looks for the
	// newest pipeline of SHA (GitLab creates it a moment after the push).
	Pipeline int64
	SHA      string
	// Interval is the first wait between polls (default 5s); it grows by half
	// while nothing changes, up to MaxInterval (default 60s), and drops back
	// to Interval when something does. A Poll-Interval header from GitLab
	// raises it, never lowers it.
	Interval, MaxInterval time.Duration
	// FindTimeout bounds the wait for a pipeline of SHA to appear (default 2m).
	FindTimeout time.Duration
	// MaxErrors is how many failed polls in a row end the watch (default 5).
	MaxErrors int
	// Update is called with each state that differs from the one before.
	Update func(PipelineState)
	// sleep waits for d or the context's end; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

// ErrNoPipeline is returned when no pipeline appeared for the commit in time.
var ErrNoPipeline = errors.New("no pipeline appeared")

// WatchPipeline polls a pipeline until it is done and returns its last state.
// Each poll is one request for the pipeline and one for a page of its jobs,
// however many jobs there are. Both carry If-None-Match with the ETag of the
// previous answer, so an instance that caches them answers 304 without a
// body. Between polls the wait grows while nothing changes; a 429 waits what
// Retry-After (or RateLimit-Reset) says; errors back off and end the watch
// after MaxErrors in a row.
func (c *Client) WatchPipeline(ctx context.Context, o WatchOptions) (PipelineState, error) {
	o.defaults()
	pid := o.Project
	if pid == "" {
		pid = c.project
	}
	id := o.Pipeline
	if id == 0 {
		var err error
		if id, err = c.findPipeline(ctx, pid, o); err != nil {
			return PipelineState{}, err
		}
	}
	base := fmt.Sprintf("projects/%s/pipelines/%d", gl.PathEscape(pid), id)
	p := &poller{c: c}
	var (
		last     PipelineState
		haveLast bool
		wait     = o.Interval
		errs     int
	)
	for {
		var pl pipelineJSON
		var jobs []jobJSON
		err := p.get(ctx, base, nil, &pl)
		if err == nil {
			err = p.get(ctx, base+"/jobs", &gl.ListJobsOptions{ListOptions: gl.ListOptions{PerPage: 100}}, &jobs)
		}
		if err != nil {
			if ctx.Err() != nil {
				return last, ctx.Err()
			}
			errs++
			if errs >= o.MaxErrors || !retryable(err) {
				return last, fmt.Errorf("watching pipeline %d: %w", id, err)
			}
			wait = nextWait(wait, o, p.retryAfter, false)
		} else {
			errs = 0
			st := p.state(id)
			if !haveLast || !equalState(st, last) {
				if o.Update != nil {
					o.Update(st)
				}
			}
			// Only a status change resets the wait: a running job's
			// duration grows on every answer.
			moved := !haveLast || !sameStatuses(st, last)
			last, haveLast = st, true
			if st.Done() {
				return st, nil
			}
			wait = nextWait(wait, o, p.pollInterval, moved)
		}
		if err := o.sleep(ctx, wait); err != nil {
			return last, err
		}
	}
}

func (o *WatchOptions) defaults() {
	if o.Interval <= 0 {
		o.Interval = 5 * time.Second
	}
	if o.MaxInterval <= 0 {
		o.MaxInterval = 60 * time.Second
	}
	o.MaxInterval = max(o.MaxInterval, o.Interval)
	if o.FindTimeout <= 0 {
		o.FindTimeout = 2 * time.Minute
	}
	if o.MaxErrors <= 0 {
		o.MaxErrors = 5
	}
	if o.sleep == nil {
		o.sleep = sleepCtx
	}
}

// nextWait is the wait before the next poll: back to the first interval after
// a change, else half as long again, never above the maximum; at least what
// the server asked for (Poll-Interval or Retry-After).
func nextWait(cur time.Duration, o WatchOptions, server time.Duration, changed bool) time.Duration {
	next := cur + cur/2
	if changed {
		next = o.Interval
	}
	next = min(next, o.MaxInterval)
	return max(next, server)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// findPipeline waits for the newest pipeline of o.SHA.
func (c *Client) findPipeline(ctx context.Context, pid string, o WatchOptions) (int64, error) {
	if o.SHA == "" {
		return 0, errors.New("watching a pipeline needs its id or the commit's SHA")
	}
	deadline := time.Now().Add(o.FindTimeout)
	p := &poller{c: c}
	wait := o.Interval
	path := fmt.Sprintf("projects/%s/pipelines", gl.PathEscape(pid))
	q := &gl.ListProjectPipelinesOptions{SHA: gl.Ptr(o.SHA), OrderBy: gl.Ptr("id"), Sort: gl.Ptr("desc"), ListOptions: gl.ListOptions{PerPage: 1}}
	errs := 0
	for {
		var list []pipelineJSON
		err := p.get(ctx, path, q, &list)
		switch {
		case err != nil && ctx.Err() != nil:
			return 0, ctx.Err()
		case err != nil:
			errs++
			if errs >= o.MaxErrors || !retryable(err) {
				return 0, fmt.Errorf("looking for the pipeline of %s: %w", short(o.SHA), err)
			}
		case len(list) > 0 && list[0].ID != 0:
			return list[0].ID, nil
		default:
			errs = 0
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%w for commit %s within %s: the project may have no CI configuration for this branch, "+
				"its rules may skip it, or the commit message asks to skip CI ([ci skip])", ErrNoPipeline, short(o.SHA), o.FindTimeout)
		}
		wait = nextWait(wait, o, max(p.retryAfter, p.pollInterval), false)
		if err := o.sleep(ctx, min(wait, max(time.Until(deadline), time.Millisecond))); err != nil {
			return 0, err
		}
	}
}

// poller makes the watch's requests and keeps what conditional requests need:
// each path's ETag and last body.
type poller struct {
	c     *Client
	etags map[string]string
	last  map[string][]byte
	// what the last answer asked for: Poll-Interval (GitLab's hint for
	// pollers) and Retry-After on a 429.
	pollInterval, retryAfter time.Duration
	pipe                     pipelineJSON
	jobs                     []jobJSON
	moreJobs                 bool
}

// get fetches path into v. A 304 reuses the body of the answer that carried
// the ETag.
func (p *poller) get(ctx context.Context, path string, q any, v any) error {
	if p.etags == nil {
		p.etags, p.last = map[string]string{}, map[string][]byte{}
	}
	key := path // each path is asked with one set of options
	opts := []gl.RequestOptionFunc{gl.WithContext(ctx),
		// The watcher paces itself: no quick retries inside one poll.
		gl.WithRequestRetry(func(context.Context, *http.Response, error) (bool, error) { return false, nil })}
	if tag := p.etags[key]; tag != "" {
		opts = append(opts, gl.WithHeader("If-None-Match", tag))
	}
	release, err := p.c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	req, err := p.c.api.NewRequest(http.MethodGet, path, q, opts)
	if err != nil {
		return err
	}
	var body bytes.Buffer
	resp, err := p.c.api.Do(req, &body)
	p.retryAfter, p.pollInterval = 0, 0
	if resp != nil {
		p.pollInterval = pollInterval(resp.Header)
		if resp.StatusCode == http.StatusTooManyRequests {
			if d, ok := retryAfter(resp.Header, timeNow()); ok {
				p.retryAfter = d
			}
		}
	}
	if err != nil {
		return p.c.explain(err, "pipeline watch ("+path+")", resp)
	}
	data := body.Bytes()
	if resp.StatusCode == http.StatusNotModified {
		if p.last[key] == nil {
			return fmt.Errorf("pipeline watch: GitLab answered %s with 304 Not Modified to a request without If-None-Match", path)
		}
		data = p.last[key]
	} else if tag := resp.Header.Get("ETag"); tag != "" {
		p.etags[key] = tag
	}
	p.last[key] = append([]byte(nil), data...)
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("pipeline watch: GitLab answered %s with something that is not the expected JSON: %w", path, err)
	}
	switch x := v.(type) {
	case *pipelineJSON:
		p.pipe = *x
	case *[]jobJSON:
		p.jobs = *x
		p.moreJobs = resp.Header.Get("X-Next-Page") != ""
	}
	return nil
}

// pollInterval reads GitLab's Poll-Interval header (milliseconds; -1 asks
// clients to stop polling, which the watcher takes as "as slowly as allowed").
func pollInterval(h http.Header) time.Duration {
	v := h.Get("Poll-Interval")
	if v == "" {
		return 0
	}
	ms, err := strconv.Atoi(v)
	if err != nil {
		return 0
	}
	if ms < 0 {
		return time.Hour
	}
	return time.Duration(ms) * time.Millisecond
}

func (p *poller) state(id int64) PipelineState {
	st := PipelineState{ID: id, Status: p.pipe.Status, Ref: p.pipe.Ref, SHA: p.pipe.SHA, WebURL: p.pipe.WebURL, MoreJobs: p.moreJobs}
	if p.pipe.ID != 0 {
		st.ID = p.pipe.ID
	}
	for _, j := range p.jobs {
		st.Jobs = append(st.Jobs, PipelineJob{ID: j.ID, Name: clean(j.Name), Stage: clean(j.Stage), Status: j.Status,
			Duration: time.Duration(j.Duration * float64(time.Second)), AllowFailure: j.AllowFailure, FailureReason: j.FailureReason})
	}
	slices.SortFunc(st.Jobs, func(a, b PipelineJob) int { return int(a.ID - b.ID) })
	return st
}

// sameStatuses: the same pipeline status and the same jobs in the same states.
func sameStatuses(a, b PipelineState) bool {
	if a.Status != b.Status || len(a.Jobs) != len(b.Jobs) {
		return false
	}
	for i := range a.Jobs {
		if a.Jobs[i].ID != b.Jobs[i].ID || a.Jobs[i].Status != b.Jobs[i].Status {
			return false
		}
	}
	return true
}

func equalState(a, b PipelineState) bool {
	return a.ID == b.ID && a.Status == b.Status && a.SHA == b.SHA && a.MoreJobs == b.MoreJobs && slices.Equal(a.Jobs, b.Jobs)
}

// retryable: a rate limit, a server error or a network failure may pass; a
// missing pipeline or a refused token will not.
func retryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Status == http.StatusTooManyRequests || e.Status >= 500 || e.Status == 0
	}
	return true
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// pipelineJSON and jobJSON are the fields the watcher reads; a field of an
// unexpected type fails the poll rather than showing a wrong status.
type pipelineJSON struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
	Ref    string `json:"ref"`
	SHA    string `json:"sha"`
	WebURL string `json:"web_url"`
}

type jobJSON struct {
	ID            int64   `json:"id"`
	Name          string  `json:"name"`
	Stage         string  `json:"stage"`
	Status        string  `json:"status"`
	Duration      float64 `json:"duration"`
	AllowFailure  bool    `json:"allow_failure"`
	FailureReason string  `json:"failure_reason"`
}
