// Package duoengine is wend's second engine: GitLab's Duo Workflow Service (DWS) plans
// and decides, and wend is its executor. Every action DWS asks for runs through
// the same tools port as wend's own agent (session/tools), under the same approval
// policy and dialog, so confinement, output caps, timeouts and staging are
// identical; every checkpoint DWS sends becomes the same events (plan, steps,
// streamed text, usage). The Engine implements session.Backend, so a front end
// cannot tell it from session/agent.
//
// The wire (REST, WebSocket, gRPC, checkpoint parsing) is remote/duo; this package
// only maps between it and the session domain.
package duoengine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"gitlab.com/wend/wend/remote/duo"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/steer"
	"gitlab.com/wend/wend/session/tools"
)

// Toolbox is the tools port; *tools.Registry satisfies it. MarkRead lets the
// engine honour DWS edits, which DWS issues without wend's read-before-write
// bookkeeping (DWS read the file through its own earlier action, or not at all).
// Redact is the redaction Execute applies to every result, for what the engine
// answers itself (GitLab API answers to runHTTPRequest).
type Toolbox interface {
	Effect(call tools.Call) session.Effect
	Describe(call tools.Call) session.ApprovalRequest
	Execute(ctx context.Context, call tools.Call) tools.Result
	MarkRead(path string, content []byte) error
	Redact(s string) string
}

// Reviewer is the staging port, the same shape as session/agent's: it describes
// proposals for changed paths and applies review decisions.
type Reviewer interface {
	Staged(ctx context.Context, paths []string) ([]session.ChangeStaged, error)
	// Decide applies d; the feedback's Delivered is called once the service
	// has the message.
	Decide(ctx context.Context, d session.Decision) (steer.Feedback, error)
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
//
// mu guards the plan, the step map and the workflow id. The session state,
// start/stop, pause, boundary queue, pending requests and grants live in ctl,
// whose lock is a leaf (see session/steer): ctl's non-blocking methods may be
// called with mu held, never Gate, Ask or Resolve.
type Engine struct {
	// Skeleton is what both engines do alike (session/steer): steering
	// relayed to ctl, and the review port. Pause is the engine's own.
	steer.Skeleton

	cfg Config
	log *session.Log
	ctl *steer.Controls

	mu         sync.Mutex
	plan       session.Plan
	stepKeys   map[string]string // DWS step key → wend step id
	done       chan struct{}
	workflowID string

	// Fields below are touched only by the run goroutine.
	tracker  duo.Tracker
	text     textBlock
	summary  string
	failure  string
	lastText string
	stepNow  string
	// lastScope is the scope the user granted in the dialog for the call approve
	// judged last, "" when no dialog ran for it.
	lastScope session.ApprovalScope
	// stopSent records that stopWorkflow went out on a stream.
	stopSent bool
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
	e := &Engine{cfg: cfg, log: cfg.Log, stepKeys: map[string]string{}, done: make(chan struct{})}
	e.ctl = steer.New(steer.Config{Log: cfg.Log, Policy: cfg.Policy, Interactive: cfg.Interactive,
		Review: cfg.Review, Listener: "GitLab Duo"})
	e.Skeleton = steer.NewSkeleton(e.ctl)
	for _, c := range cfg.Capabilities {
		if c == duo.CapIncrementalStreaming {
			e.tracker.Incremental = true
		}
	}
	return e
}

var (
	_ session.Backend = (*Engine)(nil)
	_ session.Review  = (*Engine)(nil)
)

// Start creates the workflow and runs it in the background until it finishes,
// fails, stops, or (headless) waits for the user.
func (e *Engine) Start(ctx context.Context, task session.Task) error {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	err := e.ctl.Begin(cancel, session.SessionStarted{
		SessionID: e.cfg.SessionID, Task: task.Text, Repo: e.cfg.Repo, Branch: e.cfg.Branch,
		Provider: "gitlab-duo", Model: e.cfg.Flow, Approval: string(e.cfg.Policy), Engine: "gitlab-duo",
	})
	if err != nil {
		cancel()
		return err
	}
	go e.run(runCtx, task)
	return nil
}

// Done is closed when the run has ended and SessionFinished is in the log.
func (e *Engine) Done() <-chan struct{} { return e.done }

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
	if paused, err := e.ctl.Pause("user"); !paused {
		return err
	}
	if id := e.WorkflowID(); id != "" {
		if _, err := e.cfg.Client.SendEvent(ctx, id, duo.EventPause, "", ""); err != nil {
			e.notice("warn", "the pause event did not reach GitLab Duo: "+err.Error())
		}
	}
	e.notice("info", pauseNotice)
	return nil
}

// EditPlan: the plan belongs to the service, so the edit is checked against the
// plan as last reported and sent as a message; the checklist changes when the
// service replans.
func (e *Engine) EditPlan(ctx context.Context, edit session.PlanEdit) error {
	e.mu.Lock()
	p := e.plan.Clone()
	id := e.workflowID
	e.mu.Unlock()
	if e.ctl.State().Ended() {
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

// deliverBoundary sends queued sentences to the service as message events. A
// note that cannot be sent stays queued for the next boundary.
func (e *Engine) deliverBoundary(ctx context.Context) {
	id := e.WorkflowID()
	if id == "" {
		return
	}
	notes := e.ctl.Take()
	for i, n := range notes {
		text := n.Text
		if n.Adjustment() {
			text = "[The user, while you work] " + n.Text
		}
		if _, err := e.cfg.Client.SendEvent(ctx, id, duo.EventMessage, text, ""); err != nil {
			e.notice("warn", "could not send a message to GitLab Duo (will retry at the next step): "+err.Error())
			e.ctl.Requeue(notes[i:])
			return
		}
		e.ctl.Delivered(n)
	}
}

func (e *Engine) notice(level, text string) {
	e.log.Append(session.Notice{Level: level, Text: text})
}
