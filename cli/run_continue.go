package cli

import (
	"context"
	"os"
	"path/filepath"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/store"
)

// A session is a conversation of many tasks, and another wend can continue
// it: `wend run --continue [ID] TASK`, `wend run --continue [ID] --retry` and
// `wend resume [ID]` reopen the latest (or the given) session of this
// repository, with its log, its staged changes (the gitops journal), its
// conversation and its undelivered review feedback, and begin the next task.

// pickContinued resolves the session to continue: args[0] when it names one of
// this repository's sessions (the rest is the task), else the newest.
func pickContinued(st *store.Store, args []string) (id string, rest []string, err error) {
	if len(args) > 0 {
		if fi, err := os.Stat(filepath.Join(st.Dir(), args[0], "events.jsonl")); err == nil && !fi.IsDir() {
			return args[0], args[1:], nil
		}
	}
	list, err := st.List()
	if err != nil {
		return "", nil, err
	}
	if len(list) == 0 {
		return "", nil, usageErr("no session to continue in this repository yet: start one with wend run \"your task\"")
	}
	return list[0].ID, args, nil
}

// continueHeadless is `wend run --continue [ID] (TASK | --retry)`.
func continueHeadless(ctx context.Context, o *runOptions) error {
	ws, _, id, rest, err := openStoredSession(ctx, o.workspace, o.args, "--continue")
	if err != nil {
		return err
	}
	var task session.Task
	if o.retry {
		if len(rest) > 0 || o.taskFile != "" {
			return usageErr("--retry runs the session's last task again; give no new task with it")
		}
	} else {
		text, err := readTask(rest, o.taskFile, o.in)
		if err != nil {
			return err
		}
		task.Text = text
	}
	ls, err := assemble.Reopen(ctx, o.assembly(ws, false), id)
	if err != nil {
		return err
	}
	defer ls.Close()
	if o.retry {
		task = session.Task{Text: ls.Reopened.Last.Task, Retry: true}
	}
	if err := ls.Build(ctx); err != nil {
		return err
	}
	return driveTask(ctx, ls, task, &printer{w: o.out, json: o.json})
}

// openStoredSession opens the workspace and its session store and picks the
// session args name (the newest by default) for the verb that resumes or
// continues it; what is the verb as the user typed it, for the error that
// GitLab Duo sessions cannot be reopened. rest is args after the id.
func openStoredSession(ctx context.Context, open workspaceOpener, args []string, what string) (*workspace, *store.Store, string, []string, error) {
	ws, err := open(ctx)
	if err != nil {
		return nil, nil, "", nil, err
	}
	if ws.settings.Provider == "gitlab-duo" {
		return nil, nil, "", nil, usageErr("%s works with wend's own engine, not GitLab Duo", what)
	}
	st, err := assemble.Store(ctx, ws.repo)
	if err != nil {
		return nil, nil, "", nil, err
	}
	id, rest, err := pickContinued(st, args)
	if err != nil {
		return nil, nil, "", nil, err
	}
	return ws, st, id, rest, nil
}
