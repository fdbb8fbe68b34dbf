package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/remote/gitlab"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui"
)

func newResumeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "resume [ID]",
		Short: "Reopen the latest session (or ID) in the terminal UI and go on where it stopped",
		Long: `Reopen this repository's latest session (or the one named) in the terminal UI:
its transcript, plan and proposed changes come back from the store, and the
model keeps the conversation so far. A task whose wend was killed or crashed
runs again from where the files are now; a call that was in flight then is not
repeated: the model is told it was interrupted. A session that had ended
waits for your next task (or /retry).`,
		Example: "  wend resume\n  wend resume 20261204-204500-a1b2c3\n  wend run --resume            (the same, headless)",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return resumeInteractive(cmd.Context(), g, args)
		},
	}
}

func resumeInteractive(ctx context.Context, g *globals, args []string) error {
	ws, st, id, rest, err := openStoredSession(ctx, g.openWorkspace, args, "wend resume")
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageErr("no session %q in this repository (see wend sessions)", rest[0])
	}
	if ws.settings.Host && !g.worktree {
		// Reopened in a session host, so it outlives this terminal too; one
		// that a host still runs is simply attached (hostclient.go).
		if _, _, err := assemble.NewProvider(ws.settings, assemble.ProviderOptions{Replay: g.replayFile}); err != nil {
			return err
		}
		sock, err := attachTo(ctx, g, st, []string{id})
		var hu *hostUnavailable
		if err == nil {
			return attachUI(ctx, g, sock, hostedOptions(ctx, g, ws))
		} else if !errors.As(err, &hu) {
			return err
		}
		fmt.Fprintf(g.stderr, "wend: warning: %v\nwend: the session runs in this terminal instead and ends when it closes\n", hu)
	}
	ls, err := assemble.Reopen(ctx, g.assembly(ws, true), id)
	if err != nil {
		return err
	}
	defer ls.Close()
	d := ls.Background(ctx, nil)
	opts := ui.Options{
		Repository: filepath.Base(ws.repo.Root()), Branch: ws.branch,
		Provider: ws.settings.Provider, Model: ls.Model,
		Keys: ws.settings.Keys, Files: repoFiles{ctx: ctx, r: ws.repo},
		Review:  d,
		Suggest: &suggester{connect: func() (*gitlab.Client, error) { return g.gitlabClient(ctx, ws, "ui") }},
	}
	uiPrefs(&opts, ws)
	defer pagedFrom(ls, &opts)()
	if ls.Reopened.Killed {
		// The UI replays the log (the interrupted end included) and then sees
		// the retry begin like any task.
		go d.Start(ctx, session.Task{Retry: true})
	}
	err = runUIOn(ctx, d, opts)
	tellWaiting(g.stdout, ls.ID, opts.Review) // quitnote.go
	return err
}
