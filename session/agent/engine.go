package agent

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/session"
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
	MaxTokens    int
	// Attach, when set, runs at the start of the run to fetch what the task's
	// references point at (GitLab issues, merge requests, files); notify reports
	// progress and failures to the user as notices.
	Attach func(ctx context.Context, task session.Task, notify func(level, text string)) session.Task
}

// Engine runs one session. All exported methods are safe for concurrent use.
type Engine struct {
	cfg Config
	log *session.Log

	mu       sync.Mutex
	plan     session.Plan
	state    session.State
	started  bool
	paused   bool
	resumeCh chan struct{} // closed on resume
	// boundary holds what the model must hear at the next boundary, in order.
	boundary []boundaryNote
	adjustN  int
	reqN     int
	pending  map[string]chan session.Decision
	// grants remembered for this session: by step ("step:<id>") or command prefix.
	grants map[string]bool
	cancel context.CancelFunc
	done   chan struct{}
	usage  session.UsageReported
}

// boundaryNote is a message queued for the model; adjustments carry an id so they
// can be withdrawn until delivered.
type boundaryNote struct {
	adjustID string
	text     string
}

// New returns an engine that has not started.
func New(cfg Config) *Engine {
	if cfg.MaxTurns <= 0 {
		cfg.MaxTurns = 200
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = 8192
	}
	if cfg.Policy == "" {
		cfg.Policy = session.PolicyAsk
	}
	return &Engine{
		cfg:     cfg,
		log:     cfg.Log,
		state:   session.StateStarting,
		pending: map[string]chan session.Decision{},
		grants:  map[string]bool{},
		done:    make(chan struct{}),
	}
}

var _ session.Backend = (*Engine)(nil)

// Start begins the run in the background. The run ends by itself (finish, failure,
// max turns) or on Stop; Done reports when.
func (e *Engine) Start(ctx context.Context, task session.Task) error {
	e.mu.Lock()
	if e.started {
		e.mu.Unlock()
		return errors.New("the session has already started")
	}
	e.started = true
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.cancel = cancel
	e.state = session.StateRunning
	e.mu.Unlock()
	e.log.Append(session.SessionStarted{
		SessionID: e.cfg.SessionID, Task: task.Text, Repo: e.cfg.Repo, Branch: e.cfg.Branch,
		Provider: e.cfg.Provider, Model: e.cfg.ModelName, Approval: string(e.cfg.Policy), Engine: "wend",
	})
	go e.run(runCtx, task)
	return nil
}

// Done is closed when the run has ended and SessionFinished is in the log.
func (e *Engine) Done() <-chan struct{} { return e.done }

// State is the session state now.
func (e *Engine) State() session.State {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state
}

// Plan returns a copy of the current plan.
func (e *Engine) Plan() session.Plan {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.plan.Clone()
}

// Pause stops the run at the next boundary: no model call or tool call starts until
// Resume. A call already under way completes.
func (e *Engine) Pause(ctx context.Context) error {
	e.mu.Lock()
	if e.state.Ended() {
		e.mu.Unlock()
		return errors.New("the session has ended")
	}
	if e.paused {
		e.mu.Unlock()
		return nil
	}
	e.paused = true
	e.resumeCh = make(chan struct{})
	e.state = session.StatePaused
	e.mu.Unlock()
	e.log.Append(session.Paused{Reason: "user"})
	return nil
}

// Resume continues exactly where the run paused.
func (e *Engine) Resume(ctx context.Context) error {
	e.mu.Lock()
	if !e.paused {
		e.mu.Unlock()
		return nil
	}
	e.paused = false
	close(e.resumeCh)
	e.state = session.StateRunning
	e.mu.Unlock()
	e.log.Append(session.Resumed{})
	return nil
}

// Stop ends the run: the current model call or command is cancelled and the plan's
// state is recorded in SessionFinished.
func (e *Engine) Stop(ctx context.Context) error {
	e.mu.Lock()
	cancel := e.cancel
	started := e.started
	e.mu.Unlock()
	if !started {
		return errors.New("the session has not started")
	}
	cancel()
	return nil
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
	e.boundary = append(e.boundary, boundaryNote{text: summary})
	e.mu.Unlock()
	e.log.Append(session.PlanEdited{Plan: plan, Edit: edit, Summary: summary})
	return nil
}

// Adjust queues the user's sentence for the next boundary.
func (e *Engine) Adjust(ctx context.Context, text string) (string, error) {
	if text == "" {
		return "", errors.New("nothing to send")
	}
	e.mu.Lock()
	if e.state.Ended() {
		e.mu.Unlock()
		return "", errors.New("the session has ended")
	}
	e.adjustN++
	id := "a" + strconv.Itoa(e.adjustN)
	e.boundary = append(e.boundary, boundaryNote{adjustID: id, text: text})
	e.mu.Unlock()
	e.log.Append(session.AdjustQueued{ID: id, Text: text})
	return id, nil
}

// Withdraw removes a queued adjustment that has not reached the model yet.
func (e *Engine) Withdraw(ctx context.Context, id string) error {
	e.mu.Lock()
	for i, n := range e.boundary {
		if n.adjustID == id {
			e.boundary = append(e.boundary[:i], e.boundary[i+1:]...)
			e.mu.Unlock()
			e.log.Append(session.AdjustWithdrawn{ID: id})
			return nil
		}
	}
	e.mu.Unlock()
	return fmt.Errorf("adjustment %s was already sent to the model or does not exist", id)
}

// Resolve answers an approval, a question, or applies a review decision. Answering a
// request that is no longer waiting returns session.ErrNotPending and changes nothing.
func (e *Engine) Resolve(ctx context.Context, d session.Decision) error {
	if d.Kind == session.DecideReview {
		return e.review(ctx, d)
	}
	e.mu.Lock()
	ch, ok := e.pending[d.RequestID]
	if ok {
		delete(e.pending, d.RequestID)
	}
	e.mu.Unlock()
	if !ok {
		return session.ErrNotPending
	}
	ch <- d // buffered: never blocks
	return nil
}

func (e *Engine) review(ctx context.Context, d session.Decision) error {
	if e.cfg.Review == nil {
		return errors.New("this session does not stage changes")
	}
	feedback, err := e.cfg.Review.Decide(ctx, d)
	if err != nil {
		return err
	}
	e.log.Append(session.ReviewDecided{Action: d.Action, Targets: d.Targets, Reason: d.Reason})
	if feedback != "" {
		e.mu.Lock()
		e.boundary = append(e.boundary, boundaryNote{text: feedback})
		e.mu.Unlock()
	}
	return nil
}

// Events streams the session's log.
func (e *Engine) Events(ctx context.Context, after int64) <-chan session.Event {
	return e.log.Subscribe(ctx, after)
}

// ask registers a request and blocks until the user answers or ctx ends.
func (e *Engine) ask(ctx context.Context, announce session.Payload, id string) (session.Decision, error) {
	ch := make(chan session.Decision, 1)
	e.mu.Lock()
	e.pending[id] = ch
	prev := e.state
	e.state = session.StateWaiting
	e.mu.Unlock()
	e.log.Append(announce)
	defer func() {
		e.mu.Lock()
		delete(e.pending, id)
		if e.state == session.StateWaiting {
			e.state = prev
		}
		e.mu.Unlock()
	}()
	select {
	case d := <-ch:
		return d, nil
	case <-ctx.Done():
		return session.Decision{}, ctx.Err()
	}
}

func (e *Engine) nextRequestID(prefix string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.reqN++
	return prefix + strconv.Itoa(e.reqN)
}

// gate blocks while paused; it is called at every boundary.
func (e *Engine) gate(ctx context.Context) error {
	for {
		e.mu.Lock()
		paused, ch := e.paused, e.resumeCh
		e.mu.Unlock()
		if !paused {
			return ctx.Err()
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// takeBoundary drains what the model must hear now and marks adjustments delivered.
func (e *Engine) takeBoundary() []llm.Block {
	e.mu.Lock()
	notes := e.boundary
	e.boundary = nil
	e.mu.Unlock()
	var blocks []llm.Block
	for _, n := range notes {
		text := "[wend] " + n.text
		if n.adjustID != "" {
			text = "[The user, while you work] " + n.text
			e.log.Append(session.AdjustDelivered{ID: n.adjustID})
		}
		blocks = append(blocks, llm.Text(text))
	}
	return blocks
}
