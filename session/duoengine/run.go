package duoengine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"gitlab.com/wend/wend/context/refs"
	"gitlab.com/wend/wend/remote/duo"
	"gitlab.com/wend/wend/remote/duo/contract"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/steer"
)

// outcome is how a run ends.
type outcome struct {
	state   session.State
	summary string
	err     error
}

// errWaiting ends a headless run that needs the user.
var errWaiting = errors.New("waiting for input")

// stopTimeout bounds how long a stopped stream is drained for the service's end.
const stopTimeout = 10 * time.Second

// maxEarlyEnds bounds reopening a stream the service ended while the workflow was
// still running (not at a turn end), so a confused service cannot loop us.
const maxEarlyEnds = 3

func (e *Engine) run(ctx context.Context, task session.Task) {
	defer close(e.done)
	out := e.loop(ctx, task)
	if ctx.Err() != nil && out.state != session.StateFinished && out.state != session.StateFailed {
		out = outcome{state: session.StateStopped, summary: "stopped by the user"}
		if id := e.WorkflowID(); id != "" && !e.stopSent && !duo.IsTerminal(e.tracker.Status) {
			// No stream is open (between turns): stop the workflow through Rails.
			sctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
			if _, err := e.cfg.Client.UpdateStatus(sctx, id, duo.StatusEventStop); err != nil {
				e.notice("warn", "could not mark the workflow stopped on GitLab: "+err.Error())
			}
			cancel()
		}
	}
	e.finish(out)
}

func (e *Engine) finish(out outcome) {
	e.closeText()
	e.ctl.Finish(out.state, out.summary, out.err, e.Plan())
}

// loop runs the workflow turn by turn: each turn is one stream, and the user's
// answer to whatever ended a turn opens the next one on the same workflow.
func (e *Engine) loop(ctx context.Context, task session.Task) outcome {
	wf, err := e.cfg.Client.CreateWorkflow(ctx, duo.CreateWorkflowOptions{
		ProjectID: e.cfg.ProjectID, Goal: task.Text, WorkflowDefinition: e.cfg.Flow,
	})
	if err != nil {
		return e.failed(ctx, fmt.Errorf("creating the GitLab Duo workflow: %w", err))
	}
	id := strconv.FormatInt(wf.ID, 10)
	e.mu.Lock()
	e.workflowID = id
	e.mu.Unlock()
	e.notice("info", fmt.Sprintf("GitLab Duo workflow %s (%s, over %s)", id, e.cfg.Flow, orDefault(e.cfg.TransportName, "websocket")))
	opts := duo.StartOptions{
		WorkflowID: id, ProjectID: e.cfg.ProjectID, WorkflowDefinition: e.cfg.Flow, Goal: task.Text,
		Capabilities: e.cfg.Capabilities, WorkflowMetadata: e.cfg.WorkflowMetadata,
		AdditionalContext: additionalContext(task),
	}
	early := 0
	for {
		if err := e.ctl.Gate(ctx); err != nil {
			return outcome{state: session.StateStopped}
		}
		e.deliverBoundary(ctx)
		s, err := e.open(ctx, e.cfg.Client.StartRequest(opts))
		if err != nil {
			return e.failed(ctx, err)
		}
		opts.AdditionalContext = nil // the service keeps what the first stream brought
		s, end := e.serve(ctx, s)
		_ = s.Close()
		e.closeText()
		if end != nil {
			return *end
		}
		status := e.tracker.Status
		if !duo.IsTurnEnd(status) {
			early++
			if early > maxEarlyEnds {
				return outcome{state: session.StateFailed, err: fmt.Errorf("GitLab Duo ended the stream %d times while the workflow was %s; giving up", early, orDefault(status, "starting"))}
			}
			e.notice("warn", "GitLab Duo ended the stream while the workflow was still "+orDefault(strings.ToLower(status), "starting")+"; reconnecting…")
			opts.Approval = nil
			continue
		}
		early = 0
		if out := e.endOfTurn(ctx, status, task.Text, &opts); out != nil {
			return *out
		}
	}
}

// open opens a stream, retrying with backoff while the service is unavailable.
func (e *Engine) open(ctx context.Context, start *contract.StartWorkflowRequest) (*duo.Stream, error) {
	s, err := e.cfg.Transport.Open(ctx, start)
	if err == nil || !duo.IsRetryable(err) {
		return s, err
	}
	e.notice("warn", "GitLab Duo is unavailable ("+err.Error()+"); reconnecting…")
	return duo.Reconnect(ctx, e.cfg.Transport, start, e.cfg.Backoff)
}

// failed turns a service error into an outcome; a cancelled context is a stop.
func (e *Engine) failed(ctx context.Context, err error) outcome {
	if ctx.Err() != nil {
		return outcome{state: session.StateStopped}
	}
	return outcome{state: session.StateFailed, err: err}
}

// serve answers the actions of one stream until the service ends it. It returns
// the stream it ended on (a reconnect replaces it) and an outcome when the run
// is over.
func (e *Engine) serve(ctx context.Context, s *duo.Stream) (*duo.Stream, *outcome) {
	for {
		a, err := s.Recv(ctx)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return s, e.stopStream(s)
		case errors.Is(err, io.EOF):
			return s, nil
		case duo.KindOf(err) == duo.KindMalformed:
			e.notice("warn", "GitLab Duo sent a message wend could not read; skipped it: "+err.Error())
			continue
		case duo.IsRetryable(err):
			start := s.StartRequest()
			_ = s.Close()
			e.closeText()
			e.notice("warn", "the connection to GitLab Duo was lost ("+err.Error()+"); reconnecting…")
			s2, rerr := duo.Reconnect(ctx, e.cfg.Transport, start, e.cfg.Backoff)
			if rerr != nil {
				out := e.failed(ctx, rerr)
				return s, &out
			}
			s = s2
			e.notice("info", "reconnected to GitLab Duo")
			continue
		default:
			out := e.failed(ctx, err)
			return s, &out
		}
		if nc := a.GetNewCheckpoint(); nc != nil {
			e.checkpoint(nc)
			continue
		}
		e.closeText()
		if err := e.ctl.Gate(ctx); err != nil {
			e.answerStopped(s, a)
			return s, e.stopStream(s)
		}
		e.deliverBoundary(ctx)
		e.execute(ctx, s, a)
		if ctx.Err() != nil {
			return s, e.stopStream(s)
		}
	}
}

// stopStream asks the service to stop, then drains the stream until it ends,
// answering any action still sent so the service is not left waiting.
func (e *Engine) stopStream(s *duo.Stream) *outcome {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	if err := s.Stop(ctx, "stopped by the user in wend"); err != nil {
		e.notice("warn", "could not send the stop to GitLab Duo: "+err.Error())
	} else {
		e.stopSent = true
	}
	for {
		a, err := s.Recv(ctx)
		if err != nil {
			break
		}
		if nc := a.GetNewCheckpoint(); nc != nil {
			e.checkpoint(nc)
			continue
		}
		e.answerStopped(s, a)
	}
	return &outcome{state: session.StateStopped, summary: "stopped by the user"}
}

func (e *Engine) answerStopped(s *duo.Stream, a *contract.Action) {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	_ = s.Respond(ctx, a.GetRequestID(), "", errors.New("not run: the user stopped the workflow"))
}

// endOfTurn handles a stream that ended on a turn-ending status: the run ends,
// or the user's answer is put into opts for the next stream.
func (e *Engine) endOfTurn(ctx context.Context, status, goal string, opts *duo.StartOptions) *outcome {
	opts.Approval = nil
	switch status {
	case duo.StatusFinished:
		e.ctl.SetStateUnlessPaused(session.StateFinished)
		return &outcome{state: session.StateFinished, summary: orDefault(e.summary, e.lastText)}
	case duo.StatusFailed:
		return &outcome{state: session.StateFailed, err: errors.New(orDefault(e.failure, "GitLab Duo reported the workflow as failed"))}
	case duo.StatusStopped:
		return &outcome{state: session.StateStopped, summary: "GitLab Duo stopped the workflow"}
	case duo.StatusInputRequired:
		question := orDefault(e.lastText, "GitLab Duo is waiting for your input.")
		answer, err := e.ctl.Input(ctx, question)
		if errors.Is(err, steer.ErrNoUser) {
			return &outcome{state: session.StateWaiting, summary: question, err: errWaiting}
		}
		if err != nil {
			return &outcome{state: session.StateStopped}
		}
		opts.Goal = answer
	case duo.StatusToolCallApprovalRequired:
		ap, err := e.toolApproval(ctx)
		if err != nil {
			return &outcome{state: session.StateStopped}
		}
		opts.Goal, opts.Approval = "", ap
	case duo.StatusPlanApprovalRequired:
		if err := e.planApproval(ctx); err != nil {
			out := e.failed(ctx, err)
			return &out
		}
		opts.Goal = goal
	case duo.StatusPaused:
		if !e.cfg.Interactive {
			return &outcome{state: session.StateWaiting, summary: "GitLab Duo paused the workflow", err: errWaiting}
		}
		_, _ = e.ctl.Pause("GitLab Duo paused the workflow") // the run is under way: never ended here
		if err := e.ctl.Gate(ctx); err != nil {
			return &outcome{state: session.StateStopped}
		}
		if _, err := e.cfg.Client.SendEvent(ctx, e.WorkflowID(), duo.EventResume, "", ""); err != nil {
			out := e.failed(ctx, err)
			return &out
		}
		opts.Goal = goal
	}
	e.ctl.SetStateUnlessPaused(session.StateRunning)
	return nil
}

// additionalContext turns the task's GitLab references (#12, !34, pipeline and
// job URLs, epics) and any context already fetched for it into startRequest
// additional_context, so the service can look them up with its own tools.
func additionalContext(task session.Task) []*contract.AdditionalContext {
	var out []*contract.AdditionalContext
	seen := map[string]bool{}
	for _, r := range refs.Find(task.Text) {
		if r.Kind == refs.File {
			continue
		}
		ref := r.String()
		if ref == "" || seen[ref] {
			continue
		}
		seen[ref] = true
		meta, _ := json.Marshal(map[string]any{"kind": string(r.Kind), "reference": ref, "project": r.Project, "iid": r.IID, "id": r.ID})
		out = append(out, &contract.AdditionalContext{
			Category: contextCategory(r.Kind), Id: proto.String(ref),
			Content:  proto.String(fmt.Sprintf("The task refers to GitLab %s %s.", strings.ReplaceAll(string(r.Kind), "_", " "), ref)),
			Metadata: proto.String(string(meta)),
		})
	}
	for _, item := range task.Context {
		if seen[item.Ref] {
			continue
		}
		seen[item.Ref] = true
		cat := "snippet"
		if strings.HasPrefix(item.Ref, "@") {
			cat = "file"
		}
		meta, _ := json.Marshal(map[string]string{"title": item.Title})
		out = append(out, &contract.AdditionalContext{Category: cat, Id: proto.String(item.Ref),
			Content: proto.String(item.Body), Metadata: proto.String(string(meta))})
	}
	return out
}

// contextCategory names DWS's additional_context category for a reference. The
// categories for pipelines, jobs and epics are not confirmed against DWS; they
// travel as "snippet" with the kind in the metadata.
func contextCategory(k refs.Kind) string {
	switch k {
	case refs.Issue:
		return "issue"
	case refs.MergeRequest:
		return "merge_request"
	}
	return "snippet"
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
