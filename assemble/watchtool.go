package assemble

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"gitlab.com/wend/wend/context/refs"
	"gitlab.com/wend/wend/remote/gitlab"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/tools"
)

// gitlab_watch_pipeline: when a task asks to watch a pipeline ("push and
// watch the pipeline", "wait for !42's pipeline"), the model calls this tool;
// while it waits, the pipeline's jobs appear live as the plan's pipeline step
// (PipelineUpdated events in the session's log), and the tool returns the
// final status with the failed jobs' log excerpts.

const watchToolName = "gitlab_watch_pipeline"

func registerWatchTool(reg *tools.Registry, c *gitlab.Client, root string, log *session.Log, interval time.Duration) error {
	return reg.Register(tools.Spec{Name: watchToolName, Effect: session.EffectRead,
		Description: "Watch a GitLab pipeline until it finishes; the user sees its jobs live. ref is HEAD (default: the pipeline " +
			"of the checked-out commit, which must be pushed), a pipeline id, or !34 for a merge request's head pipeline. Returns " +
			"the final status and, when it failed, the failed jobs' log excerpts.",
		Schema: json.RawMessage(`{"type":"object","properties":{"ref":{"type":["string","integer"],"description":"HEAD, a pipeline id, or !34"}},"additionalProperties":false}`),
	}, func(ctx context.Context, args json.RawMessage) tools.Result {
		var a struct {
			Ref json.RawMessage `json:"ref"`
		}
		if err := json.Unmarshal(args, &a); err != nil {
			return tools.Result{IsError: true, Output: "arguments: " + err.Error(), Summary: watchToolName + ": bad arguments"}
		}
		ref := strings.Trim(strings.TrimSpace(string(a.Ref)), `"`)
		o, err := watchTarget(ctx, c, root, ref)
		if err != nil {
			return tools.Result{IsError: true, Output: err.Error(), Summary: watchToolName + ": " + firstLine(err.Error())}
		}
		emit := func(p session.Payload) { log.Append(p) }
		st, err := WatchPipeline(ctx, c, o, interval, emit)
		if err != nil {
			return tools.Result{IsError: true, Output: err.Error(), Summary: watchToolName + ": " + firstLine(err.Error())}
		}
		summary := fmt.Sprintf("pipeline %d %s", st.ID, st.Status)
		out := fmt.Sprintf("Pipeline %d finished: %s (%s).\n", st.ID, st.Status, st.WebURL)
		if st.Status == "failed" {
			if item, err := c.Resolve(ctx, refs.Ref{Kind: refs.Pipeline, ID: st.ID}, gitlab.Options{}); err == nil {
				out += "\n" + item.Markdown
			}
		}
		return tools.Result{Output: out, Summary: summary}
	})
}

// watchTarget turns the tool's ref into what to watch.
func watchTarget(ctx context.Context, c *gitlab.Client, root, ref string) (gitlab.WatchOptions, error) {
	switch {
	case ref == "" || strings.EqualFold(ref, "HEAD") || ref == "null":
		sha, err := HeadSHA(ctx, root)
		return gitlab.WatchOptions{SHA: sha}, err
	case strings.HasPrefix(ref, "!"):
		iid, err := strconv.ParseInt(ref[1:], 10, 64)
		if err != nil {
			return gitlab.WatchOptions{}, fmt.Errorf("ref %q: use !34 for a merge request", ref)
		}
		mr, _, err := c.API().MergeRequests.GetMergeRequest(c.Project(), iid, nil, gl.WithContext(ctx))
		if err != nil {
			return gitlab.WatchOptions{}, fmt.Errorf("reading !%d: %w", iid, err)
		}
		if mr.HeadPipeline == nil || mr.HeadPipeline.ID == 0 {
			return gitlab.WatchOptions{}, fmt.Errorf("!%d has no pipeline yet", iid)
		}
		return gitlab.WatchOptions{Pipeline: mr.HeadPipeline.ID}, nil
	}
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || id <= 0 {
		return gitlab.WatchOptions{}, fmt.Errorf("ref %q is not HEAD, a pipeline id or !34", ref)
	}
	return gitlab.WatchOptions{Pipeline: id}, nil
}
