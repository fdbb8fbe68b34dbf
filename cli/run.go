package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/session"
)

// runOptions are `wend run`'s: its flags and task, and what a run needs of
// the rest of wend, so runRun can be called with test doubles for the parts
// a test does not exercise (the pipeline loop, the checkout of a merge
// request's branch).
type runOptions struct {
	verbIO
	args     []string
	json     bool
	taskFile string
	// cont continues the latest (or named) session with a new task; retry,
	// with cont, repeats its last task instead (run_continue.go).
	cont, retry bool
	// resume goes on with a session whose wend was killed (run_resume.go).
	resume bool
	// watch watches the pipeline after the run (pipeline.go); fixAttempts
	// overrides pipeline_fix_attempts when >= 0.
	watch       bool
	fixAttempts int
	// checkout lets wend check out the source branch of the merge request
	// whose pipeline the task asks to fix (mrcheckout.go).
	checkout bool

	// assembly is what wiring the session takes besides its settings
	// (globals.assembly).
	assembly func(ws *workspace, interactive bool) assemble.Options
	// prune removes old ended sessions before a run starts (prune.go).
	prune func(context.Context, *workspace)
	// checkoutBranch checks out the branch of the merge request whose
	// pipeline the task asks to fix (mrcheckout.go).
	checkoutBranch func(ctx context.Context, ws *workspace, task string, c checkoutOptions) (string, error)
	// pipeline is --watch-pipeline's loop after the run (pipeline.go).
	pipeline func(ctx context.Context, ws *workspace, ls *assemble.Session, p *printer, attempts int) error
}

// fillRunOptions fills o's streams, task and dependencies from the globals.
func (g *globals) fillRunOptions(o *runOptions, args []string) {
	o.verbIO, o.args, o.assembly, o.prune = g.verbIO(), args, g.assembly, g.pruneAtStart
	o.checkoutBranch = func(ctx context.Context, ws *workspace, task string, c checkoutOptions) (string, error) {
		return checkoutTaskBranch(ctx, g, ws, task, c)
	}
	o.pipeline = func(ctx context.Context, ws *workspace, ls *assemble.Session, p *printer, attempts int) error {
		return runPipelineLoop(ctx, g, ws, ls, p, attempts)
	}
}

func newRunCmd(g *globals) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [TASK]",
		Short: "Run a task headless, printing progress (or JSON events with --json)",
		Long: `Run a task without the terminal UI. Progress lines and the plan checklist are
printed as they change; --json writes every event as one JSON object per line.

--continue [ID] goes on with the latest session of this repository (or the one
named): the model sees that session's conversation so far, its staged changes
stay reviewable, and rejection reasons it never received reach it. With
--retry instead of a task, the session's last task runs again (after it
failed, was stopped, or its wend was killed).

--resume [ID] is wend resume without the UI: the latest (or named) session's
plan, transcript, proposed changes, decisions and conversation come back from
the store, and a task whose wend was killed or crashed goes on from where the
files are now. A call that was in flight is not run again: the model is told
it was interrupted, and a command runs again only if the approval policy lets
it (or, headless, --approval). A session that had ended is left as it is.

Exit codes: 0 finished, 1 failed or stopped, 2 usage error, 3 waiting for input.
Approvals the policy would ask for are denied unless --approval allows them.

--watch-pipeline then watches the CI pipeline of the branch's commit: with
--approval full-auto wend first commits and pushes what the run changed, and
when the pipeline fails it hands the failed jobs' logs back to the agent and
pushes its fix, at most pipeline_fix_attempts times (default 2). The exit code
is the last pipeline's: 0 success, 1 failed or canceled, 3 waiting for a
manual job.`,
		Example: `  wend run "fix the failing test"
  wend run --json --approval full-auto "make the linter pass"
  wend run --task-file task.md
  wend run --continue "now also add a Median function"
  wend run --continue 20261204-204500-a1b2c3 --retry
  wend run --resume 20261204-204500-a1b2c3
  wend run --approval full-auto --watch-pipeline "fix the failing pipeline on !42"`,
		RunE: func(cmd *cobra.Command, args []string) error {
			g.fillRunOptions(&o, args)
			return runRun(cmd.Context(), &o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.json, "json", false, "write events as JSON lines")
	f.StringVar(&o.taskFile, "task-file", "", "read the task from `FILE` (- for standard input)")
	f.BoolVar(&o.cont, "continue", false, "continue the latest session (or the ID given first) with the task")
	f.BoolVar(&o.retry, "retry", false, "with --continue: run the session's last task again")
	f.BoolVar(&o.resume, "resume", false, "go on with the latest session (or the ID given) after its wend was killed")
	f.BoolVar(&o.watch, "watch-pipeline", false, "after the run, push (full-auto) and watch the pipeline; exit with its result")
	f.IntVar(&o.fixAttempts, "pipeline-fix-attempts", -1, "how many times a failed pipeline goes back to the agent (default: pipeline_fix_attempts, 2)")
	f.BoolVar(&o.checkout, "checkout", false, "check out the source branch of the merge request whose pipeline the task asks to fix (never over uncommitted work)")
	return cmd
}

// readTask takes the task from the arguments or a file, never both.
func readTask(args []string, file string, stdin io.Reader) (string, error) {
	if file != "" {
		if len(args) > 0 {
			return "", usageErr("give the task as an argument or with --task-file, not both")
		}
		var data []byte
		var err error
		if file == "-" {
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(file)
		}
		if err != nil {
			return "", usageErr("reading the task: %v", err)
		}
		if strings.TrimSpace(string(data)) == "" {
			return "", usageErr("the task file %s is empty", file)
		}
		return string(data), nil
	}
	task := strings.TrimSpace(strings.Join(args, " "))
	if task == "" {
		return "", usageErr("no task given: wend run \"what to do\" (or --task-file FILE)")
	}
	return task, nil
}

// runRun is `wend run`: a new task, or with --continue or --resume a stored
// session's.
func runRun(ctx context.Context, o *runOptions) error {
	if o.resume {
		if o.cont || o.retry || o.taskFile != "" {
			return usageErr("--resume goes on with the session's own task: give no --continue, --retry or --task-file with it")
		}
		return resumeHeadless(ctx, o) // run_resume.go
	}
	if o.retry && !o.cont {
		return usageErr("--retry goes with --continue: wend run --continue [ID] --retry")
	}
	if o.cont {
		return continueHeadless(ctx, o) // run_continue.go
	}
	task, err := readTask(o.args, o.taskFile, o.in)
	if err != nil {
		return err
	}
	return runHeadless(ctx, task, o)
}

func runHeadless(ctx context.Context, task string, o *runOptions) error {
	ws, err := o.workspace(ctx)
	if err != nil {
		return err
	}
	o.prune(ctx, ws)
	if b, err := o.checkoutBranch(ctx, ws, task, checkoutOptions{allowed: o.checkout || ws.settings.Approval == "full-auto"}); err != nil {
		return err
	} else if b != "" {
		fmt.Fprintf(o.errOut, "wend: checked out %s, the merge request's source branch\n", b)
	}
	ls, err := assemble.New(ctx, o.assembly(ws, false))
	if err != nil {
		return err
	}
	defer ls.Close()
	p := &printer{w: o.out, json: o.json}
	if err := drive(ctx, ls, task, p); err != nil || !o.watch {
		return err
	}
	attempts := ws.settings.PipelineFixAttempts
	if o.fixAttempts >= 0 {
		attempts = o.fixAttempts
	}
	return o.pipeline(ctx, ws, ls, p, attempts)
}

// drive starts the session, prints its events until it ends, and maps the end to an
// exit code. An interrupt stops the session cleanly; the plan's state is recorded.
func drive(ctx context.Context, ls *assemble.Session, task string, p *printer) error {
	return driveTask(ctx, ls, session.Task{Text: task}, p)
}

// driveTask is drive for any task; a continued session's earlier events are
// not printed again.
func driveTask(ctx context.Context, ls *assemble.Session, task session.Task, p *printer) error {
	events := ls.Log.Subscribe(context.WithoutCancel(ctx), ls.Restored)
	if err := ls.Engine.Start(ctx, task); err != nil {
		return err
	}
	stopped := false
	var fin *session.SessionFinished
	for fin == nil {
		select {
		case e := <-events:
			p.print(e)
			if f, ok := e.Payload.(session.SessionFinished); ok {
				fin = &f
			}
		case <-ctx.Done():
			if !stopped {
				stopped = true
				ls.Engine.Stop(context.Background())
			}
			ctx = context.Background() // keep draining until SessionFinished
		}
	}
	switch fin.State {
	case session.StateFinished:
		return nil
	case session.StateWaiting:
		return &exitError{code: ExitWaiting, err: errors.New("")}
	case session.StateStopped:
		return &exitError{code: ExitFailed, err: fmt.Errorf("stopped; session %s keeps the plan and proposed changes", ls.ID)}
	}
	if !p.json {
		// The progress output already ended with the error.
		return &exitError{code: ExitFailed, err: errors.New("")}
	}
	return &exitError{code: ExitFailed, err: errors.New(fin.Error)}
}
