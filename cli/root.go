// Package cli holds wend's commands (one file per verb) and loads
// configuration; a verb turns its flags into options and calls package
// assemble to wire a session, so no verb builds one its own way.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/cli/config"
	"gitlab.com/wend/wend/internal/termtext"
	"gitlab.com/wend/wend/remote/audit"
	"gitlab.com/wend/wend/session"
)

// Exit codes of the CLI contract.
const (
	ExitOK       = 0
	ExitFailed   = 1
	ExitUsage    = 2
	ExitWaiting  = 3
	exitSignaled = 130
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// globals are the flags every command takes.
type globals struct {
	dir        string
	provider   string
	model      string
	baseURL    string
	approval   string
	configFile string
	gitlabURL  string
	replayFile string
	recordFile string
	worktree   bool
	inline     bool // --inline: the UI without the alternate screen
	stdout     io.Writer
	stderr     io.Writer
	// rawStdout is stdout before the termtext guard, for the few outputs that
	// colour text they sanitized themselves (cli/diffcolour.go).
	rawStdout io.Writer
	stdin     io.Reader
	env       func(string) string
	// changed records which flags the user set, for config precedence.
	changed func(name string) bool
	// flags are the global flags, which a session host is started with too.
	flags *pflag.FlagSet
	// the audit log, opened on first use (see audit).
	auditLog   *audit.Log
	auditTried bool
}

// Main runs the CLI and returns the process exit code.
func Main(args []string) int {
	// First of all: wend's credentials leave the process environment.
	getenv := scrubSecretEnv()
	// WEND_CPUPROFILE=FILE writes a CPU profile of the whole run, for measuring.
	if path := os.Getenv("WEND_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer f.Close()
				defer pprof.StopCPUProfile()
			}
		}
	}
	return run(context.Background(), args, os.Stdin, os.Stdout, os.Stderr, getenv)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) string) int {
	// SIGHUP (the terminal closed, an SSH connection dropped) ends a session the
	// same clean way as ctrl+c: stopped at the next boundary, its end recorded.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	// One guard in front of everything a verb prints: model, GitLab and file text
	// may carry terminal escapes and bidi controls, which show instead of acting.
	// JSON output passes unchanged in meaning (internal/termtext says why).
	rawStdout := stdout
	safeOut, safeErr := termtext.NewWriter(stdout), termtext.NewWriter(stderr)
	defer safeErr.Flush()
	defer safeOut.Flush()
	stdout, stderr = safeOut, safeErr
	g := &globals{stdout: stdout, stderr: stderr, stdin: stdin, env: env, rawStdout: rawStdout}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	failed, err := root.ExecuteContextC(ctx)
	if g.auditLog != nil {
		g.auditLog.Close()
	}
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(stderr, "wend:", ee.err)
		}
		return ee.code
	}
	// What the session's wiring refuses (no provider, a bad policy) is the
	// user's to fix, as a usage error of ours is.
	var ue *assemble.UsageError
	if errors.As(err, &ue) {
		fmt.Fprintln(stderr, "wend:", ue.Err)
		return ExitUsage
	}
	fmt.Fprintln(stderr, "wend:", err)
	if isUsage(err) {
		// The help of the command that failed (`wend accept --help`), not the root's.
		path := "wend"
		if failed != nil {
			path = failed.CommandPath()
		}
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", path)
		return ExitUsage
	}
	return ExitFailed
}

// isUsage recognises cobra's own argument and flag errors.
func isUsage(err error) bool {
	for _, p := range []string{"unknown flag", "unknown shorthand flag", "unknown command", "accepts ", "requires at least", "flag needs an argument", "invalid argument"} {
		if strings.Contains(err.Error(), p) {
			return true
		}
	}
	return false
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "wend [TASK]",
		Short: "An agentic development workflow for GitLab projects, in your terminal",
		Long: `wend plans a task as a live checklist, works through it with tools, and proposes
every change for your review, hunk by hunk. It understands your repository and
your GitLab issues, merge requests, epics and pipelines.

Try it without a key or network:   wend demo
Run a task headless:               wend run "fix the failing test"`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.ArbitraryArgs,
		// --version prints the line `wend version` prints (cli/version.go).
		Version: buildVersion(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := refuseMisspelledVerb(cmd, args); err != nil { // verbtypo.go
				return err
			}
			return runInteractive(cmd.Context(), g, args)
		},
	}
	f := root.PersistentFlags()
	f.StringVarP(&g.dir, "dir", "C", "", "run as if wend was started in `DIR`")
	f.StringVar(&g.provider, "provider", "", "model provider: anthropic, openai, replay, gitlab-duo (GitLab's own agent)")
	f.StringVar(&g.model, "model", "", "model name")
	f.StringVar(&g.baseURL, "base-url", "", "provider base URL (OpenAI-compatible servers, gateways)")
	f.StringVar(&g.approval, "approval", "", "approval policy: read-only, ask, auto-edit, full-auto")
	f.StringVar(&g.configFile, "config", "", "read settings from `FILE` instead of ~/.config/wend/config.toml")
	f.StringVar(&g.gitlabURL, "gitlab-url", "", "GitLab instance URL")
	f.StringVar(&g.replayFile, "replay", "", "play a recorded conversation from `FILE` (with --provider replay)")
	f.StringVar(&g.recordFile, "record", "", "record the model conversation to `FILE` for later replay")
	f.BoolVar(&g.worktree, "worktree", false, "run the agent in a separate git worktree; accepted hunks are applied to your tree")
	f.BoolVar(&g.inline, "inline", false, "run the terminal UI without the alternate screen: the transcript goes to the terminal's scrollback")
	addDuoFlags(g, f)
	root.SetVersionTemplate("{{.Version}}")
	g.changed = func(name string) bool { return root.PersistentFlags().Changed(name) }
	g.flags = root.PersistentFlags()
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErr("%v\nRun '%s --help' for usage.", err, c.CommandPath())
	})
	root.AddCommand(verbs(g)...)
	return root
}

// verbs are wend's commands, one file each, listed here rather than
// registered from each file's init: the list is the whole CLI at a glance,
// and no verb exists by the side effect of a file being compiled in.
func verbs(g *globals) []*cobra.Command {
	return []*cobra.Command{
		newAttachCmd(g),
		newAuditCmd(g),
		newChangesCmd(g),
		newDecideCmd(g, session.ReviewAccept),
		newDecideCmd(g, session.ReviewReject),
		newUndoCmd(g),
		newCICmd(g),
		newCommitCmd(g),
		newConfigCmd(g),
		newContextCmd(g),
		newDemoCmd(g),
		newDoctorCmd(g),
		newHostCmd(g),
		newNoteCmd(g),
		newResumeCmd(g),
		newReviewCmd(g),
		newRunCmd(g),
		newSessionsCmd(g),
		newToolCmd(g),
		newTrustCmd(g),
		newVersionCmd(g),
	}
}

// loadConfig merges config files, environment and the flags the user set.
func (g *globals) loadConfig(repoRoot string) (*config.Settings, error) {
	flags := map[string]string{}
	for flag, v := range map[string]string{
		"provider": g.provider, "model": g.model, "base-url": g.baseURL,
		"approval": g.approval, "gitlab-url": g.gitlabURL, "inline": fmt.Sprint(g.inline),
	} {
		if g.changed(flag) {
			flags[strings.ReplaceAll(flag, "-", "_")] = v
		}
	}
	s, err := config.Load(config.Sources{RepoRoot: repoRoot, Explicit: g.configFile, Env: g.env, Flags: flags})
	if err != nil {
		return nil, &exitError{code: ExitUsage, err: err}
	}
	// An untrusted repository's restricted settings were dropped: say so, never fail.
	if w := s.Repo.Warning(); w != "" {
		fmt.Fprintln(g.stderr, "wend: warning: "+strings.ReplaceAll(w, "\n", "\nwend: "))
	}
	return s, nil
}
