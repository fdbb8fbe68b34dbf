// Package steer is the steering layer both engines share (session/agent and
// session/duoengine): the session state and start/stop, the pause gate, the queue of
// notes for the next boundary (the user's adjustments, plan-edit summaries,
// review feedback), the requests waiting on the user's answer, the approval
// grants remembered for the session, and the approval, plan-approval and
// question dialogs built on them. An engine holds one Controls and keeps to
// itself what really differs: how a boundary note reaches the model or the
// service, and what the run does between boundaries. What the engines'
// front-end ports do alike (the relayed Backend verbs and the review port) is
// Skeleton, which each engine embeds.
//
// Locking: Controls has its own mutex, a leaf. While holding it a method calls
// nothing but session.Log.Append (which never waits for a reader), so an engine
// may call the non-blocking methods while holding its own mutex. Gate, Ask,
// Resolve, Approve, AskPlan and Input block or call out (the Reviewer, the
// Describe callback, which may take the engine's mutex); call them with no lock
// held.
package steer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"gitlab.com/wend/wend/session"
)

// Reviewer applies the user's review decisions; both engines' Reviewer ports
// satisfy it.
type Reviewer interface {
	// Decide applies d and returns what the model must hear about it (Text
	// empty when nothing).
	Decide(ctx context.Context, d session.Decision) (Feedback, error)
}

// Feedback is what the listener must hear about a review decision (a
// rejection and its reason, a modification, an undo).
type Feedback struct {
	Text string
	// Delivered, when set, is called once the listener has the text (the model
	// request carrying it succeeded, the service took the message), never
	// before: a session that ends first leaves the feedback undelivered, so
	// the reviewer can hand it to a later session instead of losing it.
	Delivered func()
}

// Config wires Controls. Log is required.
type Config struct {
	Log *session.Log
	// Policy and Interactive decide Approve: a headless session (Interactive
	// false) cannot ask, so what the policy would ask for is refused with advice.
	Policy      session.ApprovalPolicy
	Interactive bool
	// Review applies review decisions; nil means the session does not stage
	// changes, and a review decision is refused.
	Review Reviewer
	// Listener names who hears boundary notes ("the model", "GitLab Duo"), for
	// the error Withdraw returns once an adjustment has gone.
	Listener string
}

// Note is one sentence queued for the next boundary. Adjustments (the user's own
// sentences) carry the id Adjust returned; engine notes (plan-edit summaries,
// review feedback) have none.
type Note struct {
	AdjustID string
	Text     string
	// delivered is review feedback's Feedback.Delivered, called by Delivered.
	delivered func()
}

// Adjustment reports whether the note is the user's adjustment, which can be
// withdrawn until taken and must be marked Delivered once it has reached the
// listener.
func (n Note) Adjustment() bool { return n.AdjustID != "" }

// Controls is one session's steering state. All methods are safe for concurrent
// use. The events a method appends are appended together with the change they
// report, under the lock, so the log's order is the order of the changes.
type Controls struct {
	log *session.Log
	cfg Config

	mu       sync.Mutex
	state    session.State
	cancel   context.CancelFunc // set by Begin
	paused   bool
	resumeCh chan struct{} // closed on resume
	queue    []Note
	adjustN  int
	reqN     int
	pending  map[string]chan session.Decision
	// grants remembered for the session: by step and kind, or by command prefix.
	grants map[string]bool
	// tasks counts the tasks begun (BeginTask), for SessionStarted.TaskIndex.
	tasks int
}

// New returns Controls in StateStarting, not paused, with nothing queued.
func New(cfg Config) *Controls {
	return &Controls{
		log: cfg.Log, cfg: cfg, state: session.StateStarting,
		pending: map[string]chan session.Decision{}, grants: map[string]bool{},
	}
}

// errEnded refuses controls once the session has ended.
var errEnded = errors.New("the session has ended")

// State is the session state now.
func (c *Controls) State() session.State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// SetStateUnlessPaused sets the state, except that a paused session stays paused
// until Resume unless s ends it. For a run that reports progress (the service
// says it is running) without overriding the user's pause.
func (c *Controls) SetStateUnlessPaused(s session.State) {
	c.mu.Lock()
	if !c.paused || s.Ended() {
		c.state = s
	}
	c.mu.Unlock()
}

// Begin marks the run started with cancel as its stop, sets the state running
// and appends started, so SessionStarted precedes any control's event. A second
// Begin is refused and appends nothing.
func (c *Controls) Begin(cancel context.CancelFunc, started session.SessionStarted) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		return errors.New("the session has already started")
	}
	c.cancel = cancel
	c.state = session.StateRunning
	c.log.Append(started)
	return nil
}

// BeginTask is Begin for an engine that holds a conversation of many tasks: it
// begins the first task, or the next one once the previous task has ended
// (finished, failed, stopped), and returns its index (started.TaskIndex). The
// queue survives the boundary on purpose: review feedback decided between
// tasks reaches the next task's first request. A task that is still running is
// not interrupted: the caller's sentence is an adjustment then.
func (c *Controls) BeginTask(cancel context.CancelFunc, started session.SessionStarted) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil && !c.state.Ended() {
		return 0, errors.New("a task is already running: send the sentence as an adjustment, or stop the task first")
	}
	if c.paused { // paused, then stopped: the new task starts unpaused
		c.paused = false
		close(c.resumeCh)
	}
	started.TaskIndex = c.tasks
	c.tasks++
	c.cancel = cancel
	c.state = session.StateRunning
	c.log.Append(started)
	return started.TaskIndex, nil
}

// Restored tells Controls that the session's log already holds n tasks (a
// session reopened from the store), so the next BeginTask continues the count.
func (c *Controls) Restored(n int) {
	c.mu.Lock()
	c.tasks = n
	c.mu.Unlock()
}

// Stop cancels the run Begin started; the run itself records how it ended
// (Finish). It does not wait, and may be called again.
func (c *Controls) Stop() error {
	c.mu.Lock()
	cancel := c.cancel
	c.mu.Unlock()
	if cancel == nil {
		return errors.New("the session has not started")
	}
	cancel()
	return nil
}

// Finish records the end of the run: the state becomes s, then SessionFinished
// (with err's text, if any, and the plan as it stands) is appended, so a reader
// that sees SessionFinished sees the ended state.
func (c *Controls) Finish(s session.State, summary string, err error, plan session.Plan) {
	fin := session.SessionFinished{State: s, Summary: summary, Plan: plan}
	if err != nil {
		fin.Error = err.Error()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state = s
	c.log.Append(fin)
}

// Pause closes the gate: Gate blocks from now until Resume. It appends
// Paused{Reason: reason} and reports true when it paused; a session already
// paused is left as it is (false, nil), an ended one is refused. What is under
// way (a model call, an action) is not interrupted: the run stops at its next
// Gate.
func (c *Controls) Pause(reason string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Ended() {
		return false, errEnded
	}
	if c.paused {
		return false, nil
	}
	c.paused = true
	c.resumeCh = make(chan struct{})
	c.state = session.StatePaused
	c.log.Append(session.Paused{Reason: reason})
	return true, nil
}

// Resume opens the gate and wakes a run blocked in Gate; the state becomes
// running and Resumed is appended. Resuming a session that is not paused does
// nothing and reports false.
func (c *Controls) Resume() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.paused {
		return false
	}
	c.paused = false
	close(c.resumeCh)
	c.state = session.StateRunning
	c.log.Append(session.Resumed{})
	return true
}

// Gate is called by the run at every boundary. It returns at once when not
// paused; while paused it blocks until Resume or until ctx ends. It returns
// ctx.Err(), so a nil answer means the run may go on.
func (c *Controls) Gate(ctx context.Context) error {
	for {
		c.mu.Lock()
		paused, ch := c.paused, c.resumeCh
		c.mu.Unlock()
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

// Adjust queues the user's sentence for the next boundary, appends AdjustQueued
// and returns its id: "a1", "a2", … in the order the sentences came.
func (c *Controls) Adjust(text string) (string, error) {
	if text == "" {
		return "", errors.New("nothing to send")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Ended() {
		return "", errEnded
	}
	c.adjustN++
	id := "a" + strconv.Itoa(c.adjustN)
	c.queue = append(c.queue, Note{AdjustID: id, Text: text})
	c.log.Append(session.AdjustQueued{ID: id, Text: text})
	return id, nil
}

// Queue adds the engine's own note (a plan-edit summary, review feedback) behind
// whatever is queued. It appends no event.
func (c *Controls) Queue(text string) {
	c.mu.Lock()
	c.queue = append(c.queue, Note{Text: text})
	c.mu.Unlock()
}

// QueueFeedback adds review feedback behind whatever is queued; its Delivered
// runs once the engine reports the note delivered. Besides the session's own
// decisions it carries what an earlier session left undelivered, so that is
// acknowledged in the earlier session's journal only when the listener has it.
// Empty feedback is ignored.
func (c *Controls) QueueFeedback(fb Feedback) {
	if fb.Text == "" {
		return
	}
	c.mu.Lock()
	c.queue = append(c.queue, Note{Text: fb.Text, delivered: fb.Delivered})
	c.mu.Unlock()
}

// Withdraw takes a queued adjustment back and appends AdjustWithdrawn. Once Take
// has handed it to the engine it cannot be withdrawn (unless Requeue put it back).
func (c *Controls) Withdraw(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, n := range c.queue {
		if n.AdjustID == id {
			c.queue = append(c.queue[:i], c.queue[i+1:]...)
			c.log.Append(session.AdjustWithdrawn{ID: id})
			return nil
		}
	}
	return fmt.Errorf("adjustment %s was already sent to %s or does not exist", id, c.cfg.Listener)
}

// Take empties the queue and returns its notes in order, for the engine to
// deliver at this boundary; it must then call Delivered for each note that
// arrived and may Requeue those that did not.
func (c *Controls) Take() []Note {
	c.mu.Lock()
	defer c.mu.Unlock()
	notes := c.queue
	c.queue = nil
	return notes
}

// Requeue puts notes that could not be delivered back at the front of the queue,
// ahead of anything queued since Take, so the order is kept. Adjustments among
// them can be withdrawn again.
func (c *Controls) Requeue(notes []Note) {
	c.mu.Lock()
	c.queue = append(append([]Note(nil), notes...), c.queue...)
	c.mu.Unlock()
}

// Delivered reports a note the listener now has: an adjustment gets
// AdjustDelivered, review feedback is acknowledged to its reviewer; other
// engine notes need nothing. Call it only once delivery has succeeded.
func (c *Controls) Delivered(n Note) {
	if n.Adjustment() {
		c.log.Append(session.AdjustDelivered{ID: n.AdjustID})
	}
	if n.delivered != nil {
		n.delivered()
	}
}
