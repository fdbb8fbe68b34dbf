package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/context/refs"
	"gitlab.com/wend/wend/remote/gitlab"
)

// contextOptions are what `wend context` needs.
type contextOptions struct {
	verbIO
	refs   []string // the references as given; "!34" "pipeline" is one
	json   bool
	diff   bool
	budget int
	// gitlabClient connects to the project's GitLab (globals.gitlabClient).
	gitlabClient gitlabOpener
}

func newContextCmd(g *globals) *cobra.Command {
	var o contextOptions
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
			o.verbIO, o.refs, o.gitlabClient = g.verbIO(), args, g.gitlabClient
			return runContext(cmd.Context(), &o)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "one JSON object per reference")
	cmd.Flags().BoolVar(&o.diff, "diff", false, "include merge requests' per-file diffs")
	cmd.Flags().IntVar(&o.budget, "budget", 0, "bytes of markdown per reference (default 24 KiB)")
	return cmd
}

// runContext is `wend context`.
func runContext(ctx context.Context, o *contextOptions) error {
	var list []refs.Ref
	for i := 0; i < len(o.refs); i++ {
		a := o.refs[i]
		// `!34 pipeline` may arrive as two arguments.
		if i+1 < len(o.refs) && o.refs[i+1] == "pipeline" {
			a += " pipeline"
			i++
		}
		r, err := refs.Parse(a)
		if err != nil {
			return usageErr("%q is not a reference: %v", a, err)
		}
		list = append(list, r)
	}
	ws, err := o.workspace(ctx)
	if err != nil {
		return err
	}
	c, err := o.gitlabClient(ctx, ws, "")
	if errors.Is(err, assemble.ErrNoGitLab) {
		return usageErr("%v", err)
	}
	if err != nil {
		return err
	}
	results := c.ResolveAll(ctx, list, gitlab.Options{Budget: o.budget, Diff: o.diff})
	failed := 0
	for _, res := range results {
		if res.Err != nil {
			failed++
			fmt.Fprintf(o.errOut, "wend: %s: %v\n", res.Ref, res.Err)
			continue
		}
		if o.json {
			if err := json.NewEncoder(o.out).Encode(res.Item); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintln(o.out, res.Item.Markdown)
	}
	if failed > 0 {
		return &exitError{code: ExitFailed, err: fmt.Errorf("%d of %d references could not be fetched", failed, len(results))}
	}
	return nil
}
