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

// Skeleton is what every engine's front-end port does the same way, whoever
// plans: an engine embeds it and writes only what differs. It implements
// session.Review over Config.Review, so listing and deciding take one route:
// review keys → Skeleton → the staging adapter → gitops.
type Skeleton struct {
	ctl *Controls
}

// NewSkeleton is the skeleton over c.
func NewSkeleton(c *Controls) Skeleton { return Skeleton{ctl: c} }

var _ session.Review = Skeleton{}

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
