package cli

import (
	"context"
	"path/filepath"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/remote/gitlab"
	"gitlab.com/wend/wend/ui"
)

func newAttachCmd(g *globals) *cobra.Command {
	var watch bool
	cmd := &cobra.Command{
		Use:   "attach [ID]",
		Short: "Show a session that runs in the background (the newest, or ID) in this terminal",
		Long: `Show a session that runs in its session host (host = true in the config) in
this terminal, with its whole transcript, plan, pending approvals and proposed
changes, and drive it from here. Without ID: the newest session whose host is
running in this repository, else the newest session, reopened in a new host.

When your terminal closes or SSH drops, the session detaches instead of
ending: it goes on to its next boundary and pauses there (on_detach = "pause",
the default), or goes on working (on_detach = "continue"); a running command is
never interrupted. wend attach brings it back.

One terminal drives a session at a time; another one that attaches meanwhile
watches read-only (--watch asks for that from the start).`,
		Example: "  wend attach\n  wend attach 20261205-081500-a1b2c3\n  wend attach --watch",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAttach(cmd.Context(), g, args, watch)
		},
	}
	cmd.Flags().BoolVar(&watch, "watch", false, "watch read-only, even when nobody else drives the session")
	return cmd
}

func runAttach(ctx context.Context, g *globals, args []string, watch bool) error {
	ws, err := g.openWorkspace(ctx)
	if err != nil {
		return err
	}
	st, err := assemble.Store(ctx, ws.repo)
	if err != nil {
		return err
	}
	sock, err := attachTo(ctx, g, st, args)
	if err != nil {
		return err
	}
	opts := hostedOptions(ctx, g, ws)
	opts.ReadOnly = watch
	return attachUI(ctx, g, sock, opts)
}

// hostedOptions are the UI's options for a client of a session host: what the
// terminal side knows (the repository, completion); the rest comes over the
// socket.
func hostedOptions(ctx context.Context, g *globals, ws *workspace) ui.Options {
	opts := ui.Options{
		Repository: filepath.Base(ws.repo.Root()), Branch: ws.branch,
		Provider: ws.settings.Provider, Model: ws.settings.Model,
		Keys: ws.settings.Keys, Files: repoFiles{ctx: ctx, r: ws.repo},
		Suggest: &suggester{connect: func() (*gitlab.Client, error) { return g.gitlabClient(ctx, ws, "ui") }},
	}
	if opts.Model == "" {
		opts.Model = assemble.DefaultModels[ws.settings.Provider] // what the host will use
	}
	uiPrefs(&opts, ws) // the terminal's preferences are this terminal's (inline, mouse, ...)
	return opts
}
