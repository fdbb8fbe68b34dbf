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
	"gitlab.com/wend/wend/session/store"
	"gitlab.com/wend/wend/ui"
)

// resumeOptions are what `wend resume` needs. The terminal UI (in process or
// on a session host) is a function, so a test drives the verb without a
// terminal.
type resumeOptions struct {
	verbIO
	args       []string // [ID], or none for the latest
	worktree   bool     // --worktree: the session runs in its own worktree, in process
	replayFile string   // --replay, checked before a host is started
	// assembly is what wiring the session takes from the invocation (globals.assembly).
	assembly func(ws *workspace, interactive bool) assemble.Options
	// attachTo and attachUI find or start the session's host and run the UI on
	// it (hostclient.go), when host = true.
	attachTo func(ctx context.Context, st *store.Store, args []string) (string, error)
	attachUI func(ctx context.Context, sock string, opts ui.Options) error
	// runUI runs the terminal UI on the session in this process (runUIOn).
	runUI func(ctx context.Context, e assemble.Engine, opts ui.Options) error
	// gitlabClient connects to the project's GitLab, for completion (globals.gitlabClient).
	gitlabClient gitlabOpener
}

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
			o := resumeOptions{verbIO: g.verbIO(), args: args, worktree: g.worktree, replayFile: g.replayFile,
				assembly: g.assembly, runUI: runUIOn, gitlabClient: g.gitlabClient}
			o.attachTo, o.attachUI = g.hostAttacher()
			return runResume(cmd.Context(), &o)
		},
	}
}

// runResume is `wend resume`.
func runResume(ctx context.Context, o *resumeOptions) error {
	ws, st, id, rest, err := openStoredSession(ctx, o.workspace, o.args, "wend resume")
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageErr("no session %q in this repository (see wend sessions)", rest[0])
	}
	if ws.settings.Host && !o.worktree {
		// Reopened in a session host, so it outlives this terminal too; one
		// that a host still runs is simply attached (hostclient.go).
		if _, _, err := assemble.NewProvider(ws.settings, assemble.ProviderOptions{Replay: o.replayFile}); err != nil {
			return err
		}
		sock, err := o.attachTo(ctx, st, []string{id})
		var hu *hostUnavailable
		if err == nil {
			return o.attachUI(ctx, sock, hostedOptions(ctx, o.gitlabClient, ws))
		} else if !errors.As(err, &hu) {
			return err
		}
		fmt.Fprintf(o.errOut, "wend: warning: %v\nwend: the session runs in this terminal instead and ends when it closes\n", hu)
	}
	ls, err := assemble.Reopen(ctx, o.assembly(ws, true), id)
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
		Suggest: &suggester{connect: func() (*gitlab.Client, error) { return o.gitlabClient(ctx, ws, "ui") }},
	}
	uiPrefs(&opts, ws)
	defer pagedFrom(ls, &opts)()
	if ls.Reopened.Killed {
		// The UI replays the log (the interrupted end included) and then sees
		// the retry begin like any task.
		go d.Start(ctx, session.Task{Retry: true})
	}
	err = o.runUI(ctx, d, opts)
	tellWaiting(o.out, ls.ID, opts.Review) // quitnote.go
	return err
}
