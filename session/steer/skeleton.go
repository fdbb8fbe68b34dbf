package steer

import (
	"context"
	"errors"

	"gitlab.com/wend/wend/session"
)

// Lister is the listing half of the review port, which a Config.Review may
// also offer (session/review's adapter does): without it the session lists
// nothing for review.
type Lister interface {
	Changes(ctx context.Context) ([]session.FileChange, error)
	ChangeContent(ctx context.Context, path string) (string, error)
}

// errNoStaging refuses review calls in a session that does not stage changes.
var errNoStaging = errors.New("this session does not stage changes")

// Skeleton is what every engine's front-end ports do the same way, whoever
// plans: an engine embeds it and writes only what differs (Start, EditPlan,
// and for Duo a Pause that also tells the service). It relays session.Backend's
// steering (pause, resume, stop, adjust, withdraw, resolve, events) to
// Controls and implements session.Review over Config.Review, so listing and
// deciding take one route: review keys → Skeleton → the staging adapter →
// gitops.
type Skeleton struct {
	ctl *Controls
}

// NewSkeleton is the skeleton over c.
func NewSkeleton(c *Controls) Skeleton { return Skeleton{ctl: c} }

var _ session.Review = Skeleton{}

// State is the session state now.
func (s Skeleton) State() session.State { return s.ctl.State() }

// Pause stops the run at the next boundary: no model call, tool call or
// action starts until Resume. A call already under way completes.
func (s Skeleton) Pause(ctx context.Context) error {
	_, err := s.ctl.Pause("user")
	return err
}

// Resume continues exactly where the run paused.
func (s Skeleton) Resume(ctx context.Context) error {
	s.ctl.Resume()
	return nil
}

// Stop ends the run: what is under way is cancelled, and the run records how
// it ended (SessionFinished with the plan as it stands).
func (s Skeleton) Stop(ctx context.Context) error { return s.ctl.Stop() }

// Adjust queues the user's sentence for the next boundary.
func (s Skeleton) Adjust(ctx context.Context, text string) (string, error) {
	return s.ctl.Adjust(text)
}

// Withdraw removes a queued adjustment that has not reached the listener yet.
func (s Skeleton) Withdraw(ctx context.Context, id string) error { return s.ctl.Withdraw(id) }

// Resolve answers an approval or a question, or applies a review decision.
// Answering a request that is no longer waiting returns session.ErrNotPending
// and changes nothing.
func (s Skeleton) Resolve(ctx context.Context, d session.Decision) error {
	return s.ctl.Resolve(ctx, d)
}

// Events streams the session's log.
func (s Skeleton) Events(ctx context.Context, after int64) <-chan session.Event {
	return s.ctl.log.Subscribe(ctx, after)
}

// Changes lists the session's undecided proposals.
func (s Skeleton) Changes(ctx context.Context) ([]session.FileChange, error) {
	l, ok := s.ctl.cfg.Review.(Lister)
	if !ok {
		return nil, errNoStaging
	}
	return l.Changes(ctx)
}

// ChangeContent is the agent's version of path.
func (s Skeleton) ChangeContent(ctx context.Context, path string) (string, error) {
	l, ok := s.ctl.cfg.Review.(Lister)
	if !ok {
		return "", errNoStaging
	}
	return l.ChangeContent(ctx, path)
}

// Decide applies a review decision (see Controls.Resolve).
func (s Skeleton) Decide(ctx context.Context, d session.Decision) error {
	d.Kind = session.DecideReview
	return s.ctl.review(ctx, d)
}

// review applies d, appends ReviewDecided, then queues the reviewer's feedback
// (a rejection's reason, a modification) for the next boundary.
func (c *Controls) review(ctx context.Context, d session.Decision) error {
	if c.cfg.Review == nil {
		return errNoStaging
	}
	fb, err := c.cfg.Review.Decide(ctx, d)
	if err != nil {
		return err
	}
	c.log.Append(session.ReviewDecided{Action: d.Action, Targets: d.Targets, Reason: d.Reason})
	c.QueueFeedback(fb)
	return nil
}
