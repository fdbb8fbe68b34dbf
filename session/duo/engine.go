// Package duo is wend's second engine: GitLab's Duo Workflow Service (DWS) plans
// and decides, and wend is its executor. Every action DWS asks for runs through
// the same tools port as wend's own agent (session/tools), under the same approval
// policy and dialog, so confinement, output caps, timeouts and staging are
// identical; every checkpoint DWS sends becomes the same events (plan, steps,
// streamed text, usage). The Engine implements session.Backend, so a front end
// cannot tell it from session/agent.
//
// The wire (REST, WebSocket, gRPC, checkpoint parsing) is remote/duo; this package
// only maps between it and the session domain.
package duo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"gitlab.com/wend/wend/remote/duo"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/tools"
)

// Toolbox is the tools port; *tools.Registry satisfies it. MarkRead lets the
// engine honour DWS edits, which DWS issues without wend's read-before-write
// bookkeeping (DWS read the file through its own earlier action, or not at all).
type Toolbox interface {
	Effect(call tools.Call) session.Effect
	Describe(call tools.Call) session.ApprovalRequest
	Execute(ctx context.Context, call tools.Call) tools.Result
	MarkRead(path string, content []byte) error
}

// Reviewer is the staging port, the same shape as session/agent's: it describes
// proposals for changed paths and applies review decisions.
type Reviewer interface {
	Staged(ctx context.Context, paths []string) ([]session.ChangeStaged, error)
	Decide(ctx context.Context, d session.Decision) (feedback string, err error)
}

// Config wires an Engine. Client, Transport, Tools, Log and Root are required.
type Config struct {
	SessionID string
	// Client talks to the instance's workflows API (create, events, status).
	Client *duo.Client
	// Transport opens the ExecuteWorkflow streams: Client.WebSocket(...) or a
	// *duo.GRPCTransport. Reconnects use it too.
	Transport duo.Transport
	// TransportName is shown to the user ("websocket" or "grpc").
	TransportName string
	ProjectID     string
	// Flow is a legacy workflow definition (software_development, chat, ...) or
	// a flow-registry name/schema such as developer/v1.
	Flow             string
	WorkflowMetadata string
	// Capabilities declared in startRequest; nil means duo.DefaultCapabilities.
	Capabilities []string
	Tools        Toolbox
	Review       Reviewer
	Log          *session.Log
	Policy       session.ApprovalPolicy
	// Interactive is false for headless runs: approvals the policy would ask for
	// are denied with advice, and a question from the service ends the run
	// waiting for input.
	Interactive bool
	// Root is the repository root; mkdir is confined to it.
	Root         string
	Repo, Branch string
	// HTTP answers runHTTPRequest: the instance (WebSocket path, user's token) or
	// direct_access's gitlab_rails base URL and token (gRPC path).
	HTTPBaseURL, HTTPToken string
	HTTPClient             *http.Client
	// Backoff bounds reconnects after a dropped stream.
	Backoff duo.Backoff
}

// Engine runs one workflow. All exported methods are safe for concurrent use.
type Engine struct {
	cfg Config
	log *session.Log

	mu         sync.Mutex
	plan       session.Plan
	stepKeys   map[string]string // DWS step key → wend step id
	state      session.State
	started    bool
	paused     bool
	resumeCh   chan struct{}
	boundary   []boundaryNote
	adjustN    int
	reqN       int
	pending    map[string]chan session.Decision
	grants     map[string]bool
	cancel     context.CancelFunc
	done       chan struct{}
	workflowID string

	// Fields below are touched only by the run goroutine.
	tracker  duo.Tracker
	text     textBlock
	summary  string
	failure  string
	lastText string
	stepNow  string
	// lastScope is the scope of the last grant the user gave in the dialog.
	lastScope session.ApprovalScope
	// stopSent records that stopWorkflow went out on a stream.
	stopSent bool
}

// boundaryNote is a sentence for the service, sent as a workflow message event at
// the next boundary; adjustments carry an id so they can be withdrawn until then.
type boundaryNote struct {
	adjustID string
	text     string
}

// New returns an engine that has not started.
func New(cfg Config) *Engine {
	if cfg.Policy == "" {
		cfg.Policy = session.PolicyAsk
	}
	if cfg.Flow == "" {
		cfg.Flow = duo.DefinitionSoftwareDevelopment
	}
	if cfg.Capabilities == nil {
		cfg.Capabilities = duo.DefaultCapabilities
	}
	e := &Engine{
		cfg: cfg, log: cfg.Log, state: session.StateStarting,
		stepKeys: map[string]string{}, pending: map[string]chan session.Decision{},
		grants: map[string]bool{}, done: make(chan struct{}),
	}
	for _, c := range cfg.Capabilities {
		if c == duo.CapIncrementalStreaming {
			e.tracker.Incremental = true
		}
	}
	return e
}

var _ session.Backend = (*Engine)(nil)

// Start creates the workflow and runs it in the background until it finishes,
// fails, stops, or (headless) waits for the user.
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
		Provider: "gitlab-duo", Model: e.cfg.Flow, Approval: string(e.cfg.Policy), Engine: "gitlab-duo",
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

// Plan returns a copy of the plan as last reported by the service.
func (e *Engine) Plan() session.Plan {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.plan.Clone()
}

// WorkflowID is the service's id of the workflow, "" before it was created.
func (e *Engine) WorkflowID() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.workflowID
}

// pauseNotice says plainly what pausing means with this engine: the service
// has no confirmed pause, so wend holds the next action instead.
const pauseNotice = "Paused: wend will not run the service's next action until you resume. " +
	"A pause event was also sent to GitLab Duo, but the service is not known to act on it: " +
	"it may keep thinking, and whatever it asks for next waits here."

// Pause holds the next action (the boundary) until Resume, and tells the service.
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
	id := e.workflowID
	e.mu.Unlock()
	e.log.Append(session.Paused{Reason: "user"})
	if id != "" {
		if _, err := e.cfg.Client.SendEvent(ctx, id, duo.EventPause, "", ""); err != nil {
			e.notice("warn", "the pause event did not reach GitLab Duo: "+err.Error())
		}
	}
	e.notice("info", pauseNotice)
	return nil
}

// Resume lets the held action run.
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

// Stop asks the service to stop the workflow (stopWorkflow on the open stream,
// or the stop status event between streams); the action under way is cancelled
// and answered first, so the service loses nothing.
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

// EditPlan: the plan belongs to the service, so the edit is checked against the
// plan as last reported and sent as a message; the checklist changes when the
// service replans.
func (e *Engine) EditPlan(ctx context.Context, edit session.PlanEdit) error {
	e.mu.Lock()
	p := e.plan.Clone()
	id := e.workflowID
	ended := e.state.Ended()
	e.mu.Unlock()
	if ended {
		return errors.New("the session has ended")
	}
	if id == "" || len(p.Steps) == 0 {
		return errors.New("GitLab Duo has not proposed a plan yet; there is nothing to edit")
	}
	sentence, err := p.Apply(edit)
	if err != nil {
		return err
	}
	msg := sentence + " Update your plan accordingly."
	if _, err := e.cfg.Client.SendEvent(ctx, id, duo.EventMessage, msg, ""); err != nil {
		return fmt.Errorf("the plan belongs to GitLab Duo and the edit could not be sent to it: %w", err)
	}
	e.notice("info", "Sent to GitLab Duo: \""+sentence+"\" The checklist changes when the service replans.")
	return nil
}

// Adjust queues a sentence; it is sent to the service as a message event at the
// next boundary (before the next action runs or the next stream opens).
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

// Withdraw removes a queued adjustment that has not been sent yet.
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
	return fmt.Errorf("adjustment %s was already sent to GitLab Duo or does not exist", id)
}

// Resolve answers an approval or a question, or applies a review decision.
// Answering a request that is no longer waiting returns session.ErrNotPending.
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
	ch <- d // buffered
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

// deliverBoundary sends queued sentences to the service as message events. A
// note that cannot be sent stays queued for the next boundary.
func (e *Engine) deliverBoundary(ctx context.Context) {
	e.mu.Lock()
	notes, id := e.boundary, e.workflowID
	if id == "" || len(notes) == 0 {
		e.mu.Unlock()
		return
	}
	e.boundary = nil
	e.mu.Unlock()
	for i, n := range notes {
		text := n.text
		if n.adjustID != "" {
			text = "[The user, while you work] " + n.text
		}
		if _, err := e.cfg.Client.SendEvent(ctx, id, duo.EventMessage, text, ""); err != nil {
			e.notice("warn", "could not send a message to GitLab Duo (will retry at the next step): "+err.Error())
			e.mu.Lock()
			e.boundary = append(append([]boundaryNote(nil), notes[i:]...), e.boundary...)
			e.mu.Unlock()
			return
		}
		if n.adjustID != "" {
			e.log.Append(session.AdjustDelivered{ID: n.adjustID})
		}
	}
}

func (e *Engine) notice(level, text string) {
	e.log.Append(session.Notice{Level: level, Text: text})
}

func (e *Engine) setState(s session.State) {
	e.mu.Lock()
	if !e.paused || s.Ended() {
		e.state = s
	}
	e.mu.Unlock()
}
