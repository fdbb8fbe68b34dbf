package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/context/refs"
	"gitlab.com/wend/wend/context/repo"
	"gitlab.com/wend/wend/remote/gitlab"
	"gitlab.com/wend/wend/ui"
)

// runInteractive opens the terminal UI on a new session. Without a configured
// provider it opens the first-run screen instead of failing.
func runInteractive(ctx context.Context, g *globals, args []string) error {
	ws, err := g.openWorkspace(ctx)
	if err != nil {
		return err
	}
	task := strings.TrimSpace(strings.Join(args, " "))
	if task != "" && ws.settings.Provider != "" {
		// "fix the failing pipeline on !42": its source branch, if the user agrees (mrcheckout.go).
		if b, err := checkoutTaskBranch(ctx, g, ws, task, checkoutOptions{allowed: ws.settings.Approval == "full-auto", ask: isTerminal(g.stdin)}); err != nil {
			return err
		} else if b != "" {
			fmt.Fprintf(g.stderr, "wend: checked out %s\n", b)
		}
	}
	opts := ui.Options{
		Repository: filepath.Base(ws.repo.Root()), Branch: ws.branch,
		Provider: ws.settings.Provider, Model: ws.settings.Model, Task: task,
		Keys: ws.settings.Keys, Files: repoFiles{ctx: ctx, r: ws.repo},
	}
	uiPrefs(&opts, ws)
	if ws.settings.Provider == "" && g.replayFile == "" {
		opts.FirstRun = true
		return ui.Run(ctx, nil, opts)
	}
	g.pruneAtStart(ctx, ws) // prune.go
	if ws.settings.Host && ws.settings.Provider != "gitlab-duo" {
		// The session runs in a host that outlives this terminal (hostclient.go).
		hosted := hostedOptions(ctx, g.gitlabClient, ws)
		hosted.Task = task
		err := runHosted(ctx, g, ws, hosted)
		var hu *hostUnavailable
		if !errors.As(err, &hu) {
			return err
		}
		// Working beats detaching: the session runs here, as with host = false.
		fmt.Fprintf(g.stderr, "wend: warning: %v\nwend: the session runs in this terminal instead and ends when it closes\n", hu)
	}
	// The GitLab client is made on the first completion, not before the first frame.
	opts.Suggest = &suggester{connect: func() (*gitlab.Client, error) { return g.gitlabClient(ctx, ws, "ui") }}
	return runUI(ctx, g, ws, opts)
}

// runUI shows the UI at once and prepares the session behind it.
func runUI(ctx context.Context, g *globals, ws *workspace, opts ui.Options) error {
	ao := g.assembly(ws, true)
	if ws.settings.Provider == "gitlab-duo" {
		ls, err := assemble.New(ctx, ao)
		if err != nil {
			return err
		}
		defer ls.Close()
		opts.Review = ls.Engine
		defer pagedFrom(ls, &opts)()
		err = runUIOn(ctx, ls.Engine, opts)
		tellWaiting(g.stdout, ls.ID, opts.Review) // quitnote.go
		return err
	}
	ls, err := assemble.Open(ctx, ao)
	if err != nil {
		return err
	}
	defer ls.Close()
	defer pagedFrom(ls, &opts)()
	drawn, frame := assemble.FirstFrame()
	opts.FirstFrame = frame
	d := ls.Background(ctx, drawn)
	opts.Model = ls.Model
	opts.Review = d
	err = runUIOn(ctx, d, opts)
	// After the UI has left the screen and before the session closes: what
	// the user leaves undecided, and how to review it.
	tellWaiting(g.stdout, ls.ID, opts.Review) // quitnote.go
	return err
}

// runUIOn runs the UI until the user quits; quitting stops the agent, and staged
// changes and the log stay on disk.
func runUIOn(ctx context.Context, e assemble.Engine, opts ui.Options) error {
	err := ui.Run(ctx, e, opts)
	// Stop fails when no task was ever started; then there is no run to wait for.
	if e.Stop(context.Background()) == nil {
		<-e.Done()
	}
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// uiPrefs fills the terminal preferences (mouse, notify, ascii, inline) from
// the settings, and where commands run and whether tmux carries the
// notifications from the workspace and the environment.
func uiPrefs(opts *ui.Options, ws *workspace) {
	s := ws.settings
	opts.Mouse, opts.Notify, opts.ASCII, opts.Inline = s.Mouse, s.Notify, s.ASCII, s.Inline
	opts.WorkDir = ws.repo.Root()
	opts.Tmux = os.Getenv("TMUX") != ""
}

// suggester completes #, ! and & references from the project's GitLab. It
// connects on first use; completion is a convenience, so without GitLab it offers
// nothing and the reference still works typed out.
type suggester struct {
	once    sync.Once
	connect func() (*gitlab.Client, error)
	c       *gitlab.Client
}

func (s *suggester) Suggest(ctx context.Context, kind, query string) []ui.Suggestion {
	s.once.Do(func() { s.c, _ = s.connect() })
	k := map[string]refs.Kind{"#": refs.Issue, "!": refs.MergeRequest, "&": refs.Epic}[kind]
	if s.c == nil || k == "" {
		return nil
	}
	hits, err := s.c.Suggest(ctx, k, query)
	if err != nil {
		return nil
	}
	out := make([]ui.Suggestion, 0, len(hits))
	for _, h := range hits {
		out = append(out, ui.Suggestion{Value: strings.TrimPrefix(h.Ref, kind), Title: h.Title})
	}
	return out
}

// repoFiles feeds `@` completion from the repository's cached file list.
type repoFiles struct {
	ctx context.Context
	r   *repo.Repo
}

func (f repoFiles) Files() []string {
	files, _ := f.r.Files(f.ctx)
	return files
}

// Match ranks the files for the `@` picker with the repository's index, which
// narrows the previous answer on each key instead of rescanning every path.
func (f repoFiles) Match(query string, limit int) []string {
	ix, err := f.r.FileIndex(f.ctx)
	if err != nil {
		return nil
	}
	return ix.Match(query, limit)
}

// Index lists the files and builds the picker's index behind the first frame,
// reporting how many files git has listed so far (the status bar shows it).
func (f repoFiles) Index(ctx context.Context, progress func(files int)) error {
	_, err := f.r.Index(ctx, progress)
	return err
}
