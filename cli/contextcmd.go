package cli

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/context/refs"
	"gitlab.com/wend/wend/remote/gitlab"
)

func newContextCmd(g *globals) *cobra.Command {
	var asJSON, diff bool
	var budget int
	cmd := &cobra.Command{
		Use:   "context REF...",
		Short: "Print the context that GitLab references bring (issues, MRs, epics, pipelines, jobs)",
		Long: `Fetch what references point at and print it as the model would see it: bounded
markdown with secrets redacted, saying what was cut and how to get it.

References: #12, group/proj#12, !34, !34 pipeline, &5, group&5, and web URLs of
issues, merge requests, epics, pipelines and jobs.`,
		Example: "  wend context '#12' '!34'\n  wend context https://gitlab.example.com/g/p/-/pipelines/991 --json",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var list []refs.Ref
			for i := 0; i < len(args); i++ {
				a := args[i]
				// `!34 pipeline` may arrive as two arguments.
				if i+1 < len(args) && args[i+1] == "pipeline" {
					a += " pipeline"
					i++
				}
				r, err := refs.Parse(a)
				if err != nil {
					return usageErr("%q is not a reference: %v", a, err)
				}
				list = append(list, r)
			}
			ws, err := g.openWorkspace(ctx)
			if err != nil {
				return err
			}
			c, err := g.gitlabClient(ctx, ws, "")
			if errors.Is(err, assemble.ErrNoGitLab) {
				return usageErr("%v", err)
			}
			if err != nil {
				return err
			}
			results := c.ResolveAll(ctx, list, gitlab.Options{Budget: budget, Diff: diff})
			failed := 0
			for _, res := range results {
				if res.Err != nil {
					failed++
					fmt.Fprintf(g.stderr, "wend: %s: %v\n", res.Ref, res.Err)
					continue
				}
				if asJSON {
					if err := json.NewEncoder(g.stdout).Encode(res.Item); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintln(g.stdout, res.Item.Markdown)
			}
			if failed > 0 {
				return &exitError{code: ExitFailed, err: fmt.Errorf("%d of %d references could not be fetched", failed, len(results))}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per reference")
	cmd.Flags().BoolVar(&diff, "diff", false, "include merge requests' per-file diffs")
	cmd.Flags().IntVar(&budget, "budget", 0, "bytes of markdown per reference (default 24 KiB)")
	return cmd
}
