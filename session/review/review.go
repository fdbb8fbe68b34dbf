// Package review is the staging adapter behind the review port
// (session.Review): it turns a gitops session's proposals and decisions into
// the session's plain data, applies the user's decisions, and builds what the
// model hears about them, for the session's own decisions and for those an
// earlier session left undelivered. Both engines reach it through
// session/steer (the port's one route: review keys → steer → here → gitops);
// the `wend accept/reject/undo` verbs call Apply directly.
package review

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/steer"
)

// Decider is what Apply needs: a plain gitops session, or a worktree session
// (*gitops.Mirrored) whose accepts and undo-all also move the user's tree.
type Decider interface {
	ID() string
	Proposals(ctx context.Context) ([]gitops.FileChange, error)
	// Proposes tells a file path from a hunk id without computing the
	// proposals, so a decision computes them once.
	Proposes(path string) bool
	Modify(ctx context.Context, path string, content []byte, reason string) (gitops.Decision, error)
	AcceptHunk(ctx context.Context, id, reason string) (gitops.Decision, error)
	RejectHunk(ctx context.Context, id, reason string) (gitops.Decision, error)
	AcceptFile(ctx context.Context, path, reason string) (gitops.Decision, error)
	RejectFile(ctx context.Context, path, reason string) (gitops.Decision, error)
	AcceptAll(ctx context.Context, reason string) ([]gitops.Decision, error)
	RejectAll(ctx context.Context, reason string) ([]gitops.Decision, error)
	UndoAll(ctx context.Context, reason string) ([]gitops.Decision, error)
	Undo(ctx context.Context, target, reason string) (gitops.Decision, error)
}

var (
	_ Decider = (*gitops.Session)(nil)
	_ Decider = (*gitops.Mirrored)(nil)
)

// Staging adapts one gitops session to the engines' staging ports (Staged,
// Decide) and to the listing half of session.Review (Changes,
// ChangeContent). Safe for concurrent use.
type Staging struct {
	gs *gitops.Session
	d  Decider
	// told is the last decision whose feedback this process has handed to the
	// engine; gitops acknowledges it only once the model has it (Feedback).
	mu   sync.Mutex
	told int
}

// New adapts gs, deciding on gs itself.
func New(gs *gitops.Session) *Staging { return &Staging{gs: gs, d: gs} }

// NewMirrored adapts a worktree session: listing is the worktree's, deciding
// goes through the mirror, so accepts reach the user's tree too.
func NewMirrored(m *gitops.Mirrored) *Staging { return &Staging{gs: m.Session, d: m} }

// Session is the gitops session behind the adapter.
func (s *Staging) Session() *gitops.Session { return s.gs }

// Changes lists the pending proposals as the session's plain data.
func (s *Staging) Changes(ctx context.Context) ([]session.FileChange, error) {
	fcs, err := s.gs.Proposals(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]session.FileChange, len(fcs))
	for i, fc := range fcs {
		out[i] = FileChange(fc)
	}
	return out, nil
}

// ChangeContent is the agent's version of path, not the working tree's, which
// may hold the user's edits.
func (s *Staging) ChangeContent(ctx context.Context, path string) (string, error) {
	data, err := s.gs.AgentVersion(ctx, path)
	return string(data), err
}

// FileChange is gitops' proposal as the session's plain data.
func FileChange(fc gitops.FileChange) session.FileChange {
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
func (s *Staging) Staged(ctx context.Context, paths []string) ([]session.ChangeStaged, error) {
	fcs, err := s.gs.Proposals(ctx)
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

// Decide applies a review decision and returns what the model must hear
// about it (rejections, modifications, undos): the engines' Reviewer port.
func (s *Staging) Decide(ctx context.Context, d session.Decision) (steer.Feedback, error) {
	if _, err := Apply(ctx, s.d, d); err != nil {
		return steer.Feedback{}, err
	}
	return s.Feedback(), nil
}

// Feedback renders the decisions the model has not heard of, including those
// an earlier process of this session left undelivered. They are acknowledged
// in the journal only when the engine reports them delivered (the model
// request carrying them succeeded); until then a later session or `wend
// changes` still sees them.
func (s *Staging) Feedback() steer.Feedback {
	s.mu.Lock()
	defer s.mu.Unlock()
	fb := s.gs.FeedbackAfter(s.told)
	if len(fb) == 0 {
		return steer.Feedback{}
	}
	seq := fb[len(fb)-1].Seq
	s.told = seq
	gs := s.gs
	return steer.Feedback{Text: gitops.FeedbackText(fb), Delivered: func() {
		// A failed ack only means the model may hear this again later.
		gs.AckFeedback(context.Background(), seq)
	}}
}

// Earlier is the feedback session id left undelivered (fb, from its
// journal), introduced with about ("session X, task …"), for a later
// session's first request; ack records its delivery in that journal.
func Earlier(about string, fb []gitops.Decision, ack func(seq int)) steer.Feedback {
	if len(fb) == 0 {
		return steer.Feedback{}
	}
	seq := fb[len(fb)-1].Seq
	return steer.Feedback{
		Text:      fmt.Sprintf("Earlier review feedback not yet delivered (%s):\n%s", about, strings.TrimRight(gitops.FeedbackText(fb), "\n")),
		Delivered: func() { ack(seq) },
	}
}

// Apply applies one decision to a gitops session; the engines (through
// Staging) and the `wend accept/reject/undo` verbs share it, so the TUI and
// the CLI always agree. It returns the decisions gitops made, so the verbs can
// say exactly what changed. A decision that changes nothing ("all" with
// nothing undecided) is an error (NothingToDo), never a silent success. It
// computes the proposals once per target: a path is told from a hunk id by
// Proposes, and the decision itself looks the target up.
func Apply(ctx context.Context, gs Decider, d session.Decision) ([]gitops.Decision, error) {
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
		case d.Action == session.ReviewAccept && gs.Proposes(t):
			one, err = gs.AcceptFile(ctx, t, d.Reason)
		case d.Action == session.ReviewAccept:
			one, err = gs.AcceptHunk(ctx, t, d.Reason)
		case d.Action == session.ReviewReject && gs.Proposes(t):
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
				return made, NothingToDo(fmt.Sprintf("nothing to undo: every path the agent touched in session %s is at its baseline already", gs.ID()))
			}
			return made, NothingToDo(fmt.Sprintf("nothing to %s: no undecided changes in session %s", d.Action, gs.ID()))
		}
	}
	return made, nil
}

// NothingToDo is a decision that found nothing to change: an error, so a
// script's `wend accept all` never reports success for no work.
type NothingToDo string

func (e NothingToDo) Error() string { return string(e) }
