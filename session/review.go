package session

import "context"

// Review is the port for the changes a session proposes, beside Backend: the
// proposals by file and hunk, one file's proposed content, and the user's
// decisions on them. Both engines implement it (session/steer's skeleton, over
// the staging adapter of session/review), and so can a client of a session
// running elsewhere: everything crossing it is plain data.
//
// Listing and deciding take the same route, so what the review shows is what a
// decision acts on.
type Review interface {
	// Changes lists the undecided proposals, sorted by path.
	Changes(ctx context.Context) ([]FileChange, error)
	// ChangeContent is the agent's version of path (not the working tree's,
	// which may hold the user's edits): what "modify" opens in the editor.
	ChangeContent(ctx context.Context, path string) (string, error)
	// Decide applies a review decision: d.Action (accept, reject with
	// d.Reason, modify with d.Content, undo) on d.Targets (hunk ids, file
	// paths, or "all"); d.Kind is DecideReview whatever it held. It returns
	// once the decision is made; ReviewDecided follows in the events, and
	// what the model must hear (a rejection's reason, a modification) reaches
	// it at the next boundary.
	Decide(ctx context.Context, d Decision) error
}
