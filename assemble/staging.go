package assemble

import (
	"context"
	"errors"
	"fmt"

	"gitlab.com/wend/wend/context/repo"
	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/session/review"
	"gitlab.com/wend/wend/session/tools"
)

// Staging is the session's seam to gitops: where agent writes go, and the
// review adapter (session/review) the engine lists and decides through.
type Staging struct {
	Workspace tools.Workspace
	Review    *review.Staging
	Close     func()
	// Repo is the checkout the agent works in: the user's, or with
	// --worktree the session's own worktree.
	Repo *repo.Repo
}

// NewStaging takes the baseline snapshot of session id, in the user's
// checkout or (Options.Worktree) a worktree of its own.
func NewStaging(ctx context.Context, o Options, id string) (*Staging, error) {
	if o.Worktree {
		return newWorktreeStaging(ctx, o, id)
	}
	gs, err := gitops.Start(ctx, o.Repo.Root(), id)
	if err != nil {
		return nil, fmt.Errorf("taking the baseline snapshot: %w", err)
	}
	return &Staging{Workspace: gs, Review: review.New(gs), Close: func() { gs.Close() }, Repo: o.Repo}, nil
}

// Isolated mode (--worktree, gitops/worktree.go): the agent, its tools and
// its staging run in a worktree of their own, and accepted hunks are carried
// to the user's working tree and index through a Reviewer whose accepts
// mirror.

// newWorktreeStaging creates the session's worktree and its staging. The
// worktree and its branch go when the staging is closed, at the session's end;
// the journal stays, so the proposals can still be decided with `wend accept`.
func newWorktreeStaging(ctx context.Context, o Options, id string) (*Staging, error) {
	w, err := gitops.AddWorktree(ctx, nil, o.Repo.Root(), id)
	if err != nil {
		return nil, fmt.Errorf("creating the worktree: %w", err)
	}
	fail := func(err error) (*Staging, error) {
		w.Remove(ctx)
		return nil, err
	}
	gs, err := w.Start(ctx)
	if err != nil {
		return fail(fmt.Errorf("taking the baseline snapshot: %w", err))
	}
	r, err := repo.Open(ctx, w.Dir)
	if err != nil {
		gs.Close()
		return fail(err)
	}
	stderr := o.stderr()
	return &Staging{
		Workspace: gs, Review: review.NewMirrored(w.Mirror(gs)), Repo: r,
		Close: func() {
			gs.Close()
			if err := w.Remove(ctx); err != nil {
				fmt.Fprintf(stderr, "wend: %v (the next wend start retries)\n", err)
			}
		},
	}, nil
}

// reopenStaging opens the session's staged changes where it left them.
func reopenStaging(ctx context.Context, o Options, id string) (*Staging, error) {
	gs, err := gitops.Open(ctx, o.Repo.Root(), id)
	if errors.Is(err, gitops.ErrNoSession) {
		return nil, fmt.Errorf("session %s has no staged state to continue from (it never started working)", id)
	}
	if err != nil {
		return nil, fmt.Errorf("reopening the session's staged changes: %w", err)
	}
	return &Staging{Workspace: gs, Review: review.New(gs), Close: func() { gs.Close() }, Repo: o.Repo}, nil
}
