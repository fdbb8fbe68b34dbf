package cli

import (
	"context"
	"sync"
	"time"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui"
)

// deferred is the engine the UI drives while the session is still being built in
// the background (the baseline snapshot of a large repository takes a moment), so
// the first frame does not wait for it. Events come from the session's log, which
// exists from the start; every control waits until the engine is ready, or returns
// the error that stopped it from being built.
type deferred struct {
	log   *session.Log
	ready chan struct{}
	eng   engine
	err   error
}

// buildInBackground starts ls.build and returns the engine to hand to the UI.
// When the UI is given to opts, the build waits for its first frame (at most
// firstFrameWait): on 2 cores, a 100,000-file baseline snapshot started with
// the UI delayed that frame by half.
func buildInBackground(ctx context.Context, ls *liveSession, opts *ui.Options, build func(context.Context) error) *deferred {
	d := &deferred{log: ls.log, ready: make(chan struct{})}
	var drawn chan struct{}
	if opts != nil {
		drawn = make(chan struct{})
		var once sync.Once
		opts.FirstFrame = func() { once.Do(func() { close(drawn) }) }
	}
	go func() {
		defer close(d.ready)
		if drawn != nil {
			select {
			case <-drawn:
			case <-ctx.Done():
			case <-time.After(firstFrameWait):
			}
		}
		if d.err = build(ctx); d.err == nil {
			d.eng = ls.engine
		} else {
			ls.log.Append(session.Notice{Level: "error", Text: "the session could not be prepared: " + d.err.Error()})
		}
	}()
	return d
}

// firstFrameWait bounds the wait for a UI that never draws (no terminal size).
const firstFrameWait = time.Second

var _ engine = (*deferred)(nil)

func (d *deferred) wait(ctx context.Context) (engine, error) {
	select {
	case <-d.ready:
		return d.eng, d.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// then runs f on the engine once it is ready, or returns the error that
// stopped it from being built; every control and review call goes through it.
func then[T any](ctx context.Context, d *deferred, f func(engine) (T, error)) (T, error) {
	e, err := d.wait(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	return f(e)
}

// do is then for calls that return only an error.
func do(ctx context.Context, d *deferred, f func(engine) error) error {
	_, err := then(ctx, d, func(e engine) (struct{}, error) { return struct{}{}, f(e) })
	return err
}

func (d *deferred) Start(ctx context.Context, t session.Task) error {
	return do(ctx, d, func(e engine) error { return e.Start(ctx, t) })
}
func (d *deferred) Pause(ctx context.Context) error {
	return do(ctx, d, func(e engine) error { return e.Pause(ctx) })
}
func (d *deferred) Resume(ctx context.Context) error {
	return do(ctx, d, func(e engine) error { return e.Resume(ctx) })
}
func (d *deferred) Stop(ctx context.Context) error {
	return do(ctx, d, func(e engine) error { return e.Stop(ctx) })
}
func (d *deferred) EditPlan(ctx context.Context, edit session.PlanEdit) error {
	return do(ctx, d, func(e engine) error { return e.EditPlan(ctx, edit) })
}
func (d *deferred) Adjust(ctx context.Context, text string) (string, error) {
	return then(ctx, d, func(e engine) (string, error) { return e.Adjust(ctx, text) })
}
func (d *deferred) Withdraw(ctx context.Context, id string) error {
	return do(ctx, d, func(e engine) error { return e.Withdraw(ctx, id) })
}
func (d *deferred) Resolve(ctx context.Context, dec session.Decision) error {
	return do(ctx, d, func(e engine) error { return e.Resolve(ctx, dec) })
}
func (d *deferred) Changes(ctx context.Context) ([]session.FileChange, error) {
	return then(ctx, d, func(e engine) ([]session.FileChange, error) { return e.Changes(ctx) })
}
func (d *deferred) ChangeContent(ctx context.Context, path string) (string, error) {
	return then(ctx, d, func(e engine) (string, error) { return e.ChangeContent(ctx, path) })
}
func (d *deferred) Decide(ctx context.Context, dec session.Decision) error {
	return do(ctx, d, func(e engine) error { return e.Decide(ctx, dec) })
}

// Events come from the session's log, which exists before the engine.
func (d *deferred) Events(ctx context.Context, after int64) <-chan session.Event {
	return d.log.Subscribe(ctx, after)
}

// Done is closed when the engine's run has ended, or at once when it never could
// start.
func (d *deferred) Done() <-chan struct{} {
	<-d.ready
	if d.err != nil {
		c := make(chan struct{})
		close(c)
		return c
	}
	return d.eng.Done()
}
