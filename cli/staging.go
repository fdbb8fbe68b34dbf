package cli

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"gitlab.com/wend/wend/context/repo"
	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/agent"
	"gitlab.com/wend/wend/session/steer"
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
type reviewer struct {
	gs *gitops.Session
	// told is the last decision whose feedback this process has handed to the
	// engine; gitops acknowledges it only once the model has it (feedback).
	mu   sync.Mutex
	told int
}

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
		Path: fc.Path, OldPath: fc.OldPath, Kind: session.ChangeKind(fc.Kind), Binary: fc.Binary, Uncertain: fc.Uncertain,
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
func (r *reviewer) Decide(ctx context.Context, d session.Decision) (steer.Feedback, error) {
	if _, err := decide(ctx, r.gs, d); err != nil {
		return steer.Feedback{}, err
	}
	return r.feedback(), nil
}

// feedback renders the decisions the model has not heard of, including those an
// earlier session left undelivered. They are acknowledged in the journal only
// when the engine reports them delivered (the model request carrying them
// succeeded); until then a later session or `wend changes` still sees them.
func (r *reviewer) feedback() steer.Feedback {
	r.mu.Lock()
	defer r.mu.Unlock()
	fb := r.gs.FeedbackAfter(r.told)
	if len(fb) == 0 {
		return steer.Feedback{}
	}
	seq := fb[len(fb)-1].Seq
	r.told = seq
	return steer.Feedback{Text: gitops.FeedbackText(fb), Delivered: func() {
		// A failed ack only means the model may hear this again later.
		r.gs.AckFeedback(context.Background(), seq)
	}}
}

// decide applies one decision to a gitops session; shared by the engine and the
// `wend accept/reject/undo` verbs, so the TUI and the CLI always agree. It
// returns the decisions gitops made, so the verbs can say exactly what changed.
// A decision that changes nothing ("all" with nothing undecided) is an error
// (nothingToDo), never a silent success.
func decide(ctx context.Context, gs decider, d session.Decision) ([]gitops.Decision, error) {
	if len(d.Targets) == 0 {
		return nil, errors.New("name what to decide: hunk ids, file paths, or all")
	}
	if d.Action == session.ReviewModify {
		if len(d.Targets) != 1 {
			return nil, errors.New("modify takes exactly one file path")
		}
		got, err := gs.Modify(ctx, d.Targets[0], []byte(d.Content), d.Reason)
		if err != nil {
			return nil, err
		}
		return []gitops.Decision{got}, nil
	}
	fcs, err := gs.Proposals(ctx)
	if err != nil {
		return nil, err
	}
	isPath := map[string]bool{}
	for _, fc := range fcs {
		isPath[fc.Path] = true
	}
	var made []gitops.Decision
	for _, t := range d.Targets {
		var one gitops.Decision
		var many []gitops.Decision
		var err error
		switch {
		case t == "all" && d.Action == session.ReviewAccept:
			many, err = gs.AcceptAll(ctx, d.Reason)
		case t == "all" && d.Action == session.ReviewReject:
			many, err = gs.RejectAll(ctx, d.Reason)
		case t == "all" && d.Action == session.ReviewUndo:
			many, err = gs.UndoAll(ctx, d.Reason)
		case d.Action == session.ReviewAccept && isPath[t]:
			one, err = gs.AcceptFile(ctx, t, d.Reason)
		case d.Action == session.ReviewAccept:
			one, err = gs.AcceptHunk(ctx, t, d.Reason)
		case d.Action == session.ReviewReject && isPath[t]:
			one, err = gs.RejectFile(ctx, t, d.Reason)
		case d.Action == session.ReviewReject:
			one, err = gs.RejectHunk(ctx, t, d.Reason)
		case d.Action == session.ReviewUndo:
			// One decision: the newest on this hunk or path.
			one, err = gs.Undo(ctx, t, d.Reason)
		default:
			err = fmt.Errorf("unknown review action %q", d.Action)
		}
		made = append(made, many...)
		if one.Seq != 0 {
			made = append(made, one)
		}
		if err != nil {
			return made, err
		}
		if t == "all" && len(many) == 0 {
			if d.Action == session.ReviewUndo {
				return made, nothingToDo(fmt.Sprintf("nothing to undo: every path the agent touched in session %s is at its baseline already", gs.ID()))
			}
			return made, nothingToDo(fmt.Sprintf("nothing to %s: no undecided changes in session %s", d.Action, gs.ID()))
		}
	}
	return made, nil
}

// nothingToDo is a decision that found nothing to change: an error, so a
// script's `wend accept all` never reports success for no work.
type nothingToDo string

func (e nothingToDo) Error() string { return string(e) }
