package cli

import (
	"context"
	"errors"
	"fmt"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/session"
)

// resumeHeadless is `wend run --resume [ID]`, wend resume without the UI. A
// task that has no recorded end (its wend was killed) or whose end is the
// interruption a reopening recorded (the wend that reopened it was killed in
// turn, before the task began again) runs again from where the files are now;
// a session that ended otherwise is left as it is and its end is reported.
func resumeHeadless(ctx context.Context, o *runOptions) error {
	ws, _, id, rest, err := openStoredSession(ctx, o.workspace, o.args, "--resume")
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageErr("no session %q in this repository (see wend sessions)", rest[0])
	}
	ls, err := assemble.Reopen(ctx, o.assembly(ws, false), id)
	if err != nil {
		return err
	}
	defer ls.Close()
	if r := ls.Reopened; r.EndState != session.StateInterrupted {
		fmt.Fprintf(o.errOut, "wend: session %s is not interrupted (its last task %s); nothing to resume: wend run --continue %s \"next task\" goes on with it\n",
			id, r.EndState, id)
		return exitForState(r.EndState)
	}
	if err := ls.Build(ctx); err != nil {
		return err
	}
	return driveTask(ctx, ls, session.Task{Text: ls.Reopened.Last.Task, Retry: true}, &printer{w: o.out, json: o.json})
}

// exitForState is the exit code of a session left as it ended.
func exitForState(s session.State) error {
	switch s {
	case session.StateFinished:
		return nil
	case session.StateWaiting:
		return &exitError{code: ExitWaiting, err: errors.New("")}
	}
	return &exitError{code: ExitFailed, err: errors.New("")}
}
