package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/session"
)

func init() {
	register(newChangesCmd)
	register(func(g *globals) *cobra.Command { return newDecideCmd(g, session.ReviewAccept) })
	register(func(g *globals) *cobra.Command { return newDecideCmd(g, session.ReviewReject) })
	register(newUndoCmd)
}

// openStaging opens the staging area of a stored session: the one named, else the
// newest of this repository.
func openStaging(ctx context.Context, g *globals, id string) (*gitops.Session, error) {
	ws, err := g.openWorkspace(ctx)
	if err != nil {
		return nil, err
	}
	if id == "" {
		st, err := sessionStore(ctx, ws.repo)
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
		return nil, usageErr("session %s has no staged changes here (see `wend sessions`)", id)
	}
	return gs, err
}

func newChangesCmd(g *globals) *cobra.Command {
	var id string
	var asJSON, stat bool
	cmd := &cobra.Command{
		Use:   "changes",
		Short: "Show a session's proposed changes with their hunk ids",
		Long: `Show the changes the agent proposed and you have not decided yet, by file and
hunk. Decide them with 'wend accept' and 'wend reject', by hunk id, by path, or all.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			gs, err := openStaging(cmd.Context(), g, id)
			if err != nil {
				return err
			}
			defer gs.Close()
			fcs, err := gs.Proposals(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]session.FileChange, len(fcs))
				for i, fc := range fcs {
					out[i] = toFileChange(fc)
				}
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"session": gs.ID(), "changes": out})
			}
			if len(fcs) == 0 {
				fmt.Fprintf(g.stdout, "Session %s has no undecided changes.\n", gs.ID())
				return nil
			}
			fmt.Fprintf(g.stdout, "Session %s: %d file(s) with proposed changes\n", gs.ID(), len(fcs))
			for _, fc := range fcs {
				printChange(g, fc, stat)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&id, "session", "", "the session (default: the newest)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&stat, "stat", false, "files and hunk ids only, no diff lines")
	return cmd
}

func printChange(g *globals, fc gitops.FileChange, stat bool) {
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
	fmt.Fprintf(g.stdout, "\n%s  %s  +%d -%d%s\n", name, fc.Kind, fc.Added, fc.Deleted, extra)
	for _, h := range fc.Hunks {
		fmt.Fprintf(g.stdout, "  hunk %s  @@ -%d,%d +%d,%d @@ %s\n", h.ID, h.OldStart, h.OldLines, h.NewStart, h.NewLines, h.Header)
		if stat {
			continue
		}
		for _, l := range h.Lines {
			fmt.Fprintf(g.stdout, "    %s\n", l)
		}
	}
}

func newDecideCmd(g *globals, action session.ReviewAction) *cobra.Command {
	var id, reason string
	verb := string(action)
	cmd := &cobra.Command{
		Use: verb + " ID...",
		Short: map[session.ReviewAction]string{
			session.ReviewAccept: "Accept proposed changes: they become staged changes in git's index",
			session.ReviewReject: "Reject proposed changes: the working tree returns to what it was",
		}[action],
		Long: `IDs are hunk ids (from 'wend changes'), file paths, or "all".` + map[session.ReviewAction]string{
			session.ReviewAccept: "\nAccepted hunks are added to the index on top of what you had staged.",
			session.ReviewReject: "\nThe agent is told about the rejection, with --reason, when its session continues.",
		}[action],
		Example: "  wend " + verb + " 3f9a2c1\n  wend " + verb + " src/main.go\n  wend " + verb + " all",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dc, done, err := openDecider(cmd.Context(), g, id)
			if err != nil {
				return err
			}
			defer done()
			d := session.Decision{Kind: session.DecideReview, Action: action, Targets: args, Reason: reason}
			if err := decide(cmd.Context(), dc, d); err != nil {
				return explainDecision(err)
			}
			fmt.Fprintf(g.stdout, "%s: %s\n", map[session.ReviewAction]string{session.ReviewAccept: "Accepted", session.ReviewReject: "Rejected"}[action], strings.Join(args, ", "))
			return nil
		},
	}
	cmd.Flags().StringVar(&id, "session", "", "the session (default: the newest)")
	if action == session.ReviewReject {
		cmd.Flags().StringVar(&reason, "reason", "", "why, for the agent")
	}
	return cmd
}

func newUndoCmd(g *globals) *cobra.Command {
	var id, reason string
	cmd := &cobra.Command{
		Use:   "undo [ID...]",
		Short: "Take back decisions, or return every path the agent touched to the session's baseline",
		Long: `With hunk ids or paths, take back the newest decision on each: an accepted hunk
leaves the index and is proposed again, a rejected one comes back into the working
tree. Without arguments, every path the agent touched returns to what it was when
the session started.`,
		Example: "  wend undo 3f9a2c1\n  wend undo src/main.go\n  wend undo",
		RunE: func(cmd *cobra.Command, args []string) error {
			dc, done, err := openDecider(cmd.Context(), g, id)
			if err != nil {
				return err
			}
			defer done()
			targets := args
			if len(targets) == 0 {
				targets = []string{"all"}
			}
			if err := decide(cmd.Context(), dc, session.Decision{Kind: session.DecideReview, Action: session.ReviewUndo, Targets: targets, Reason: reason}); err != nil {
				return explainDecision(err)
			}
			if len(args) == 0 {
				fmt.Fprintln(g.stdout, "Undone: every path the agent touched is back to the session's baseline.")
			} else {
				fmt.Fprintf(g.stdout, "Undone: the last decision on %s\n", strings.Join(args, ", "))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&id, "session", "", "the session (default: the newest)")
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the agent")
	return cmd
}

// explainDecision keeps gitops' precise message and adds what to do next.
func explainDecision(err error) error {
	var ce *gitops.ConflictError
	switch {
	case errors.As(err, &ce):
		return &exitError{code: ExitFailed, err: fmt.Errorf("%v\nResolve it by hand, or decide the whole file with its path", err)}
	case errors.Is(err, gitops.ErrNothingToUndo):
		return &exitError{code: ExitUsage, err: fmt.Errorf("%v\nOnly decisions not yet undone can be taken back; see them with: wend changes", err)}
	case errors.Is(err, gitops.ErrUnknownProposal):
		return &exitError{code: ExitUsage, err: fmt.Errorf("%v\nSee the pending hunk ids with: wend changes --stat", err)}
	}
	return err
}
