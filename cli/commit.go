package cli

import (
	"context"
	"fmt"
	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/remote/redact"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/context/refs"
	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/internal/gitrun"
	"gitlab.com/wend/wend/remote/gitlab"
	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/session"
)

// commitOptions are `wend commit`'s flags and what committing needs of the
// rest of wend: the model's draft, GitLab for --mr and --watch.
type commitOptions struct {
	verbIO
	session string
	message string
	file    string
	branch  bool
	push    bool
	remote  string
	noEdit  bool
	draft   bool
	mr      bool
	issue   int64
	watch   bool

	// modelDraft asks the configured model for a message for the staged diff.
	modelDraft func(ctx context.Context, ws *workspace, root, task string) (string, error)
	// openMR opens the merge request of the pushed branch (--mr).
	openMR func(ctx context.Context, ws *workspace, branch, msg string, issue int64) error
	// watchPushed watches the pushed commit's pipeline (--watch, pipeline.go).
	watchPushed func(ctx context.Context, ws *workspace, sha string) error
}

// fillCommitOptions fills o's streams and dependencies from the globals.
func (g *globals) fillCommitOptions(o *commitOptions) {
	o.verbIO = g.verbIO()
	o.modelDraft = func(ctx context.Context, ws *workspace, root, task string) (string, error) {
		return modelDraft(ctx, g, ws, root, task)
	}
	o.openMR = func(ctx context.Context, ws *workspace, branch, msg string, issue int64) error {
		return openMergeRequest(ctx, g, ws, branch, msg, issue)
	}
	o.watchPushed = func(ctx context.Context, ws *workspace, sha string) error { return watchPushed(ctx, g, ws, sha) }
}

func newCommitCmd(g *globals) *cobra.Command {
	var o commitOptions
	cmd := &cobra.Command{
		Use:   "commit",
		Short: "Commit the accepted changes, optionally on a wend/<task> branch, and push",
		Long: `Commit what is staged in git's index (your own staged changes plus the hunks you
accepted). The message is drafted from the session (by the model when one is
configured, else from the task and summary) and opened in
your editor unless -m, --file or --no-edit is given. When git refuses the
commit (no identity, a hook), the message is kept in .git/wend/COMMIT_EDITMSG
and the next 'wend commit' starts from it. --branch first switches to
wend/<task-slug>; --push pushes the branch with your own git credentials;
--watch then follows the commit's pipeline, job by job, and exits 0 when it
succeeds, 1 when it fails or is canceled (naming the failed jobs).`,
		Example: "  wend commit\n  wend commit --branch --push\n  wend commit --push --watch\n  wend commit -m \"Fix Mean\" --no-edit\n  wend commit --file .git/wend/COMMIT_EDITMSG",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			g.fillCommitOptions(&o)
			return runCommit(cmd.Context(), &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.session, "session", "", "the session (default: the newest)")
	f.StringVarP(&o.message, "message", "m", "", "the commit message")
	f.StringVarP(&o.file, "file", "F", "", "take the commit message from `FILE`")
	f.BoolVar(&o.branch, "branch", false, "switch to (or create) the branch wend/<task-slug> first")
	f.BoolVar(&o.push, "push", false, "push the branch after committing")
	f.StringVar(&o.remote, "remote", "", "the remote to push to (default: the branch's, else origin)")
	f.BoolVar(&o.noEdit, "no-edit", false, "use the message as drafted, without opening the editor")
	f.BoolVar(&o.draft, "draft", true, "let the configured model draft the message from the staged diff (--draft=false: use the session's summary)")
	f.BoolVar(&o.mr, "mr", false, "after pushing, open a merge request for the branch (implies --push)")
	f.BoolVar(&o.watch, "watch", false, "after pushing, watch the commit's pipeline and exit with its result (implies --push)")
	f.Int64Var(&o.issue, "issue", 0, "link the merge request to issue `N` (Closes #N); default: the issue the task named")
	return cmd
}

// runCommit is `wend commit`.
func runCommit(ctx context.Context, o *commitOptions) error {
	ws, err := o.workspace(ctx)
	if err != nil {
		return err
	}
	root := ws.repo.Root()
	staged, err := gitrun.Run(ctx, gitrun.Cmd{Dir: root, Args: cachedDiff("--stat")})
	if err != nil {
		return fmt.Errorf("reading the index: %w", err)
	}
	if strings.TrimSpace(string(staged)) == "" {
		return usageErr("nothing is staged: accept changes first (wend changes, wend accept ID|all)")
	}
	if o.message != "" && o.file != "" {
		return usageErr("give the message with -m or --file, not both")
	}
	task, summary := sessionSummary(ctx, ws, o.session)
	msg := o.message
	if o.file != "" {
		if msg, err = readMessageFile(o.file); err != nil {
			return err
		}
	}
	saved, savedPath := savedMessage(ctx, root)
	if msg == "" && saved != "" {
		// A refused commit's message comes back instead of a new draft.
		fmt.Fprintf(o.errOut, "wend: using the message saved when git refused the last commit (%s)\n", savedPath)
		msg = saved
		if !o.noEdit {
			if msg, err = editMessage(ctx, root, msg); err != nil {
				return err
			}
		}
	}
	if msg == "" {
		msg = draftMessage(task, summary, stagedPaths(ctx, root), sessionSteps(ctx, ws, o.session))
		if o.draft && ws.settings.Provider != "" && ws.settings.Provider != "replay" && ws.settings.Provider != "gitlab-duo" {
			if m, err := o.modelDraft(ctx, ws, root, task); err == nil {
				msg = m
			} else {
				fmt.Fprintf(o.errOut, "wend: the model could not draft a message (%v); using the session's summary\n", err)
			}
		}
		if !o.noEdit {
			if msg, err = editMessage(ctx, root, msg); err != nil {
				return err
			}
		}
	}
	if o.branch {
		name, err := gitops.SwitchBranch(ctx, nil, root, firstNonEmpty(task, summary, "change"))
		if err != nil {
			return err
		}
		fmt.Fprintf(o.out, "On branch %s\n", name)
	}
	id, err := gitops.Commit(ctx, nil, root, msg)
	if err != nil {
		return keepRefusedMessage(ctx, root, msg, err) // commitmsg.go
	}
	if savedPath != "" {
		os.Remove(savedPath) // committed: the saved message is used up
	}
	fmt.Fprintf(o.out, "Committed %s: %s\n", id[:12], firstLine(msg))
	if o.mr || o.watch {
		o.push = true
	}
	if o.push {
		branch, err := gitrun.Run(ctx, gitrun.Cmd{Dir: root, Args: []string{"symbolic-ref", "--short", "HEAD"}})
		if err != nil {
			return fmt.Errorf("finding the branch to push: %w", err)
		}
		b := strings.TrimSpace(string(branch))
		if err := gitops.Push(ctx, nil, root, o.remote, b); err != nil {
			return err
		}
		fmt.Fprintf(o.out, "Pushed %s\n", b)
		if o.mr {
			if err := o.openMR(ctx, ws, b, msg, firstNonZero(o.issue, taskIssue(task))); err != nil {
				return err
			}
		}
		if o.watch {
			return o.watchPushed(ctx, ws, id)
		}
	}
	return nil
}

// openMergeRequest creates the merge request for a pushed branch: a write action,
// so only on the user's explicit --mr.
func openMergeRequest(ctx context.Context, g *globals, ws *workspace, branch, msg string, issue int64) error {
	c, err := g.gitlabClient(ctx, ws, "commit")
	if err != nil {
		return fmt.Errorf("the branch is pushed, but the merge request needs GitLab: %w", err)
	}
	subject, body, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	created, err := c.CreateMergeRequest(ctx, gitlab.NewMergeRequest{
		SourceBranch: branch, Title: subject, Description: strings.TrimSpace(body), Issue: issue,
	})
	if err != nil {
		return fmt.Errorf("the branch is pushed, but creating the merge request failed: %w", err)
	}
	fmt.Fprintf(g.stdout, "Opened merge request %s\n", created.URL)
	return nil
}

// taskIssue is the first issue of this project the task referenced (#12), or 0.
func taskIssue(task string) int64 {
	for _, r := range refs.Find(task) {
		if r.Kind == refs.Issue && r.Project == "" {
			return r.IID
		}
	}
	return 0
}

func firstNonZero(xs ...int64) int64 {
	for _, x := range xs {
		if x != 0 {
			return x
		}
	}
	return 0
}

// sessionSummary reads the task and final summary of the named or newest session.
func sessionSummary(ctx context.Context, ws *workspace, id string) (task, summary string) {
	st, err := assemble.Store(ctx, ws.repo)
	if err != nil {
		return "", ""
	}
	if id == "" {
		list, _ := st.List()
		if len(list) == 0 {
			return "", ""
		}
		id = list[0].ID
	}
	events, _ := st.Load(id)
	for _, e := range events {
		switch p := e.Payload.(type) {
		case session.SessionStarted:
			task = p.Task
		case session.SessionFinished:
			summary = p.Summary
		}
	}
	return task, summary
}

// draftMessage is a commit message from the session: a subject that summarises
// the change (commitmsg.go), and a body with the task, the plan and the summary.
func draftMessage(task, summary string, paths []string, steps []session.Step) string {
	subject := draftSubject(summary, paths)
	if body := draftBody(task, summary, steps); body != "" {
		return subject + "\n\n" + body + "\n"
	}
	return subject + "\n"
}

// sessionSteps are the plan's steps as the named or newest session left them.
func sessionSteps(ctx context.Context, ws *workspace, id string) []session.Step {
	st, err := assemble.Store(ctx, ws.repo)
	if err != nil {
		return nil
	}
	if id == "" {
		list, _ := st.List()
		if len(list) == 0 {
			return nil
		}
		id = list[0].ID
	}
	events, _ := st.Load(id)
	var steps []session.Step
	for _, e := range events {
		switch p := e.Payload.(type) {
		case session.PlanProposed:
			steps = p.Plan.Steps
		case session.PlanEdited:
			steps = p.Plan.Steps
		case session.SessionFinished:
			if len(p.Plan.Steps) > 0 {
				steps = p.Plan.Steps
			}
		}
	}
	return steps
}

// modelDraft asks the configured model for a message for the staged diff.
func modelDraft(ctx context.Context, g *globals, ws *workspace, root, task string) (string, error) {
	p, model, err := assemble.NewProvider(ws.settings, assemble.ProviderOptions{Client: g.httpClient("commit")})
	if err != nil {
		return "", err
	}
	diff, _ := gitrun.Run(ctx, gitrun.Cmd{Dir: root, Args: cachedDiff()})
	diff = redact.Bytes(diff) // the staged diff may hold a secret; the model never sees it
	if len(diff) > 30000 {
		diff = append(diff[:30000], "\n[diff cut]"...)
	}
	resp, err := p.Stream(ctx, llm.Request{
		Model:     model,
		System:    "You write git commit messages: a subject line of at most 72 characters in the imperative mood, a blank line, then a short body saying why. Answer with the message only.",
		Messages:  []llm.Message{{Role: llm.RoleUser, Content: []llm.Block{llm.Text("Task: " + task + "\n\nStaged diff:\n" + string(diff))}}},
		MaxTokens: 400,
	}, func(llm.Delta) {})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, blk := range resp.Message.Content {
		b.WriteString(blk.Text)
	}
	if strings.TrimSpace(b.String()) == "" {
		return "", fmt.Errorf("empty answer")
	}
	return strings.TrimSpace(b.String()) + "\n", nil
}

// editMessage opens $VISUAL/$EDITOR (as git would) on the draft.
func editMessage(ctx context.Context, root, draft string) (string, error) {
	editor, _ := gitrun.Run(ctx, gitrun.Cmd{Dir: root, Args: []string{"var", "GIT_EDITOR"}})
	ed := strings.TrimSpace(string(editor))
	if ed == "" || ed == ":" {
		return draft, nil
	}
	f, err := os.CreateTemp("", "wend-commit-*.txt")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	f.WriteString(draft + "\n# Edit the message; lines starting with # are ignored. An empty message aborts.\n")
	f.Close()
	cmd := exec.CommandContext(ctx, "sh", "-c", ed+` "$1"`, "editor", filepath.Clean(f.Name()))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("the editor failed: %w", err)
	}
	data, err := os.ReadFile(f.Name())
	if err != nil {
		return "", err
	}
	var keep []string
	for _, l := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(l, "#") {
			keep = append(keep, l)
		}
	}
	msg := strings.TrimSpace(strings.Join(keep, "\n"))
	if msg == "" {
		return "", usageErr("empty commit message; nothing was committed")
	}
	return msg + "\n", nil
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if strings.TrimSpace(x) != "" {
			return strings.TrimSpace(x)
		}
	}
	return ""
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// cachedDiff is `git diff --cached ARGS` that never runs a program the
// repository names (diff.external, a textconv driver): a cloned repository's
// config must not run code when the user commits.
func cachedDiff(args ...string) []string {
	out := append([]string{"diff"}, gitrun.SubcommandFlags("diff")...)
	out = append(out, "--cached")
	return append(out, args...)
}
