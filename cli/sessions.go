package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/assemble"
)

// sessionsOptions are `wend sessions`'s: list (as JSON), or prune.
type sessionsOptions struct {
	verbIO
	json, prune, dryRun bool
	olderThan           string
}

func newSessionsCmd(g *globals) *cobra.Command {
	var o sessionsOptions
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "List this repository's sessions, newest first (--prune removes ended ones)",
		Long: `List this repository's sessions, newest first.

--prune removes the sessions that are done with: ended (finished, stopped,
failed or interrupted), open in no process, and holding nothing for you (no
undecided change, no rejection feedback the model has not received). Their
refs (refs/wend/<id>/*), their directory under .git/wend/ and any worktree they
left go. Every wend and wend run also removes up to 20 such sessions idle for
30 days.`,
		Example: "  wend sessions\n  wend sessions --prune --dry-run\n  wend sessions --prune --older-than 14d",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.verbIO = g.verbIO()
			return runSessions(cmd.Context(), &o)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "one JSON object per session")
	cmd.Flags().BoolVar(&o.prune, "prune", false, "remove ended sessions that hold nothing for you")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "with --prune: say what would be removed, remove nothing")
	cmd.Flags().StringVar(&o.olderThan, "older-than", "", "with --prune: only sessions idle this `long` (14d, 36h)")
	return cmd
}

// runSessions is `wend sessions`.
func runSessions(ctx context.Context, so *sessionsOptions) error {
	if !so.prune && (so.dryRun || so.olderThan != "") {
		return usageErr("--dry-run and --older-than go with --prune")
	}
	var o pruneOptions
	if so.olderThan != "" {
		d, err := parseAge(so.olderThan)
		if err != nil {
			return usageErr("%v", err)
		}
		o.olderThan = d
	}
	o.dryRun = so.dryRun
	ws, err := so.workspace(ctx)
	if err != nil {
		return err
	}
	st, err := assemble.Store(ctx, ws.repo)
	if err != nil {
		return err
	}
	if so.prune {
		res, err := pruneSessions(ctx, ws.repo.Root(), st, o)
		if err != nil {
			return err
		}
		res.report(so.out, so.dryRun)
		if len(res.failed) > 0 {
			return fmt.Errorf("%d %s could not be pruned", len(res.failed), plural(len(res.failed), "session", "sessions"))
		}
		return nil
	}
	list, err := st.List()
	if err != nil {
		return err
	}
	rows := describeSessions(ctx, ws.repo.Root(), st, list)
	if so.json {
		enc := json.NewEncoder(so.out)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	if len(list) == 0 {
		fmt.Fprintln(so.out, "No sessions yet in this repository. Start one with: wend \"your task\"")
		return nil
	}
	tw := tabwriter.NewWriter(so.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTARTED\tAGE\tSTATE\tSTEPS\tUNDECIDED\tTASK")
	now := time.Now()
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%s\t%s\n", r.ID, r.Started.Local().Format("Jan 2 15:04"), ageWords(now.Sub(r.Started)),
			r.Shown, r.Done, r.Steps, undecided(r.Undecided), oneLine(r.Task, 60))
	}
	return tw.Flush()
}

// oneLine flattens text and cuts it to n runes.
func oneLine(s string, n int) string { return shortArgs([]byte(s), n) }
