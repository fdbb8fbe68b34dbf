package cli

import (
	"context"
	"fmt"

	"gitlab.com/wend/wend/context/repo"
	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/session/review"
	"gitlab.com/wend/wend/session/tools"
)

// staging is the session's seam to gitops: where agent writes go, and the
// review adapter (session/review) the engine lists and decides through.
type staging struct {
	workspace tools.Workspace
	review    *review.Staging
	close     func()
	// repo is the checkout the agent works in: the user's, or with
	// --worktree the session's own worktree (worktree.go).
	repo *repo.Repo
}

func newStaging(ctx context.Context, g *globals, ws *workspace, id string) (*staging, error) {
	if g.worktree {
		return newWorktreeStaging(ctx, g, ws, id)
	}
	gs, err := gitops.Start(ctx, ws.repo.Root(), id)
	if err != nil {
		return nil, fmt.Errorf("taking the baseline snapshot: %w", err)
	}
	return &staging{workspace: gs, review: review.New(gs), close: func() { gs.Close() }, repo: ws.repo}, nil
}
