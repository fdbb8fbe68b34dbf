package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/cli/demo"
	"gitlab.com/wend/wend/ui"
)

// demoOptions are what `wend demo` needs. Its session is wired from a copy of
// the invocation's globals (setupDemo), so the setup and the terminal UI are
// functions: a test runs the verb without a terminal.
type demoOptions struct {
	verbIO
	json     bool
	headless bool
	keep     bool
	tmpDir   string // where the sample repository's directory is made; "" is os.TempDir
	// setup creates the sample repository in repoDir and starts the demo model (setupDemo).
	setup func(ctx context.Context, repoDir string, interactive bool, delay time.Duration) (*demoRun, error)
	// runUI runs the terminal UI on the demo's session (runUI).
	runUI func(ctx context.Context, d *demoRun, opts ui.Options) error
}

// demoModelName is what the status bar and the session log call the demo model.
const demoModelName = "wend-demo"

func newDemoCmd(g *globals) *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "The whole flow offline: a sample repository and a demo model that follows your steering",
		Long: `Create a small Go repository with a failing test in a temporary directory and
run a session on it. A deterministic demo model (no key, no network: it runs inside
wend on 127.0.0.1 and speaks the OpenAI wire format) drives the real tools, real
edits and a real 'go test', and follows what you do: pause, adjust, edit or delete
plan steps, deny a command, reject a change with a reason, or give a follow-up
task ("now also add a Median function"). It only knows the sample project. The
sample repository is removed afterwards unless --keep is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.verbIO = g.verbIO()
			o.setup = func(ctx context.Context, repoDir string, interactive bool, delay time.Duration) (*demoRun, error) {
				return setupDemo(ctx, g, repoDir, interactive, delay)
			}
			o.runUI = func(ctx context.Context, d *demoRun, opts ui.Options) error { return runUI(ctx, &d.g, d.ws, opts) }
			return runDemo(cmd.Context(), &o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.json, "json", false, "write events as JSON lines")
	f.BoolVar(&o.keep, "keep", false, "keep the sample repository and print where it is")
	f.BoolVar(&o.headless, "headless", false, "print progress lines instead of opening the terminal UI")
	return cmd
}

// runDemo is `wend demo`.
func runDemo(ctx context.Context, o *demoOptions) error {
	tmp, err := os.MkdirTemp(o.tmpDir, "wend-demo-")
	if err != nil {
		return err
	}
	repoDir := filepath.Join(tmp, "stats")
	if o.keep {
		// Said once, at the end, where the UI no longer covers it.
		defer fmt.Fprintf(o.errOut, "wend demo: the sample repository stays at %s\n", repoDir)
	} else {
		defer os.RemoveAll(tmp)
	}
	interactive := !o.headless && !o.json
	var delay time.Duration
	if interactive {
		delay = 15 * time.Millisecond // text arrives as a live model's would
	}
	d, err := o.setup(ctx, repoDir, interactive, delay)
	if err != nil {
		return err
	}
	defer d.close()
	if interactive {
		opts := ui.Options{
			Repository: "stats (demo)", Branch: d.ws.branch, Provider: "demo", Task: demo.Task,
			Files: repoFiles{ctx: ctx, r: d.ws.repo},
		}
		// The user's config does not apply, but --inline and WEND_INLINE,
		// WEND_ASCII and the like do.
		uiPrefs(&opts, d.ws)
		return o.runUI(ctx, d, opts)
	}
	ls, err := assemble.New(ctx, d.g.assembly(d.ws, false))
	if err != nil {
		return err
	}
	defer ls.Close()
	return drive(ctx, ls, demo.Task, &printer{w: o.out, json: o.json})
}

// demoRun is the demo's wiring: the sample repository, the demo model's
// server, and globals that point a session at both.
type demoRun struct {
	g     globals
	ws    *workspace
	model *demo.Server
}

func (d *demoRun) close() { d.model.Close() }

// setupDemo creates the sample repository in repoDir (made here) and starts
// the demo model. The session is an ordinary OpenAI-compatible one whose
// base URL is the model's server, so every part of wend but the answers is
// the real one.
func setupDemo(ctx context.Context, g *globals, repoDir string, interactive bool, delay time.Duration) (*demoRun, error) {
	if err := os.Mkdir(repoDir, 0o755); err != nil {
		return nil, err
	}
	if err := demo.CreateRepo(ctx, repoDir); err != nil {
		return nil, err
	}
	srv, err := demo.Start(delay)
	if err != nil {
		return nil, err
	}
	d := &demoRun{g: *g, model: srv}
	dg := &d.g
	dg.dir, dg.provider, dg.model, dg.baseURL = repoDir, "openai", demoModelName, srv.URL
	dg.replayFile, dg.recordFile = "", ""
	explicit := map[string]bool{"provider": true, "model": true, "base-url": true,
		"inline": g.changed("inline")} // the user's own choice on this command line
	if g.changed("approval") {
		explicit["approval"] = true
	} else {
		// Headless, nobody can approve; in the UI, commands ask, so the
		// approval dialog is part of the tour.
		dg.approval, explicit["approval"] = "full-auto", true
		if interactive {
			dg.approval = "auto-edit"
		}
	}
	dg.changed = func(name string) bool { return explicit[name] }
	dg.configFile = os.DevNull // the user's settings do not apply to the demo
	// Nor do their keys: the demo model needs none, and a key must never be
	// sent anywhere it is not for, even to 127.0.0.1.
	env := g.env
	dg.env = func(k string) string {
		if strings.HasSuffix(k, "_API_KEY") || strings.HasPrefix(k, "GITLAB_") {
			return ""
		}
		return env(k)
	}
	ws, err := dg.openWorkspace(ctx)
	if err != nil {
		srv.Close()
		return nil, err
	}
	d.ws = ws
	return d, nil
}
