package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/session/review"
	"gitlab.com/wend/wend/session/store"
)

// Isolated mode (--worktree, gitops/worktree.go): the agent, its tools and
// its staging run in a worktree of their own, and accepted hunks are carried
// to the user's working tree and index. This file is the CLI's side: making
// cleaning up what crashed sessions left, and deciding an ended session's
// proposals; the worktree's staging is made in assemble/staging.go.

// recoverWorktrees removes what sessions that crashed in isolated mode left
// (their worktree and branch) and says so; their proposals stay decidable.
// It runs at every start in a repository and costs a glob when there is
// nothing to do.
func (g *globals) recoverWorktrees(ctx context.Context, root string) {
	got, err := gitops.RecoverWorktrees(ctx, nil, root)
	for _, m := range got {
		what := "a session that ended"
		if m.Recovered {
			what = fmt.Sprintf("a session whose process (pid %d) is gone", m.PID)
		}
		branch := ""
		if m.Branch != "" {
			branch = " and branch " + m.Branch
		}
		fmt.Fprintf(g.stderr, "wend: removed the worktree%s of %s (%s); its proposals are kept: wend changes --session %s\n",
			branch, what, m.ID, m.ID)
	}
	if err != nil {
		fmt.Fprintln(g.stderr, "wend: cleaning up a left-behind worktree:", err)
	}
}

// openDecider opens a stored session for a review verb. A session that ran
// in a worktree is decided through the mirror, in its live worktree or, once
// that is gone, a throw-away one; done releases it.
func openDecider(ctx context.Context, v verbIO, id string) (d review.Decider, done func(), err error) {
	gs, err := openStaging(ctx, v.workspace, id)
	if err != nil {
		return nil, nil, err
	}
	// Deciding behind a live session's back would leave its in-memory staging
	// stale; its own review (ctrl+r) is the place, or it must end first.
	if dir, err := assemble.GitDir(ctx, gs.Root()); err == nil {
		if pid, live := store.Open(filepath.Join(dir, "wend")).Live(gs.ID()); live {
			gs.Close()
			return nil, nil, &exitError{code: ExitFailed, err: fmt.Errorf(
				"session %s is open in another wend (pid %d): decide in its review (ctrl+r), or quit it first", gs.ID(), pid)}
		}
	}
	w, ok, err := gitops.LoadWorktree(ctx, nil, gs.Root(), gs.ID())
	if err != nil {
		gs.Close()
		return nil, nil, err
	}
	if !ok {
		return gs, func() { gs.Close() }, nil
	}
	gs.Close()
	s, err := w.Reopen(ctx)
	if err != nil {
		return nil, nil, err
	}
	return w.Mirror(s), func() {
		s.Close()
		if err := w.Release(ctx); err != nil {
			fmt.Fprintln(v.errOut, "wend:", err)
		}
	}, nil
}
