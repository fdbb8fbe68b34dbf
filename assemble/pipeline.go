package assemble

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gitlab.com/wend/wend/internal/gitrun"
	"gitlab.com/wend/wend/remote/gitlab"
	"gitlab.com/wend/wend/session"
)

// WatchPipeline watches what o names (a pipeline, or the newest of a commit),
// emitting PipelineUpdated on each change and always a PipelineFinished; it
// returns the last state and the watch's error.
func WatchPipeline(ctx context.Context, c *gitlab.Client, o gitlab.WatchOptions, interval time.Duration, emit func(session.Payload)) (gitlab.PipelineState, error) {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	o.Interval, o.MaxInterval = interval, 12*interval
	o.Update = func(s gitlab.PipelineState) { emit(pipelineUpdated(s, 0)) }
	st, err := c.WatchPipeline(ctx, o)
	fin := session.PipelineFinished{PipelineID: st.ID, Status: st.Status, URL: st.WebURL}
	for _, j := range st.Failed() {
		fin.Failed = append(fin.Failed, pipelineJob(j))
	}
	if err != nil {
		fin.Error = err.Error()
	}
	emit(fin)
	return st, err
}

func pipelineUpdated(s gitlab.PipelineState, attempt int) session.PipelineUpdated {
	u := session.PipelineUpdated{PipelineID: s.ID, Status: s.Status, Ref: s.Ref, SHA: s.SHA, URL: s.WebURL, Attempt: attempt}
	for _, j := range s.Jobs {
		u.Jobs = append(u.Jobs, pipelineJob(j))
	}
	return u
}

func pipelineJob(j gitlab.PipelineJob) session.PipelineJob {
	return session.PipelineJob{ID: j.ID, Name: j.Name, Stage: j.Stage, Status: j.Status, Duration: j.Duration,
		AllowFailure: j.AllowFailure, FailureReason: j.FailureReason}
}

// HeadSHA is the commit HEAD names.
func HeadSHA(ctx context.Context, root string) (string, error) {
	out, err := gitrun.Run(ctx, gitrun.Cmd{Dir: root, Args: []string{"rev-parse", "--verify", "HEAD"}})
	if err != nil {
		return "", fmt.Errorf("reading HEAD: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}
