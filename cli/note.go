package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/context/refs"
)

func newNoteCmd(g *globals) *cobra.Command {
	var body, id string
	cmd := &cobra.Command{
		Use:   "note REF",
		Short: "Add a note summarising the work to an issue or merge request",
		Long: `Post a note on an issue or merge request: the text given with -m, or else the
newest session's task and summary. Secrets are redacted before anything is sent.
wend writes to GitLab only when you ask like this.`,
		Example: "  wend note '#12'\n  wend note '!34' -m \"Rebased on main; the pipeline is green.\"",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ref, err := refs.Parse(args[0])
			if err != nil || (ref.Kind != refs.Issue && ref.Kind != refs.MergeRequest) {
				return usageErr("%q is not an issue or merge request reference (#12, !34, or a URL)", args[0])
			}
			ws, err := g.openWorkspace(ctx)
			if err != nil {
				return err
			}
			if strings.TrimSpace(body) == "" {
				task, summary := sessionSummary(ctx, ws, id)
				if summary == "" {
					return usageErr("no session summary to post; give the note with -m TEXT")
				}
				body = fmt.Sprintf("**Task:** %s\n\n%s\n\n_Posted with wend._", firstLine(task), summary)
			}
			c, err := g.gitlabClient(ctx, ws, "note")
			if err != nil {
				return err
			}
			created, err := c.AddNote(ctx, ref, body)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "Added a note to %s: %s\n", created.Ref, created.URL)
			return nil
		},
	}
	cmd.Flags().StringVarP(&body, "message", "m", "", "the note's text (markdown)")
	cmd.Flags().StringVar(&id, "session", "", "summarise this session (default: the newest)")
	return cmd
}
