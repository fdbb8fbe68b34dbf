package cli

import (
	"context"
	"path/filepath"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/remote/gitlab"
	"gitlab.com/wend/wend/session/store"
	"gitlab.com/wend/wend/ui"
)

// attachOptions are what `wend attach` needs. Finding (or starting) the
// session's host and running the terminal UI on it are functions, so a test
// drives the verb without a terminal or a host process.
type attachOptions struct {
	verbIO
	args  []string // [ID], or none for the newest
	watch bool
	// attachTo finds the socket of the session's host, starting one if need be
	// (attachTo in hostclient.go).
	attachTo func(ctx context.Context, st *store.Store, args []string) (string, error)
	// attachUI runs the terminal UI as a client of the host at sock (attachUI).
	attachUI func(ctx context.Context, sock string, opts ui.Options) error
	// gitlabClient connects to the project's GitLab, for completion (globals.gitlabClient).
	gitlabClient gitlabOpener
}

// hostAttacher fills the host functions of attach and resume from the globals.
func (g *globals) hostAttacher() (func(context.Context, *store.Store, []string) (string, error), func(context.Context, string, ui.Options) error) {
	return func(ctx context.Context, st *store.Store, args []string) (string, error) {
			return attachTo(ctx, g, st, args)
		},
		func(ctx context.Context, sock string, opts ui.Options) error { return attachUI(ctx, g, sock, opts) }
}

func newAttachCmd(g *globals) *cobra.Command {
	var o attachOptions
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
			o.verbIO, o.args, o.gitlabClient = g.verbIO(), args, g.gitlabClient
			o.attachTo, o.attachUI = g.hostAttacher()
			return runAttach(cmd.Context(), &o)
		},
	}
	cmd.Flags().BoolVar(&o.watch, "watch", false, "watch read-only, even when nobody else drives the session")
	return cmd
}

// runAttach is `wend attach`.
func runAttach(ctx context.Context, o *attachOptions) error {
	ws, err := o.workspace(ctx)
	if err != nil {
		return err
	}
	st, err := assemble.Store(ctx, ws.repo)
	if err != nil {
		return err
	}
	sock, err := o.attachTo(ctx, st, o.args)
	if err != nil {
		return err
	}
	opts := hostedOptions(ctx, o.gitlabClient, ws)
	opts.ReadOnly = o.watch
	return o.attachUI(ctx, sock, opts)
}

// hostedOptions are the UI's options for a client of a session host: what the
// terminal side knows (the repository, completion); the rest comes over the
// socket.
func hostedOptions(ctx context.Context, gitlabClient gitlabOpener, ws *workspace) ui.Options {
	opts := ui.Options{
		Repository: filepath.Base(ws.repo.Root()), Branch: ws.branch,
		Provider: ws.settings.Provider, Model: ws.settings.Model,
		Keys: ws.settings.Keys, Files: repoFiles{ctx: ctx, r: ws.repo},
		Suggest: &suggester{connect: func() (*gitlab.Client, error) { return gitlabClient(ctx, ws, "ui") }},
	}
	if opts.Model == "" {
		opts.Model = assemble.DefaultModels[ws.settings.Provider] // what the host will use
	}
	uiPrefs(&opts, ws) // the terminal's preferences are this terminal's (inline, mouse, ...)
	return opts
}
