package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/session"
)

func init() { register(newRunCmd) }

type runOptions struct {
	json     bool
	taskFile string
}

func newRunCmd(g *globals) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [TASK]",
		Short: "Run a task headless, printing progress (or JSON events with --json)",
		Long: `Run a task without the terminal UI. Progress lines and the plan checklist are
printed as they change; --json writes every event as one JSON object per line.

Exit codes: 0 finished, 1 failed or stopped, 2 usage error, 3 waiting for input.
Approvals the policy would ask for are denied unless --approval allows them.`,
		Example: `  wend run "fix the failing test"
  wend run --json --approval full-auto "make the linter pass"
  wend run --task-file task.md`,
		RunE: func(cmd *cobra.Command, args []string) error {
			task, err := readTask(args, o.taskFile, g.stdin)
			if err != nil {
				return err
			}
			return runHeadless(cmd.Context(), g, task, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.json, "json", false, "write events as JSON lines")
	f.StringVar(&o.taskFile, "task-file", "", "read the task from `FILE` (- for standard input)")
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

func runHeadless(ctx context.Context, g *globals, task string, o runOptions) error {
	ws, err := g.openWorkspace(ctx)
	if err != nil {
		return err
	}
	g.pruneAtStart(ctx, ws) // prune.go
	ls, err := prepareSession(ctx, g, ws, providerOptions{replayFile: g.replayFile, recordFile: g.recordFile}, false)
	if err != nil {
		return err
	}
	defer ls.close()
	return drive(ctx, ls, task, &printer{w: g.stdout, json: o.json})
}

// drive starts the session, prints its events until it ends, and maps the end to an
// exit code. An interrupt stops the session cleanly; the plan's state is recorded.
func drive(ctx context.Context, ls *liveSession, task string, p *printer) error {
	events := ls.log.Subscribe(context.WithoutCancel(ctx), 0)
	if err := ls.engine.Start(ctx, session.Task{Text: task}); err != nil {
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
				ls.engine.Stop(context.Background())
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
		return &exitError{code: ExitFailed, err: fmt.Errorf("stopped; session %s keeps the plan and staged changes", ls.id)}
	}
	if !p.json {
		// The progress output already ended with the error.
		return &exitError{code: ExitFailed, err: errors.New("")}
	}
	return &exitError{code: ExitFailed, err: errors.New(fin.Error)}
}
