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

func (d *deferred) Start(ctx context.Context, task session.Task) error {
	e, err := d.wait(ctx)
	if err != nil {
		return err
	}
	return e.Start(ctx, task)
}

func (d *deferred) Pause(ctx context.Context) error {
	e, err := d.wait(ctx)
	if err != nil {
		return err
	}
	return e.Pause(ctx)
}

func (d *deferred) Resume(ctx context.Context) error {
	e, err := d.wait(ctx)
	if err != nil {
		return err
	}
	return e.Resume(ctx)
}

func (d *deferred) Stop(ctx context.Context) error {
	e, err := d.wait(ctx)
	if err != nil {
		return err
	}
	return e.Stop(ctx)
}

func (d *deferred) EditPlan(ctx context.Context, edit session.PlanEdit) error {
	e, err := d.wait(ctx)
	if err != nil {
		return err
	}
	return e.EditPlan(ctx, edit)
}

func (d *deferred) Adjust(ctx context.Context, text string) (string, error) {
	e, err := d.wait(ctx)
	if err != nil {
		return "", err
	}
	return e.Adjust(ctx, text)
}

func (d *deferred) Withdraw(ctx context.Context, id string) error {
	e, err := d.wait(ctx)
	if err != nil {
		return err
	}
	return e.Withdraw(ctx, id)
}

func (d *deferred) Resolve(ctx context.Context, dec session.Decision) error {
	e, err := d.wait(ctx)
	if err != nil {
		return err
	}
	return e.Resolve(ctx, dec)
}

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

// Changes lists the proposals once staging exists.
func (d *deferred) Changes(ctx context.Context) ([]session.FileChange, error) {
	e, err := d.wait(ctx)
	if err != nil {
		return nil, err
	}
	return e.Changes(ctx)
}

// ChangeContent is the agent's version of path once staging exists.
func (d *deferred) ChangeContent(ctx context.Context, path string) (string, error) {
	e, err := d.wait(ctx)
	if err != nil {
		return "", err
	}
	return e.ChangeContent(ctx, path)
}

// Decide applies a review decision once the engine is ready.
func (d *deferred) Decide(ctx context.Context, dec session.Decision) error {
	e, err := d.wait(ctx)
	if err != nil {
		return err
	}
	return e.Decide(ctx, dec)
}
