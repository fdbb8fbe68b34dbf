package assemble

import (
	"context"
	"fmt"
	"os"

	"gitlab.com/wend/wend/internal/termtext"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/agent"
	"gitlab.com/wend/wend/session/store"
)

// A session is a conversation of many tasks, and another wend can continue
// it: Reopen gives a stored session back its log, its staged changes (the
// gitops journal), its conversation and its undelivered review feedback, and
// Build then readies the engine for the next task.

// Reopened is what a session brings from the store into this process.
type Reopened struct {
	Events []session.Event
	// Last is the start of its last task.
	Last   session.SessionStarted
	Tasks  int
	NextID int
	// Ended is false when the last task has no end in the log: its process
	// was killed or crashed while it ran. Reopen records that end and sets
	// Killed.
	Ended, Killed bool
	// EndState is the last task's recorded end (empty while it has none).
	EndState session.State
}

// foldSession reads what a reopened session needs from its events.
func foldSession(events []session.Event) Reopened {
	r := Reopened{Events: events, Ended: true}
	for _, e := range events {
		var plan *session.Plan
		switch p := e.Payload.(type) {
		case session.SessionStarted:
			r.Last, r.Ended, r.EndState = p, false, ""
			r.Tasks++
		case session.SessionFinished:
			r.Ended, r.EndState = true, p.State
			plan = &p.Plan
		case session.PlanProposed:
			plan = &p.Plan
		case session.PlanEdited:
			plan = &p.Plan
		}
		if plan != nil && plan.NextID > r.NextID {
			r.NextID = plan.NextID
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
		default:
			plan.Follow(p)
		}
	}
	return plan.Clone()
}

// Reopen is Open for the existing session id: its log is reopened for
// appending (refused while another live wend has it) with its events
// restored, so sequence numbers go on and a front end replays the session
// from seq 0. A task whose process died is given the end it never recorded:
// interrupted.
func Reopen(ctx context.Context, o Options, id string) (*Session, error) {
	if o.Worktree {
		return nil, usageErr("--worktree sessions cannot be continued yet; start a new one")
	}
	policy, err := session.ParseApprovalPolicy(o.Settings.Approval)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	st, err := Store(ctx, o.Repo)
	if err != nil {
		return nil, err
	}
	po := o.Provider
	po.Client = HTTPClient(o.Wrap, id)
	provider, model, err := NewProvider(o.Settings, po)
	if err != nil {
		return nil, err
	}
	w, events, err := st.Reopen(id)
	if err != nil {
		return nil, &UsageError{err}
	}
	if s, ok := events[0].Payload.(session.SessionStarted); ok && s.Engine == "gitlab-duo" {
		w.Close()
		return nil, usageErr("session %s ran on GitLab Duo, which wend cannot continue; start a new one", id)
	}
	log := persistedLog(w)
	log.Restore(events)
	r := foldSession(events)
	if !r.Ended {
		log.Append(session.SessionFinished{State: session.StateInterrupted, Plan: lastPlan(events),
			Error: "wend stopped (killed or crashed) while this task ran; a call in flight then was not run again"})
		r.Ended, r.Killed, r.EndState = true, true, session.StateInterrupted
	}
	return &Session{ID: id, Log: log, writer: w, Model: model, provider: provider, Policy: policy,
		Restored: log.Last(), Reopened: &r, opts: o}, nil
}

// continuation is what the engine needs to go on with the stored conversation.
func (s *Session) continuation(st *store.Store, stage *Staging, cfg *agent.Config) {
	r := s.Reopened
	cfg.Tasks, cfg.NextStepID, cfg.LastTask = r.Tasks, r.NextID, r.Last.Task
	if r.EndState == session.StateInterrupted {
		cfg.ResumedPlan = lastPlan(r.Events)
	}
	cfg.Recorded = map[string]agent.RecordedResult{}
	for _, e := range r.Events {
		if f, ok := e.Payload.(session.ToolFinished); ok {
			cfg.Recorded[f.CallID] = agent.RecordedResult{Output: f.Output, IsError: f.IsError}
		}
	}
	if recs, err := st.LoadConversation(s.ID); err == nil {
		if h, err := agent.RestoreConversation(recs); err == nil {
			cfg.History = h
		} else {
			s.Log.Append(session.Notice{Level: "warn", Text: "the earlier conversation could not be read, so the model starts from the task alone: " + err.Error()})
		}
	}
	// This session's own feedback that never reached its model (a rejection
	// after it ended) goes first, acknowledged once a request carried it.
	if rv := stage.Review; rv != nil {
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
