package cli

import (
	"context"
	"errors"
	"fmt"

	"gitlab.com/wend/wend/context/repo"
	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/agent"
	"gitlab.com/wend/wend/session/tools"
)

// staging is the session's seam to gitops: where agent writes go and how review
// decisions apply.
type staging struct {
	workspace tools.Workspace
	review    agent.Reviewer
	changes   *reviewer
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
	rv := &reviewer{gs: gs}
	return &staging{workspace: gs, review: rv, changes: rv, close: func() { gs.Close() }, repo: ws.repo}, nil
}

// reviewer adapts a gitops session to the engine's Reviewer port and the UI's list
// of proposals.
type reviewer struct{ gs *gitops.Session }

var _ agent.Reviewer = (*reviewer)(nil)

// List returns the pending proposals as domain values.
func (r *reviewer) List(ctx context.Context) ([]session.FileChange, error) {
	fcs, err := r.gs.Proposals(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]session.FileChange, len(fcs))
	for i, fc := range fcs {
		out[i] = toFileChange(fc)
	}
	return out, nil
}

func toFileChange(fc gitops.FileChange) session.FileChange {
	hunks := make([]session.Hunk, len(fc.Hunks))
	for i, h := range fc.Hunks {
		hunks[i] = session.Hunk{
			ID: h.ID, OldStart: h.OldStart, OldLines: h.OldLines, NewStart: h.NewStart, NewLines: h.NewLines,
			Header: h.Header, Lines: h.Lines, State: session.HunkState(h.State),
		}
	}
	return session.FileChange{
		Path: fc.Path, OldPath: fc.OldPath, Kind: session.ChangeKind(fc.Kind), Binary: fc.Binary,
		OldMode: fc.OldMode, NewMode: fc.NewMode, Added: fc.Added, Deleted: fc.Deleted,
		Hunks: hunks, Language: fc.Language,
	}
}

// Staged describes the current proposal for each of paths.
func (r *reviewer) Staged(ctx context.Context, paths []string) ([]session.ChangeStaged, error) {
	fcs, err := r.gs.Proposals(ctx)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, p := range paths {
		want[p] = true
	}
	var out []session.ChangeStaged
	for _, fc := range fcs {
		if !want[fc.Path] && !want[fc.OldPath] {
			continue
		}
		ids := make([]string, len(fc.Hunks))
		for i, h := range fc.Hunks {
			ids[i] = h.ID
		}
		out = append(out, session.ChangeStaged{
			Path: fc.Path, OldPath: fc.OldPath, Kind: session.ChangeKind(fc.Kind),
			Added: fc.Added, Deleted: fc.Deleted, Hunks: ids,
		})
	}
	return out, nil
}

// Decide applies a review decision. Targets are hunk ids, file paths, or "all".
// It returns what the model must hear (rejections, modifications, undos).
func (r *reviewer) Decide(ctx context.Context, d session.Decision) (string, error) {
	if err := decide(ctx, r.gs, d); err != nil {
		return "", err
	}
	return r.feedback(ctx)
}

// feedback acknowledges and renders the decisions the model has not heard of.
func (r *reviewer) feedback(ctx context.Context) (string, error) {
	fb := r.gs.Feedback()
	if len(fb) == 0 {
		return "", nil
	}
	if err := r.gs.AckFeedback(ctx, fb[len(fb)-1].Seq); err != nil {
		return "", err
	}
	return gitops.FeedbackText(fb), nil
}

// decide applies one decision to a gitops session; shared by the engine and the
// `wend accept/reject/undo` verbs, so the TUI and the CLI always agree.
func decide(ctx context.Context, gs decider, d session.Decision) error {
	if len(d.Targets) == 0 {
		return errors.New("name what to decide: hunk ids, file paths, or all")
	}
	if d.Action == session.ReviewModify {
		if len(d.Targets) != 1 {
			return errors.New("modify takes exactly one file path")
		}
		_, err := gs.Modify(ctx, d.Targets[0], []byte(d.Content), d.Reason)
		return err
	}
	fcs, err := gs.Proposals(ctx)
	if err != nil {
		return err
	}
	isPath := map[string]bool{}
	for _, fc := range fcs {
		isPath[fc.Path] = true
	}
	for _, t := range d.Targets {
		var err error
		switch {
		case t == "all" && d.Action == session.ReviewAccept:
			_, err = gs.AcceptAll(ctx, d.Reason)
		case t == "all" && d.Action == session.ReviewReject:
			_, err = gs.RejectAll(ctx, d.Reason)
		case t == "all" && d.Action == session.ReviewUndo:
			_, err = gs.UndoAll(ctx, d.Reason)
		case d.Action == session.ReviewAccept && isPath[t]:
			_, err = gs.AcceptFile(ctx, t, d.Reason)
		case d.Action == session.ReviewAccept:
			_, err = gs.AcceptHunk(ctx, t, d.Reason)
		case d.Action == session.ReviewReject && isPath[t]:
			_, err = gs.RejectFile(ctx, t, d.Reason)
		case d.Action == session.ReviewReject:
			_, err = gs.RejectHunk(ctx, t, d.Reason)
		case d.Action == session.ReviewUndo:
			// One decision: the newest on this hunk or path.
			_, err = gs.Undo(ctx, t, d.Reason)
		default:
			err = fmt.Errorf("unknown review action %q", d.Action)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
