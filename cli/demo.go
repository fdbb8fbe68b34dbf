package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/cli/demo"
	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/ui"
)

func init() { register(newDemoCmd) }

type demoOptions struct {
	json     bool
	headless bool
	keep     bool
}

func newDemoCmd(g *globals) *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "The whole flow offline: a sample repository and a recorded model conversation",
		Long: `Create a small Go repository with a failing test in a temporary directory and
run a session on it: a recorded model conversation (no key, no network) drives the
real tools, real edits and a real 'go test'. The sample repository is removed
afterwards unless --keep is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			tmp, err := os.MkdirTemp("", "wend-demo-")
			if err != nil {
				return err
			}
			repoDir := filepath.Join(tmp, "stats")
			if o.keep {
				// Said once, at the end, where the UI no longer covers it.
				defer fmt.Fprintf(g.stderr, "wend demo: the sample repository stays at %s\n", repoDir)
			} else {
				defer os.RemoveAll(tmp)
			}
			if err := os.Mkdir(repoDir, 0o755); err != nil {
				return err
			}
			if err := demo.CreateRepo(ctx, repoDir); err != nil {
				return err
			}
			replay := filepath.Join(tmp, "conversation.jsonl")
			if err := os.WriteFile(replay, demo.Conversation, 0o600); err != nil {
				return err
			}
			dg := *g
			dg.dir, dg.provider, dg.model = repoDir, "replay", "recorded-demo"
			dg.changed = func(name string) bool {
				switch name {
				case "provider", "model":
					return true
				case "approval", "inline": // the user's own choice on this command line
					return g.changed(name)
				}
				return false
			}
			if !g.changed("approval") {
				// Headless, nobody can approve; in the UI, commands ask, so the
				// approval dialog is part of the tour.
				dg.approval = "full-auto"
				if !o.headless && !o.json {
					dg.approval = "auto-edit"
				}
				dg.changed = func(name string) bool {
					return name == "provider" || name == "model" || name == "approval" || (name == "inline" && g.changed(name))
				}
			}
			dg.configFile = os.DevNull // the user's settings do not apply to the demo
			ws, err := dg.openWorkspace(ctx)
			if err != nil {
				return err
			}
			if !o.headless && !o.json {
				opts := ui.Options{
					Repository: "stats (demo)", Branch: ws.branch, Provider: "replay", Task: demo.Task,
					Files: repoFiles{ctx: ctx, r: ws.repo},
				}
				// The user's config does not apply, but --inline and WEND_INLINE,
				// WEND_ASCII and the like do.
				uiPrefs(&opts, ws)
				return runUI(ctx, &dg, ws,
					providerOptions{replayFile: replay, replayOpts: []llm.ReplayOption{llm.WithChunkDelay(15 * time.Millisecond)}}, opts)
			}
			ls, err := prepareSession(ctx, &dg, ws, providerOptions{replayFile: replay}, false)
			if err != nil {
				return err
			}
			defer ls.close()
			return drive(ctx, ls, demo.Task, &printer{w: g.stdout, json: o.json})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.json, "json", false, "write events as JSON lines")
	f.BoolVar(&o.keep, "keep", false, "keep the sample repository and print where it is")
	f.BoolVar(&o.headless, "headless", false, "print progress lines instead of opening the terminal UI")
	return cmd
}
