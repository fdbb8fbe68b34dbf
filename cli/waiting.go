package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/store"
)

// What waits on the user across sessions: undecided changes and rejection
// feedback the model has not received. A newer session never hides an older
// one's proposals: `wend changes` lists them all, and the decision verbs find
// the session that holds the hunk or path they are given.

// waitingSession is one stored session and what it still holds for the user.
type waitingSession struct {
	sum      store.Summary
	changes  []gitops.FileChange
	feedback []gitops.Decision // decided, not yet delivered to the model
	touched  []string          // paths undo-all would change
	decided  []gitops.Decision // every decision, for finding an undo's target
}

func (w waitingSession) waits() bool { return len(w.changes) > 0 || len(w.feedback) > 0 }

// waitingIn reads what gs holds.
func waitingIn(ctx context.Context, gs *gitops.Session, sum store.Summary) (waitingSession, error) {
	fcs, err := gs.Proposals(ctx)
	if err != nil {
		return waitingSession{}, fmt.Errorf("session %s: %w", sum.ID, err)
	}
	return waitingSession{sum: sum, changes: fcs, feedback: gs.Feedback(), touched: gs.Touched(), decided: gs.Decisions()}, nil
}

// scanSessions reads every stored session that has a staging journal, newest
// first; newest is the newest session's id ("" when there is none).
func scanSessions(ctx context.Context, open workspaceOpener) (all []waitingSession, newest string, err error) {
	ws, err := open(ctx)
	if err != nil {
		return nil, "", err
	}
	st, err := assemble.Store(ctx, ws.repo)
	if err != nil {
		return nil, "", err
	}
	list, err := st.List()
	if err != nil {
		return nil, "", err
	}
	if len(list) > 0 {
		newest = list[0].ID
	}
	for _, sum := range list {
		gs, err := gitops.Open(ctx, ws.repo.Root(), sum.ID)
		if errors.Is(err, gitops.ErrNoSession) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("session %s: %w", sum.ID, err)
		}
		w, err := waitingIn(ctx, gs, sum)
		gs.Close()
		if err != nil {
			return nil, "", err
		}
		all = append(all, w)
	}
	return all, newest, nil
}

// waitingSessions are the sessions with undecided changes or undelivered
// feedback, newest first.
func waitingSessions(ctx context.Context, open workspaceOpener) ([]waitingSession, string, error) {
	all, newest, err := scanSessions(ctx, open)
	return slices.DeleteFunc(all, func(w waitingSession) bool { return !w.waits() }), newest, err
}

// holds reports whether w has target (a hunk id or path; "all": anything) for
// the action: pending proposals for accept and reject, standing changes for undo.
func (w waitingSession) holds(action session.ReviewAction, target string) bool {
	if action == session.ReviewUndo {
		if target == "all" {
			return len(w.touched) > 0
		}
		for _, d := range w.decided {
			if d.Path == target || slices.Contains(d.HunkIDs, target) {
				return true
			}
		}
		return false
	}
	if target == "all" {
		return len(w.changes) > 0
	}
	for _, fc := range w.changes {
		if fc.Path == target || fc.OldPath == target {
			return true
		}
		for _, h := range fc.Hunks {
			if h.ID == target {
				return true
			}
		}
	}
	return false
}

// pickSession chooses the session a decision verb acts on when no --session
// is given: the one that holds the targets. Several is ambiguous and asks for
// --session; none falls back to the newest session, whose own error then says
// what is wrong (an unknown hunk id, nothing to accept).
func pickSession(ctx context.Context, open workspaceOpener, action session.ReviewAction, targets []string) (string, error) {
	all, newest, err := scanSessions(ctx, open)
	if err != nil {
		return "", err
	}
	var hold []waitingSession
	for _, w := range all {
		for _, t := range targets {
			if w.holds(action, t) {
				hold = append(hold, w)
				break
			}
		}
	}
	switch len(hold) {
	case 0:
		if newest == "" {
			return "", usageErr("no sessions in this repository yet; start one with: wend \"your task\"")
		}
		return newest, nil
	case 1:
		return hold[0].sum.ID, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s is held by %d sessions; name one with --session ID:", strings.Join(targets, ", "), len(hold))
	for _, w := range hold {
		fmt.Fprintf(&b, "\n  %s  %s", w.sum.ID, oneLine(w.sum.Task, 60))
	}
	return "", usageErr("%s", b.String())
}

// describeDecided says exactly what decisions changed: "accepted 3 hunks in 2
// files: a.go, b.go".
func describeDecided(verb string, ds []gitops.Decision) string {
	hunks := 0
	var files []string
	for _, d := range ds {
		switch {
		case len(d.HunkIDs) > 0:
			hunks += len(d.HunkIDs)
		case len(d.Hunks) > 0:
			hunks += len(d.Hunks)
		default:
			hunks++ // a binary file, a deletion or a whole-file undo
		}
		if !slices.Contains(files, d.Path) {
			files = append(files, d.Path)
		}
	}
	return fmt.Sprintf("%s %d %s in %d %s: %s", verb, hunks, plural(hunks, "hunk", "hunks"),
		len(files), plural(len(files), "file", "files"), strings.Join(files, ", "))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
