package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/internal/termtext"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/agent"
	"gitlab.com/wend/wend/session/review"
	"gitlab.com/wend/wend/session/store"
)

// A session is a conversation of many tasks, and another wend can continue
// it: `wend run --continue [ID] TASK`, `wend run --continue [ID] --retry` and
// `wend resume [ID]` reopen the latest (or the given) session of this
// repository, with its log, its staged changes (the gitops journal), its
// conversation and its undelivered review feedback, and begin the next task.

// reopened is what a session brings from the store into this process.
type reopened struct {
	events []session.Event
	last   session.SessionStarted
	tasks  int
	nextID int
	// ended is false when the last task has no end in the log: its process
	// was killed or crashed while it ran. reopenLive records that end and
	// sets killed.
	ended, killed bool
	// endState is the last task's recorded end (empty while it has none).
	endState session.State
}

// foldSession reads what a reopened session needs from its events.
func foldSession(events []session.Event) reopened {
	r := reopened{events: events, ended: true}
	for _, e := range events {
		var plan *session.Plan
		switch p := e.Payload.(type) {
		case session.SessionStarted:
			r.last, r.ended, r.endState = p, false, ""
			r.tasks++
		case session.SessionFinished:
			r.ended, r.endState = true, p.State
			plan = &p.Plan
		case session.PlanProposed:
			plan = &p.Plan
		case session.PlanEdited:
			plan = &p.Plan
		}
		if plan != nil && plan.NextID > r.nextID {
			r.nextID = plan.NextID
		}
	}
	return r
}

// lastPlan is the newest plan in the events, for the end a killed task never
// recorded and for the retry that resumes it. A retry of an interrupted task
// keeps that task's plan (the engine announces it again, but a kill may come
// before it does).
func lastPlan(events []session.Event) session.Plan {
	var plan session.Plan
	var interrupted bool
	for _, e := range events {
		switch p := e.Payload.(type) {
		case session.SessionStarted:
			if !p.Retry || !interrupted {
				plan = session.Plan{}
			}
			interrupted = false
		case session.SessionFinished:
			plan, interrupted = p.Plan, p.State == session.StateInterrupted
		case session.PlanProposed:
			plan = p.Plan
		case session.PlanEdited:
			plan = p.Plan
		case session.StepStarted:
			if s, ok := plan.Step(p.StepID); ok {
				s.Status = session.StepRunning
			}
		case session.StepFinished:
			if s, ok := plan.Step(p.StepID); ok {
				s.Status = p.Status
			}
		}
	}
	return plan.Clone()
}

// pickContinued resolves the session to continue: args[0] when it names one of
// this repository's sessions (the rest is the task), else the newest.
func pickContinued(st *store.Store, args []string) (id string, rest []string, err error) {
	if len(args) > 0 {
		if fi, err := os.Stat(filepath.Join(st.Dir(), args[0], "events.jsonl")); err == nil && !fi.IsDir() {
			return args[0], args[1:], nil
		}
	}
	list, err := st.List()
	if err != nil {
		return "", nil, err
	}
	if len(list) == 0 {
		return "", nil, usageErr("no session to continue in this repository yet: start one with wend run \"your task\"")
	}
	return list[0].ID, args, nil
}

// reopenLive is openLive for an existing session: its log is reopened for
// appending (refused while another live wend has it) with its events restored,
// so sequence numbers go on and a front end replays the session from seq 0.
// A task whose process died is given the end it never recorded: interrupted.
func reopenLive(ctx context.Context, g *globals, ws *workspace, po providerOptions, id string) (*liveSession, error) {
	if g.worktree {
		return nil, usageErr("--worktree sessions cannot be continued yet; start a new one")
	}
	policy, err := session.ParseApprovalPolicy(ws.settings.Approval)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	st, err := sessionStore(ctx, ws.repo)
	if err != nil {
		return nil, err
	}
	po.client = g.httpClient(id)
	provider, model, err := newProvider(ws.settings, po)
	if err != nil {
		return nil, err
	}
	w, events, err := st.Reopen(id)
	if err != nil {
		return nil, &exitError{code: ExitUsage, err: err}
	}
	if s, ok := events[0].Payload.(session.SessionStarted); ok && s.Engine == "gitlab-duo" {
		w.Close()
		return nil, usageErr("session %s ran on GitLab Duo, which wend cannot continue; start a new one", id)
	}
	log := persistedLog(w)
	log.Restore(events)
	r := foldSession(events)
	if !r.ended {
		log.Append(session.SessionFinished{State: session.StateInterrupted, Plan: lastPlan(events),
			Error: "wend stopped (killed or crashed) while this task ran; a call in flight then was not run again"})
		r.ended, r.killed, r.endState = true, true, session.StateInterrupted
	}
	return &liveSession{id: id, log: log, writer: w, model: model, provider: provider, policy: policy,
		restored: log.Last(), reopened: &r}, nil
}

// reopenStaging opens the session's staged changes where it left them.
func reopenStaging(ctx context.Context, ws *workspace, id string) (*staging, error) {
	gs, err := gitops.Open(ctx, ws.repo.Root(), id)
	if errors.Is(err, gitops.ErrNoSession) {
		return nil, fmt.Errorf("session %s has no staged state to continue from (it never started working)", id)
	}
	if err != nil {
		return nil, fmt.Errorf("reopening the session's staged changes: %w", err)
	}
	return &staging{workspace: gs, review: review.New(gs), close: func() { gs.Close() }, repo: ws.repo}, nil
}

// continuation is what the engine needs to go on with the stored conversation.
func (ls *liveSession) continuation(st *store.Store, stage *staging, cfg *agent.Config) {
	r := ls.reopened
	cfg.Tasks, cfg.NextStepID, cfg.LastTask = r.tasks, r.nextID, r.last.Task
	if r.endState == session.StateInterrupted {
		cfg.ResumedPlan = lastPlan(r.events)
	}
	cfg.Recorded = map[string]agent.RecordedResult{}
	for _, e := range r.events {
		if f, ok := e.Payload.(session.ToolFinished); ok {
			cfg.Recorded[f.CallID] = agent.RecordedResult{Output: f.Output, IsError: f.IsError}
		}
	}
	if recs, err := st.LoadConversation(ls.id); err == nil {
		if h, err := agent.RestoreConversation(recs); err == nil {
			cfg.History = h
		} else {
			ls.log.Append(session.Notice{Level: "warn", Text: "the earlier conversation could not be read, so the model starts from the task alone: " + err.Error()})
		}
	}
	// This session's own feedback that never reached its model (a rejection
	// after it ended) goes first, acknowledged once a request carried it.
	if rv := stage.review; rv != nil {
		if fb := rv.Feedback(); fb.Text != "" {
			cfg.Carried = append(cfg.Carried, fb)
		}
	}
}

// persistedLog is a session log whose every event is appended to w.
func persistedLog(w *store.Writer) *session.Log {
	var warned bool
	return session.NewLog(func(e session.Event) {
		// A failed write (a full disk) is reported once; the session goes on, since
		// the working tree, not the log, holds the user's work. The log calls
		// this under its lock, so warned needs no other.
		if err := w.Append(e); err != nil && !warned {
			warned = true
			fmt.Fprintln(os.Stderr, "wend: the session log cannot be written:", termtext.Sanitize(err.Error()))
		}
	})
}

// continueHeadless is `wend run --continue [ID] (TASK | --retry)`.
func continueHeadless(ctx context.Context, g *globals, args []string, o runOptions) error {
	ws, _, id, rest, err := openStoredSession(ctx, g, args, "--continue")
	if err != nil {
		return err
	}
	var task session.Task
	if o.retry {
		if len(rest) > 0 || o.taskFile != "" {
			return usageErr("--retry runs the session's last task again; give no new task with it")
		}
	} else {
		text, err := readTask(rest, o.taskFile, g.stdin)
		if err != nil {
			return err
		}
		task.Text = text
	}
	ls, err := reopenLive(ctx, g, ws, providerOptions{replayFile: g.replayFile, recordFile: g.recordFile}, id)
	if err != nil {
		return err
	}
	defer ls.close()
	if o.retry {
		task = session.Task{Text: ls.reopened.last.Task, Retry: true}
	}
	if err := ls.build(ctx, g, ws, false); err != nil {
		return err
	}
	return driveTask(ctx, ls, task, &printer{w: g.stdout, json: o.json})
}

// openStoredSession opens the workspace and its session store and picks the
// session args name (the newest by default) for the verb that resumes or
// continues it; what is the verb as the user typed it, for the error that
// GitLab Duo sessions cannot be reopened. rest is args after the id.
func openStoredSession(ctx context.Context, g *globals, args []string, what string) (*workspace, *store.Store, string, []string, error) {
	ws, err := g.openWorkspace(ctx)
	if err != nil {
		return nil, nil, "", nil, err
	}
	if ws.settings.Provider == "gitlab-duo" {
		return nil, nil, "", nil, usageErr("%s works with wend's own engine, not GitLab Duo", what)
	}
	st, err := sessionStore(ctx, ws.repo)
	if err != nil {
		return nil, nil, "", nil, err
	}
	id, rest, err := pickContinued(st, args)
	if err != nil {
		return nil, nil, "", nil, err
	}
	return ws, st, id, rest, nil
}
