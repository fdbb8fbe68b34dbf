package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/context/refs"
)

// noteOptions are what `wend note` needs.
type noteOptions struct {
	verbIO
	ref     string // the issue or merge request, as given
	message string // -m; "" posts the session's summary
	session string // the session to summarise; "" is the newest
	// gitlabClient connects to the project's GitLab (globals.gitlabClient).
	gitlabClient gitlabOpener
}

func newNoteCmd(g *globals) *cobra.Command {
	var o noteOptions
	cmd := &cobra.Command{
		Use:   "note REF",
		Short: "Add a note summarising the work to an issue or merge request",
		Long: `Post a note on an issue or merge request: the text given with -m, or else the
newest session's task and summary. Secrets are redacted before anything is sent.
wend writes to GitLab only when you ask like this.`,
		Example: "  wend note '#12'\n  wend note '!34' -m \"Rebased on main; the pipeline is green.\"",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.verbIO, o.ref, o.gitlabClient = g.verbIO(), args[0], g.gitlabClient
			return runNote(cmd.Context(), &o)
		},
	}
	cmd.Flags().StringVarP(&o.message, "message", "m", "", "the note's text (markdown)")
	cmd.Flags().StringVar(&o.session, "session", "", "summarise this session (default: the newest)")
	return cmd
}

// runNote is `wend note`: post -m TEXT, or the session's summary, on an issue or merge request.
func runNote(ctx context.Context, o *noteOptions) error {
	body := o.message
	ref, err := refs.Parse(o.ref)
	if err != nil || (ref.Kind != refs.Issue && ref.Kind != refs.MergeRequest) {
		return usageErr("%q is not an issue or merge request reference (#12, !34, or a URL)", o.ref)
	}
	ws, err := o.workspace(ctx)
	if err != nil {
		return err
	}
	if strings.TrimSpace(body) == "" {
		task, summary := sessionSummary(ctx, ws, o.session)
		if summary == "" {
			return usageErr("no session summary to post; give the note with -m TEXT")
		}
		body = fmt.Sprintf("**Task:** %s\n\n%s\n\n_Posted with wend._", firstLine(task), summary)
	}
	c, err := o.gitlabClient(ctx, ws, "note")
	if err != nil {
		return err
	}
	created, err := c.AddNote(ctx, ref, body)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.out, "Added a note to %s: %s\n", created.Ref, created.URL)
	return nil
}
