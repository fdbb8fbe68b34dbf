package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/context/refs"
	"gitlab.com/wend/wend/remote/gitlab"
	"gitlab.com/wend/wend/session"
)

// The pipeline loop: after a push, the pipeline of the pushed commit is
// watched (remote/gitlab's watcher) and reported as session events
// (PipelineUpdated, PipelineFinished) that the printer, the JSON stream and the
// UI show as a plan step. `wend run --watch-pipeline` hands a failed pipeline
// back to the agent, with the failed jobs' log excerpts as context, at most
// pipeline_fix_attempts times, and only when the approval policy lets it
// commit and push unattended (full-auto).

// watchCommit watches the newest pipeline of sha and reports each change
// through emit; the last state and the watch's error are returned, and a
// PipelineFinished is always emitted.
func watchCommit(ctx context.Context, c *gitlab.Client, interval time.Duration, sha string, attempt int, emit func(session.Payload)) (gitlab.PipelineState, error) {
	return assemble.WatchPipeline(ctx, c, gitlab.WatchOptions{SHA: sha}, interval, func(p session.Payload) {
		switch v := p.(type) {
		case session.PipelineUpdated:
			v.Attempt = attempt
			p = v
		case session.PipelineFinished:
			v.Attempt = attempt
			p = v
		}
		emit(p)
	})
}

// pipelineExit maps a final pipeline to wend's exit: nil on success, else an
// error whose message says what failed and where to look.
func pipelineExit(st gitlab.PipelineState, err error) error {
	if err != nil {
		return &exitError{code: ExitFailed, err: fmt.Errorf("the pipeline could not be watched: %w", err)}
	}
	switch st.Status {
	case "success":
		return nil
	case "manual", "blocked":
		return &exitError{code: ExitWaiting, err: fmt.Errorf("pipeline #%d waits for a manual job: %s", st.ID, st.WebURL)}
	}
	var names []string
	for _, j := range st.Failed() {
		names = append(names, fmt.Sprintf("%s (%s)", j.Name, j.Stage))
	}
	what := ""
	if len(names) > 0 {
		what = ": failed jobs " + strings.Join(names, ", ")
	}
	return &exitError{code: ExitFailed, err: fmt.Errorf("pipeline #%d %s%s; %s", st.ID, st.Status, what, st.WebURL)}
}

// pipelineTask is the follow-up task that hands a failed pipeline back to the
// agent, with the pipeline (its failed jobs' log excerpts) attached.
func pipelineTask(ctx context.Context, c *gitlab.Client, st gitlab.PipelineState, attempt, attempts int) session.Task {
	var names []string
	for _, j := range st.Failed() {
		names = append(names, fmt.Sprintf("%s (stage %s, job %d)", j.Name, j.Stage, j.ID))
	}
	// No "#940" in the text: it would read as an issue reference.
	text := fmt.Sprintf("The CI pipeline %d of commit %s %s (fix attempt %d of %d). Failed jobs: %s.\n"+
		"Their log excerpts are attached. Reproduce the failure locally where you can (ci_job_script gives a job's "+
		"script from .gitlab-ci.yml; run it with run_command), fix the cause, check the fix, and finish. "+
		"wend commits and pushes your changes and watches the next pipeline.",
		st.ID, shortSHA(st.SHA), st.Status, attempt, attempts, strings.Join(names, ", "))
	task := session.Task{Text: text}
	item, err := c.Resolve(ctx, refs.Ref{Kind: refs.Pipeline, ID: st.ID}, gitlab.Options{})
	if err == nil {
		task.Context = append(task.Context, session.ContextItem{Ref: item.Ref, Title: item.Title, Body: item.Markdown})
	} else {
		task.Text += "\n(The pipeline's logs could not be fetched: " + err.Error() + "; use gitlab_get_pipeline.)"
	}
	return task
}

func shortSHA(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}

// runPipelineLoop is `wend run --watch-pipeline` after the task finished:
// commit and push what the run changed (full-auto only), watch the pipeline,
// and on failure continue the same session with the failed jobs, at most
// attempts times. The exit follows the last pipeline.
func runPipelineLoop(ctx context.Context, g *globals, ws *workspace, ls *assemble.Session, p *printer, attempts int) error {
	c, err := g.gitlabClient(ctx, ws, ls.ID)
	if err != nil {
		return &exitError{code: ExitFailed, err: fmt.Errorf("--watch-pipeline needs GitLab: %w", err)}
	}
	emit := func(pl session.Payload) { p.print(ls.Log.Append(pl)) }
	root := ws.repo.Root()
	for attempt := 0; ; attempt++ {
		if err := pushRunChanges(ctx, g, ws, ls, attempt); err != nil {
			return err
		}
		sha, err := assemble.HeadSHA(ctx, root)
		if err != nil {
			return err
		}
		st, werr := watchCommit(ctx, c, ws.settings.PipelinePollInterval, sha, attempt, emit)
		if werr != nil || st.Status == "success" || st.Status != "failed" {
			return pipelineExit(st, werr)
		}
		if attempt >= attempts {
			err := pipelineExit(st, nil)
			if attempts > 0 {
				err = &exitError{code: ExitFailed, err: fmt.Errorf("%v (after %d fix attempts; pipeline_fix_attempts bounds them)", err, attempts)}
			}
			return err
		}
		if ls.Policy != session.PolicyFullAuto {
			return &exitError{code: ExitFailed, err: fmt.Errorf("%v\nwend fixes a failed pipeline unattended only with --approval full-auto "+
				"(it commits and pushes the fix); or continue yourself: wend run --continue %s \"fix the failing pipeline\"", pipelineExit(st, nil), ls.ID)}
		}
		ls.Restored = ls.Log.Last() // print only the follow-up's events
		if err := driveTask(ctx, ls, pipelineTask(ctx, c, st, attempt+1, attempts), p); err != nil {
			return err
		}
	}
}

// pushRunChanges accepts the run's proposed changes, commits them with a
// drafted message and pushes the branch, when the policy lets wend do that
// unattended (full-auto); with nothing proposed it pushes nothing. Any other
// policy leaves the changes for review and watches what is already pushed.
func pushRunChanges(ctx context.Context, g *globals, ws *workspace, ls *assemble.Session, attempt int) error {
	list, err := ls.Review.Changes(ctx)
	if err != nil {
		return err
	}
	undecided := 0
	for _, fc := range list {
		for _, h := range fc.Hunks {
			if h.State == session.HunkProposed || h.State == session.HunkModified {
				undecided++
				break
			}
		}
	}
	if undecided == 0 {
		if attempt > 0 {
			return &exitError{code: ExitFailed, err: errors.New("the fix attempt changed nothing, so no new pipeline would run; stopping")}
		}
		return nil
	}
	if ls.Policy != session.PolicyFullAuto {
		return &exitError{code: ExitFailed, err: fmt.Errorf("the run proposed changes to %d file(s); review them (wend changes, wend accept), "+
			"then: wend commit --push --watch", undecided)}
	}
	if _, err := ls.Review.Decide(ctx, session.Decision{Kind: session.DecideReview, Action: session.ReviewAccept, Targets: []string{"all"}}); err != nil {
		return fmt.Errorf("accepting the run's changes: %w", err)
	}
	// What commit prints becomes a notice, so --json stays one event a line.
	var out strings.Builder
	co := commitOptions{session: ls.ID, noEdit: true, draft: false, push: true}
	g.fillCommitOptions(&co)
	co.out = &out
	err = runCommit(ctx, &co)
	if msg := strings.TrimSpace(out.String()); msg != "" {
		ls.Log.Append(session.Notice{Level: "info", Text: strings.ReplaceAll(msg, "\n", "; ")})
	}
	return err
}

// watchPushed is `wend commit --push --watch`: the pushed commit's pipeline,
// printed job by job, and the exit code from its final status.
func watchPushed(ctx context.Context, g *globals, ws *workspace, sha string) error {
	c, err := g.gitlabClient(ctx, ws, "commit")
	if err != nil {
		return &exitError{code: ExitFailed, err: fmt.Errorf("the commit is pushed, but watching its pipeline needs GitLab: %w", err)}
	}
	p := &printer{w: g.stdout}
	var seq int64
	emit := func(pl session.Payload) {
		seq++
		p.print(session.Event{Seq: seq, Time: time.Now(), Payload: pl})
	}
	st, err := watchCommit(ctx, c, ws.settings.PipelinePollInterval, sha, 0, emit)
	return pipelineExit(st, err)
}
