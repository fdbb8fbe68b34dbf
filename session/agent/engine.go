package agent

import (
	"context"
	"errors"
	"strings"
	"sync"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/steer"
)

// Config wires an engine. Model, Tools and Log are required.
type Config struct {
	SessionID string
	Model     Model
	ModelName string
	Provider  string
	Tools     Toolbox
	Review    Reviewer
	Log       *session.Log
	Policy    session.ApprovalPolicy
	// Interactive is false for headless runs: approvals the policy would ask for are
	// denied with an explanation, and ask_user ends the run waiting for input.
	Interactive bool
	// PlanApproval makes the first plan wait for the user's go.
	PlanApproval bool
	// Repo facts, branch and the repository's own instructions, rendered for the model.
	Repo, Branch string
	Facts        string
	Instructions string
	MaxTurns     int
	// MaxTokens is the output budget of each model request; 0 leaves it to
	// the provider (the max_tokens setting, else the model family's default).
	MaxTokens int
	// Attach, when set, runs at the start of the run to fetch what the task's
	// references point at (GitLab issues, merge requests, files); notify reports
	// progress and failures to the user as notices.
	Attach func(ctx context.Context, task session.Task, notify func(level, text string)) session.Task
	// Carried is review feedback earlier sessions left undelivered. It goes
	// into the first model request, and each Delivered (which acknowledges it
	// in the earlier session's journal) runs once that request has succeeded.
	Carried []steer.Feedback
	// History is the conversation of a session reopened from the store (see
	// RestoreConversation): the first task started continues it as a
	// follow-up, and its tool calls left without a result are answered as
	// interrupted, never run again.
	History []llm.Message
	// Conversation, when set, persists the conversation as it grows, so a
	// later process can continue it (History).
	Conversation ConversationLog
	// Tasks is how many tasks the reopened session's log already holds, and
	// NextStepID its plan's step counter, so step ids are never reused.
	Tasks      int
	NextStepID int
	// LastTask is the reopened session's last task, for a retry.
	LastTask string
	// ResumedPlan is the plan of the reopened session's last task when its
	// wend was killed: a retry of it (this engine's first task) goes on with
	// that plan, whose steps the conversation already names, instead of an
	// empty one.
	ResumedPlan session.Plan
	// ContextWindow is the model's context window in tokens: near it, older
	// turns are summarised (compact.go). 0 never summarises.
	ContextWindow int
	// Recorded holds, by call id, the results the session's log recorded
	// (ToolFinished): a call of History that completed before wend died but
	// whose result no request carried is answered with it, not as
	// interrupted.
	Recorded map[string]RecordedResult
}

// RecordedResult is a tool result as the session's log kept it (its output
// clipped).
type RecordedResult struct {
	Output  string
	IsError bool
}

// Engine runs one session. All exported methods are safe for concurrent use.
//
// mu guards the plan and the usage totals. The session state, start/stop,
// pause, boundary queue, pending requests and grants live in ctl, whose lock is
// a leaf (see session/steer): ctl's non-blocking methods may be called with mu
// held, never Gate, Ask or Resolve.
type Engine struct {
	// Skeleton is what both engines do alike (session/steer): steering
	// relayed to ctl, and the review port.
	steer.Skeleton

	cfg Config
	log *session.Log
	ctl *steer.Controls

	mu    sync.Mutex
	plan  session.Plan
	done  chan struct{} // the current task's; replaced when the next one starts
	usage session.UsageReported
	// lastTask is the text of the newest task, which a retry repeats.
	lastTask string
	// conv is the conversation of every task so far. Only the running task's
	// goroutine touches it; the next task begins (BeginTask) only after the
	// previous one recorded its end, which orders the two.
	conv *conversation
}

// New returns an engine that has not started.
func New(cfg Config) *Engine {
	if cfg.MaxTurns <= 0 {
		cfg.MaxTurns = 200
	}
	if cfg.Policy == "" {
		cfg.Policy = session.PolicyAsk
	}
	e := &Engine{cfg: cfg, log: cfg.Log, done: make(chan struct{}), lastTask: cfg.LastTask}
	e.plan.NextID = cfg.NextStepID
	e.ctl = steer.New(steer.Config{Log: cfg.Log, Policy: cfg.Policy, Interactive: cfg.Interactive,
		Review: cfg.Review, Listener: "the model"})
	e.Skeleton = steer.NewSkeleton(e.ctl)
	e.ctl.Restored(cfg.Tasks)
	return e
}

var (
	_ session.Backend = (*Engine)(nil)
	_ session.Review  = (*Engine)(nil)
)

// Start begins a task in the background: the session's first, or, once the
// previous task has finished, failed or been stopped, a follow-up that
// continues the same conversation (see tasks.go). The task ends by itself
// (finish, failure, max turns) or on Stop; Done reports when.
func (e *Engine) Start(ctx context.Context, task session.Task) error {
	e.mu.Lock() // BeginTask does not block: see the locking note on Engine
	if task.Retry && strings.TrimSpace(task.Text) == "" {
		// A retry without text (`/retry`) repeats the newest task.
		if task.Text = e.lastTask; task.Text == "" {
			e.mu.Unlock()
			return errors.New("nothing to retry: no task has run in this session yet")
		}
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	index, err := e.ctl.BeginTask(cancel, session.SessionStarted{
		SessionID: e.cfg.SessionID, Task: task.Text, Repo: e.cfg.Repo, Branch: e.cfg.Branch,
		Provider: e.cfg.Provider, Model: e.cfg.ModelName, Approval: string(e.cfg.Policy), Engine: "wend",
		Retry: task.Retry,
	})
	if err != nil {
		e.mu.Unlock()
		cancel()
		return err
	}
	e.done = done
	e.lastTask = task.Text
	var resumed *session.Plan
	switch {
	case index == e.cfg.Tasks && task.Retry && len(e.cfg.ResumedPlan.Steps) > 0:
		e.plan = e.cfg.ResumedPlan.Clone()
		e.plan.NextID = max(e.plan.NextID, e.cfg.NextStepID)
		p := e.plan.Clone()
		resumed = &p
	case index > 0:
		// The plan starts anew for the new task; step ids go on counting.
		e.plan = session.Plan{NextID: e.plan.NextID}
	}
	e.mu.Unlock()
	if resumed != nil {
		e.log.Append(session.PlanProposed{Plan: *resumed})
	}
	if index == e.cfg.Tasks { // this engine's first task
		for _, fb := range e.cfg.Carried {
			e.ctl.QueueFeedback(fb)
		}
	}
	go e.run(runCtx, task, done)
	return nil
}

// Done is closed when the current task has ended and its SessionFinished is in
// the log.
func (e *Engine) Done() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.done
}

// Plan returns a copy of the current plan.
func (e *Engine) Plan() session.Plan {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.plan.Clone()
}

// EditPlan changes a pending step; the model hears about it at the next boundary.
func (e *Engine) EditPlan(ctx context.Context, edit session.PlanEdit) error {
	e.mu.Lock()
	summary, err := e.plan.Apply(edit)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	plan := e.plan.Clone()
	e.ctl.Queue(summary) // with mu held, so the run sees the edit and its note together
	e.mu.Unlock()
	e.log.Append(session.PlanEdited{Plan: plan, Edit: edit, Summary: summary})
	return nil
}

// takeBoundary drains what the model must hear now and marks adjustments
// delivered (they are in the conversation from here on). The engine's own
// notes come back as sent: the caller reports them Delivered once the model
// request carrying them has succeeded, so review feedback is acknowledged only
// when the model really has it.
func (e *Engine) takeBoundary() (blocks []llm.Block, sent []steer.Note) {
	for _, n := range e.ctl.Take() {
		text := "[wend] " + n.Text
		if n.Adjustment() {
			text = "[The user, while you work] " + n.Text
			e.ctl.Delivered(n)
		} else {
			sent = append(sent, n)
		}
		blocks = append(blocks, llm.Text(text))
	}
	return blocks, sent
}
