package assemble

import (
	"context"
	"sync"
	"time"

	"gitlab.com/wend/wend/session"
)

// Deferred is the engine the UI drives while the session is still being built in
// the background (the baseline snapshot of a large repository takes a moment), so
// the first frame does not wait for it. Events come from the session's log, which
// exists from the start; every control waits until the engine is ready, or returns
// the error that stopped it from being built.
type Deferred struct {
	log   *session.Log
	ready chan struct{}
	eng   Engine
	err   error
}

// Background starts Build and returns the engine to hand to the UI. When
// drawn is not nil, the build waits until it is closed (the UI's first frame,
// see FirstFrame), at most firstFrameWait: on 2 cores, a 100,000-file
// baseline snapshot started with the UI delayed that frame by half.
func (s *Session) Background(ctx context.Context, drawn <-chan struct{}) *Deferred {
	d := &Deferred{log: s.Log, ready: make(chan struct{})}
	go func() {
		defer close(d.ready)
		if drawn != nil {
			select {
			case <-drawn:
			case <-ctx.Done():
			case <-time.After(firstFrameWait):
			}
		}
		if d.err = s.Build(ctx); d.err == nil {
			d.eng = s.Engine
		} else {
			s.Log.Append(session.Notice{Level: "error", Text: "the session could not be prepared: " + d.err.Error()})
		}
	}()
	return d
}

// FirstFrame returns the channel Background waits on and the function that
// closes it (any number of times), for the UI to call once it has drawn.
func FirstFrame() (drawn <-chan struct{}, done func()) {
	c := make(chan struct{})
	var once sync.Once
	return c, func() { once.Do(func() { close(c) }) }
}

// firstFrameWait bounds the wait for a UI that never draws (no terminal size).
const firstFrameWait = time.Second

var _ Engine = (*Deferred)(nil)

func (d *Deferred) wait(ctx context.Context) (Engine, error) {
	select {
	case <-d.ready:
		return d.eng, d.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// then runs f on the engine once it is ready, or returns the error that
// stopped it from being built; every control and review call goes through it.
func then[T any](ctx context.Context, d *Deferred, f func(Engine) (T, error)) (T, error) {
	e, err := d.wait(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	return f(e)
}

// do is then for calls that return only an error.
func do(ctx context.Context, d *Deferred, f func(Engine) error) error {
	_, err := then(ctx, d, func(e Engine) (struct{}, error) { return struct{}{}, f(e) })
	return err
}

func (d *Deferred) Start(ctx context.Context, t session.Task) error {
	return do(ctx, d, func(e Engine) error { return e.Start(ctx, t) })
}
func (d *Deferred) Pause(ctx context.Context) error {
	return do(ctx, d, func(e Engine) error { return e.Pause(ctx) })
}
func (d *Deferred) Resume(ctx context.Context) error {
	return do(ctx, d, func(e Engine) error { return e.Resume(ctx) })
}
func (d *Deferred) Stop(ctx context.Context) error {
	return do(ctx, d, func(e Engine) error { return e.Stop(ctx) })
}
func (d *Deferred) EditPlan(ctx context.Context, edit session.PlanEdit) error {
	return do(ctx, d, func(e Engine) error { return e.EditPlan(ctx, edit) })
}
func (d *Deferred) Adjust(ctx context.Context, text string) (string, error) {
	return then(ctx, d, func(e Engine) (string, error) { return e.Adjust(ctx, text) })
}
func (d *Deferred) Withdraw(ctx context.Context, id string) error {
	return do(ctx, d, func(e Engine) error { return e.Withdraw(ctx, id) })
}
func (d *Deferred) Resolve(ctx context.Context, dec session.Decision) error {
	return do(ctx, d, func(e Engine) error { return e.Resolve(ctx, dec) })
}
func (d *Deferred) Changes(ctx context.Context) ([]session.FileChange, error) {
	return then(ctx, d, func(e Engine) ([]session.FileChange, error) { return e.Changes(ctx) })
}
func (d *Deferred) ChangeContent(ctx context.Context, path string) (string, error) {
	return then(ctx, d, func(e Engine) (string, error) { return e.ChangeContent(ctx, path) })
}
func (d *Deferred) Decide(ctx context.Context, dec session.Decision) error {
	return do(ctx, d, func(e Engine) error { return e.Decide(ctx, dec) })
}

// Events come from the session's log, which exists before the engine.
func (d *Deferred) Events(ctx context.Context, after int64) <-chan session.Event {
	return d.log.Subscribe(ctx, after)
}

// Done is closed when the engine's run has ended, or at once when it never could
// start.
func (d *Deferred) Done() <-chan struct{} {
	<-d.ready
	if d.err != nil {
		c := make(chan struct{})
		close(c)
		return c
	}
	return d.eng.Done()
}
