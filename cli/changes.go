package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/review"
	"gitlab.com/wend/wend/session/store"
)

// openStaging opens the staging area of a stored session: the one named, else the
// newest of this repository.
func openStaging(ctx context.Context, open workspaceOpener, id string) (*gitops.Session, error) {
	ws, err := open(ctx)
	if err != nil {
		return nil, err
	}
	if id == "" {
		st, err := assemble.Store(ctx, ws.repo)
		if err != nil {
			return nil, err
		}
		list, err := st.List()
		if err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, usageErr("no sessions in this repository yet; start one with: wend \"your task\"")
		}
		id = list[0].ID
	}
	gs, err := gitops.Open(ctx, ws.repo.Root(), id)
	if errors.Is(err, gitops.ErrNoSession) {
		return nil, usageErr("session %s has no proposed changes here (see `wend sessions`)", id)
	}
	return gs, err
}

// changesOptions are `wend changes`'s: which session, and how to print.
type changesOptions struct {
	verbIO
	session             string
	json, stat, noColor bool
}

func newChangesCmd(g *globals) *cobra.Command {
	var o changesOptions
	cmd := &cobra.Command{
		Use:   "changes",
		Short: "Show every session's undecided changes with their hunk ids",
		Long: `Show the changes agents proposed and you have not decided yet, by session
(newest first), file and hunk, and rejection reasons not yet delivered to the
model. Decide them with 'wend accept' and 'wend reject', by hunk id, by path,
or all.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.verbIO = g.verbIO()
			return runChanges(cmd.Context(), &o)
		},
	}
	cmd.Flags().StringVar(&o.session, "session", "", "only this session (default: every session with undecided changes)")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON: one object per session")
	cmd.Flags().BoolVar(&o.stat, "stat", false, "files and hunk ids only, no diff lines")
	cmd.Flags().BoolVar(&o.noColor, "no-color", false, "no colour even on a terminal (as NO_COLOR=1)")
	return cmd
}

// runChanges is `wend changes`.
func runChanges(ctx context.Context, o *changesOptions) error {
	var list []waitingSession
	id := o.session
	if id != "" {
		gs, err := openStaging(ctx, o.workspace, id)
		if err != nil {
			return err
		}
		w, err := waitingIn(ctx, gs, store.Summary{ID: id})
		gs.Close()
		if err != nil {
			return err
		}
		list = []waitingSession{w}
	} else {
		all, newest, err := waitingSessions(ctx, o.workspace)
		if err != nil {
			return err
		}
		list = all
		if len(list) == 0 && newest != "" {
			list = []waitingSession{{sum: store.Summary{ID: newest}}}
		}
	}
	if o.json {
		enc := json.NewEncoder(o.out)
		enc.SetIndent("", "  ")
		for _, w := range list {
			out := make([]session.FileChange, len(w.changes))
			for i, fc := range w.changes {
				out[i] = review.FileChange(fc)
			}
			var fb []string
			if len(w.feedback) > 0 {
				fb = strings.Split(strings.TrimSpace(gitops.FeedbackText(w.feedback)), "\n")
			}
			if err := enc.Encode(map[string]any{"session": w.sum.ID, "task": w.sum.Task, "changes": out, "feedback_pending": fb}); err != nil {
				return err
			}
		}
		return nil
	}
	if len(list) == 0 || len(list) == 1 && len(list[0].changes) == 0 && len(list[0].feedback) == 0 {
		if id != "" {
			fmt.Fprintf(o.out, "Session %s has no undecided changes.\n", id)
		} else {
			fmt.Fprintln(o.out, "There are no undecided changes in this repository's sessions.")
		}
		return nil
	}
	colour := diffColour(o.rawOut, o.env, o.noColor) // diffcolour.go
	for i, w := range list {
		if i > 0 {
			fmt.Fprintln(o.out)
		}
		head := ""
		if w.sum.Task != "" {
			head = ": " + oneLine(w.sum.Task, 60)
		}
		if len(w.changes) == 0 {
			fmt.Fprintf(o.out, "Session %s%s\n  no undecided changes\n", w.sum.ID, head)
		} else {
			fmt.Fprintf(o.out, "Session %s%s\n  %d file(s) with undecided changes\n", w.sum.ID, head, len(w.changes))
		}
		if len(w.feedback) > 0 {
			fmt.Fprintf(o.out, "  feedback not yet delivered to the model (%d decision(s); it stays in the session's journal):\n", len(w.feedback))
			for _, l := range strings.Split(strings.TrimSpace(gitops.FeedbackText(w.feedback)), "\n") {
				fmt.Fprintf(o.out, "    %s\n", l)
			}
		}
		for _, fc := range w.changes {
			printChange(o.verbIO, fc, o.stat, colour)
		}
	}
	if len(list) > 1 {
		fmt.Fprintln(o.out, "\nSeveral sessions wait on you: decide by hunk id or path, or add --session ID to accept/reject all.")
	}
	return nil
}

// uncertainNote marks a change wend cannot attribute: reject and undo keep it.
const uncertainNote = "changed while the command ran: reject and undo keep these bytes"

// printChange prints one file's pending hunks. With colour, the diff goes to the
// raw terminal with wend's own escapes around text sanitized here.
func printChange(v verbIO, fc gitops.FileChange, stat, colour bool) {
	name := fc.Path
	if fc.OldPath != "" {
		name = fc.OldPath + " → " + fc.Path
	}
	extra := ""
	if fc.Binary {
		extra = " (binary)"
	}
	if fc.OldMode != "" && fc.NewMode != "" && fc.OldMode != fc.NewMode {
		extra += fmt.Sprintf(" (mode %s → %s)", fc.OldMode, fc.NewMode)
	}
	if fc.Uncertain {
		extra += " (" + uncertainNote + ")"
	}
	fmt.Fprintf(v.out, "\n%s  %s  +%d -%d%s\n", name, fc.Kind, fc.Added, fc.Deleted, extra)
	out, line, header := v.out, func(l string) string { return l }, func(h string) string { return h }
	if colour {
		if f, ok := v.out.(interface{ Flush() error }); ok {
			f.Flush() // what went through the guard comes first
		}
		out, line, header = v.rawOut, colourDiffLine, colourHunkHeader
	}
	for _, h := range fc.Hunks {
		// Header is the whole "@@ -a,b +c,d @@" line already.
		hh := h.Header
		if hh == "" {
			hh = fmt.Sprintf("@@ -%d,%d +%d,%d @@", h.OldStart, h.OldLines, h.NewStart, h.NewLines)
		}
		fmt.Fprintf(out, "  hunk %s  %s\n", line(h.ID), header(hh))
		if stat {
			continue
		}
		for _, l := range h.Lines {
			fmt.Fprintf(out, "    %s\n", line(l))
		}
	}
}

// decideOptions are `wend accept` and `wend reject`'s: the targets (hunk
// ids, paths or "all"), the session holding them ("" finds it), and a
// rejection's reason.
type decideOptions struct {
	verbIO
	action          session.ReviewAction
	targets         []string
	session, reason string
}

func newDecideCmd(g *globals, action session.ReviewAction) *cobra.Command {
	o := decideOptions{action: action}
	verb := string(action)
	cmd := &cobra.Command{
		Use: verb + " ID...",
		Short: map[session.ReviewAction]string{
			session.ReviewAccept: "Accept proposed changes: they become staged changes in git's index",
			session.ReviewReject: "Reject proposed changes: the working tree returns to what it was",
		}[action],
		Long: `IDs are hunk ids (from 'wend changes'), file paths, or "all". Without --session,
the session that holds them is used; when several do, name one with --session.` + map[session.ReviewAction]string{
			session.ReviewAccept: "\nAccepted hunks are added to the index on top of what you had staged.",
			session.ReviewReject: "\nThe agent is told about the rejection, with --reason, when its session continues.",
		}[action],
		Example: "  wend " + verb + " 3f9a2c1\n  wend " + verb + " src/main.go\n  wend " + verb + " all",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.verbIO, o.targets = g.verbIO(), args
			return runDecide(cmd.Context(), &o)
		},
	}
	cmd.Flags().StringVar(&o.session, "session", "", "the session (default: the one holding the IDs)")
	if action == session.ReviewReject {
		cmd.Flags().StringVar(&o.reason, "reason", "", "why, for the agent")
	}
	return cmd
}

// runDecide is `wend accept` and `wend reject`.
func runDecide(ctx context.Context, o *decideOptions) error {
	args, err := resolveHunkIDs(ctx, o.workspace, o.session, o.action, o.targets) // hunkids.go
	if err != nil {
		return err
	}
	dc, done, err := openChosenDecider(ctx, o.verbIO, o.session, o.action, args)
	if err != nil {
		return err
	}
	defer done()
	d := session.Decision{Kind: session.DecideReview, Action: o.action, Targets: args, Reason: o.reason}
	made, err := review.Apply(ctx, dc, d)
	if len(made) > 0 {
		past := map[session.ReviewAction]string{session.ReviewAccept: "Accepted", session.ReviewReject: "Rejected"}[o.action]
		fmt.Fprintf(o.out, "%s (session %s)\n", describeDecided(past, made), dc.ID())
	}
	if err != nil {
		return explainDecision(err)
	}
	return nil
}

// undoOptions are `wend undo`'s: hunk ids or paths whose newest decision is
// taken back, or all (every path the agent touched back to the baseline).
type undoOptions struct {
	verbIO
	targets         []string
	all             bool
	session, reason string
}

func newUndoCmd(g *globals) *cobra.Command {
	var o undoOptions
	cmd := &cobra.Command{
		Use:   "undo [ID...]",
		Short: "Take back decisions, or (--all) return every path the agent touched to the session's baseline",
		Long: `With hunk ids or paths, take back the newest decision on each: an accepted hunk
leaves the index and is proposed again, a rejected one comes back into the working
tree. With --all, every path the agent touched returns to what it was when the
session started, discarding the agent's changes and your decisions on them;
without IDs or --all, wend says what --all would discard (and asks, on a terminal).`,
		Example: "  wend undo 3f9a2c1\n  wend undo src/main.go\n  wend undo --all",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.verbIO, o.targets = g.verbIO(), args
			return runUndo(cmd.Context(), &o)
		},
	}
	cmd.Flags().StringVar(&o.session, "session", "", "the session (default: the one holding the IDs)")
	cmd.Flags().StringVar(&o.reason, "reason", "", "why, for the agent")
	cmd.Flags().BoolVar(&o.all, "all", false, "return every path the agent touched to the session's baseline")
	return cmd
}

// openChosenDecider opens the named session for a decision, or, when none is
// named, the one the targets belong to.
func openChosenDecider(ctx context.Context, v verbIO, id string, action session.ReviewAction, targets []string) (review.Decider, func(), error) {
	if id == "" {
		picked, err := pickSession(ctx, v.workspace, action, targets)
		if err != nil {
			return nil, nil, err
		}
		id = picked
	}
	return openDecider(ctx, v, id)
}

// runUndo is `wend undo`.
func runUndo(ctx context.Context, o *undoOptions) error {
	args := o.targets
	if o.all && len(args) > 0 {
		return usageErr("give hunk ids or paths, or --all, not both")
	}
	targets, err := resolveHunkIDs(ctx, o.workspace, o.session, session.ReviewUndo, args) // hunkids.go
	if err != nil {
		return err
	}
	if len(targets) == 0 {
		targets = []string{"all"}
	}
	dc, done, err := openChosenDecider(ctx, o.verbIO, o.session, session.ReviewUndo, targets)
	if err != nil {
		return err
	}
	defer done()
	if len(args) == 0 && !o.all {
		if err := confirmUndoAll(o.verbIO, dc); err != nil {
			return err
		}
	}
	made, err := review.Apply(ctx, dc, session.Decision{Kind: session.DecideReview, Action: session.ReviewUndo, Targets: targets, Reason: o.reason})
	if len(made) > 0 {
		if len(args) == 0 {
			fmt.Fprintf(o.out, "Undone (session %s): %s back to the session's baseline: %s\n", dc.ID(), plural(len(made), "1 file", fmt.Sprint(len(made), " files")), strings.Join(paths(made), ", "))
		} else {
			fmt.Fprintf(o.out, "%s (session %s)\n", describeDecided("Undid the last decision on", made), dc.ID())
		}
	}
	if err != nil {
		return explainDecision(err)
	}
	return nil
}

// confirmUndoAll guards a bare `wend undo`, which would discard every
// decision and all the agent's work: it says what would go, then asks when
// stdin is a terminal and refuses otherwise (--all is the explicit form).
func confirmUndoAll(v verbIO, dc review.Decider) error {
	gs := sessionOf(dc)
	touched := gs.Touched()
	if len(touched) == 0 {
		return &exitError{code: ExitFailed, err: fmt.Errorf("nothing to undo: every path the agent touched in session %s is at its baseline already", dc.ID())}
	}
	what := fmt.Sprintf("This discards %d accepted/rejected %s and the agent's changes to %d %s: %s.",
		gs.Standing(), plural(gs.Standing(), "decision", "decisions"), len(touched), plural(len(touched), "file", "files"), strings.Join(touched, ", "))
	if !isTerminal(v.in) {
		return usageErr("%s\nRun 'wend undo --all' to do that, or take back single decisions: wend undo HUNK-ID|PATH", what)
	}
	fmt.Fprintf(v.out, "%s Continue? [y/N] ", what)
	answer, _ := bufio.NewReader(v.in).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return &exitError{code: ExitFailed, err: errors.New("nothing undone")}
	}
	return nil
}

// sessionOf is the gitops session behind a decider.
func sessionOf(dc review.Decider) *gitops.Session {
	if m, ok := dc.(*gitops.Mirrored); ok {
		return m.Session
	}
	return dc.(*gitops.Session)
}

// isTerminal reports whether r is a terminal: a file whose terminal
// attributes can be read. A character device is not enough (/dev/null is
// one, and a script's `</dev/null` must not be prompted).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

func paths(ds []gitops.Decision) []string {
	var out []string
	for _, d := range ds {
		if !slices.Contains(out, d.Path) {
			out = append(out, d.Path)
		}
	}
	return out
}

// explainDecision keeps gitops' precise message and adds what to do next.
func explainDecision(err error) error {
	var ce *gitops.ConflictError
	switch {
	case errors.As(err, &ce):
		return &exitError{code: ExitFailed, err: fmt.Errorf("%v\nResolve it by hand, or decide the whole file with its path", err)}
	case errors.As(err, new(review.NothingToDo)):
		return &exitError{code: ExitFailed, err: err}
	case errors.Is(err, gitops.ErrNothingToUndo):
		return &exitError{code: ExitUsage, err: fmt.Errorf("%v\nOnly decisions not yet undone can be taken back; see them with: wend changes", err)}
	case errors.Is(err, gitops.ErrUnknownProposal):
		return &exitError{code: ExitUsage, err: fmt.Errorf("%v\nSee the pending hunk ids with: wend changes --stat", err)}
	}
	return err
}
