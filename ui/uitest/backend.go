// Package uitest holds fakes for driving the UI in tests: a Backend that records
// every call and lets the test push events, and a static review port (Changes)
// that records the decisions.
package uitest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"gitlab.com/wend/wend/session"
)

// Call is one recorded Backend call, e.g. {"Pause", nil} or {"Resolve", Decision}.
type Call struct {
	Method string
	Arg    any
}

func (c Call) String() string {
	if c.Arg == nil {
		return c.Method
	}
	return fmt.Sprintf("%s(%+v)", c.Method, c.Arg)
}

// Backend is a session.Backend that records calls. Events pushed with Emit reach
// every subscriber in order. Safe for concurrent use.
type Backend struct {
	recorder
	mu     sync.Mutex
	events []session.Event
	wake   chan struct{}
	nextID int
	// Auto, when set, makes control calls emit the events a real engine would
	// (Paused after Pause, AdjustQueued after Adjust, ...).
	Auto bool
	// Clock stamps emitted events; nil stamps them all with the Unix epoch.
	Clock func() time.Time
	// Plan, when it has steps, is the engine's plan: EditPlan applies each
	// edit to it the way the engine does and emits PlanEdited (or a Notice
	// with the refusal).
	Plan session.Plan
}

// NewBackend returns an empty fake with Auto on.
func NewBackend() *Backend { return &Backend{wake: make(chan struct{}), Auto: true} }

// recorder keeps the calls a fake received, in order.
type recorder struct {
	mu    sync.Mutex
	calls []Call
}

func (r *recorder) record(method string, arg any) {
	r.mu.Lock()
	r.calls = append(r.calls, Call{method, arg})
	r.mu.Unlock()
}

// Calls returns a copy of the calls so far.
func (r *recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

// CallsOf returns the arguments of the calls to method.
func (r *recorder) CallsOf(method string) []any {
	var out []any
	for _, c := range r.Calls() {
		if c.Method == method {
			out = append(out, c.Arg)
		}
	}
	return out
}

// Summary is the calls as one line each, for assertions and failure messages.
func (r *recorder) Summary() string {
	var sb strings.Builder
	for _, c := range r.Calls() {
		sb.WriteString(c.String())
		sb.WriteByte('\n')
	}
	return sb.String()
}

// Emit appends events to the log with the next sequence numbers.
func (b *Backend) Emit(ps ...session.Payload) {
	b.mu.Lock()
	at := time.Unix(0, 0)
	if b.Clock != nil {
		at = b.Clock()
	}
	for _, p := range ps {
		b.events = append(b.events, session.Event{Seq: int64(len(b.events) + 1), Time: at, Payload: p})
	}
	close(b.wake)
	b.wake = make(chan struct{})
	b.mu.Unlock()
}

func (b *Backend) Start(_ context.Context, t session.Task) error {
	b.record("Start", t)
	return nil
}
func (b *Backend) Pause(context.Context) error {
	b.record("Pause", nil)
	if b.Auto {
		b.Emit(session.Paused{Reason: "user"})
	}
	return nil
}
func (b *Backend) Resume(context.Context) error {
	b.record("Resume", nil)
	if b.Auto {
		b.Emit(session.Resumed{})
	}
	return nil
}
func (b *Backend) Stop(context.Context) error {
	b.record("Stop", nil)
	if b.Auto {
		b.Emit(session.SessionFinished{State: session.StateStopped})
	}
	return nil
}
func (b *Backend) EditPlan(_ context.Context, e session.PlanEdit) error {
	b.record("EditPlan", e)
	b.mu.Lock()
	if len(b.Plan.Steps) == 0 {
		b.mu.Unlock()
		return nil
	}
	p := b.Plan.Clone()
	summary, err := p.Apply(e)
	if err == nil {
		b.Plan = p
	}
	b.mu.Unlock()
	if err != nil {
		b.Emit(session.Notice{Level: "warn", Text: "plan edit refused: " + err.Error()})
		return nil
	}
	b.Emit(session.PlanEdited{Plan: p, Edit: e, Summary: summary})
	return nil
}
func (b *Backend) Adjust(_ context.Context, text string) (string, error) {
	b.record("Adjust", text)
	b.mu.Lock()
	b.nextID++
	id := fmt.Sprintf("adj-%d", b.nextID)
	b.mu.Unlock()
	if b.Auto {
		b.Emit(session.AdjustQueued{ID: id, Text: text})
	}
	return id, nil
}
func (b *Backend) Withdraw(_ context.Context, id string) error {
	b.record("Withdraw", id)
	if b.Auto {
		b.Emit(session.AdjustWithdrawn{ID: id})
	}
	return nil
}
func (b *Backend) Resolve(_ context.Context, d session.Decision) error {
	b.record("Resolve", d)
	if b.Auto && d.Kind == session.DecideApproval && d.RequestID != "" {
		b.Emit(session.ApprovalResolved{RequestID: d.RequestID, Approved: d.Approve, Scope: d.Scope, Reason: d.Reason})
	}
	if b.Auto && d.Kind == session.DecideInput {
		b.Emit(session.InputAnswered{RequestID: d.RequestID, Answer: d.Answer})
	}
	return nil
}

// Events streams the log from after+1 and then live events until ctx ends.
func (b *Backend) Events(ctx context.Context, after int64) <-chan session.Event {
	ch := make(chan session.Event, 64)
	go func() {
		defer close(ch)
		next := after
		for {
			b.mu.Lock()
			pending := append([]session.Event(nil), b.events[min(int(next), len(b.events)):]...)
			wake := b.wake
			b.mu.Unlock()
			for _, e := range pending {
				select {
				case ch <- e:
					next = e.Seq
				case <-ctx.Done():
					return
				}
			}
			if len(pending) > 0 {
				continue
			}
			select {
			case <-wake:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// Changes is a static review port (session.Review): it lists Files and
// records each Decide call, changing nothing.
type Changes struct {
	recorder
	mu    sync.Mutex
	Files []session.FileChange
}

var _ session.Review = (*Changes)(nil)

func (c *Changes) Changes(context.Context) ([]session.FileChange, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]session.FileChange(nil), c.Files...), nil
}

// Decide records the decision as a "Decide" call.
func (c *Changes) Decide(_ context.Context, d session.Decision) error {
	d.Kind = session.DecideReview
	c.record("Decide", d)
	return nil
}

// ChangeContent returns the proposed content of a file: its added and context lines.
func (c *Changes) ChangeContent(_ context.Context, path string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.Files {
		if f.Path != path {
			continue
		}
		var sb strings.Builder
		for _, h := range f.Hunks {
			for _, l := range h.Lines {
				if !strings.HasPrefix(l, "-") {
					sb.WriteString(l[min(1, len(l)):])
					sb.WriteByte('\n')
				}
			}
		}
		return sb.String(), nil
	}
	return "", fmt.Errorf("no change to %s", path)
}
