package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/cli/config"
	"gitlab.com/wend/wend/context/repo"
)

// workspace is an opened repository with its branch and settings.
type workspace struct {
	repo     *repo.Repo
	branch   string
	settings *config.Settings
}

// openWorkspace finds the repository and loads settings, turning every failure into a
// message that says what to do.
func (g *globals) openWorkspace(ctx context.Context) (*workspace, error) {
	dir := g.dir
	if dir == "" {
		dir = "."
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return nil, usageErr("-C %s: no such directory", dir)
	}
	r, err := repo.Open(ctx, dir)
	if errors.Is(err, repo.ErrNotRepo) {
		abs, _ := filepath.Abs(dir)
		return nil, &exitError{code: ExitUsage, err: fmt.Errorf("%s is not inside a git repository.\n"+
			"wend works on a git checkout: cd into one (or pass -C DIR), or run `git init` first.\n"+
			"To see wend work on a sample repository without a key: wend demo", abs)}
	}
	if err != nil {
		return nil, err
	}
	g.recoverWorktrees(ctx, r.Root()) // worktree.go
	branch, err := r.Branch(ctx)
	if err != nil {
		return nil, &exitError{code: ExitUsage, err: err}
	}
	s, err := g.loadConfig(r.Root())
	if err != nil {
		return nil, err
	}
	return &workspace{repo: r, branch: branch, settings: s}, nil
}

// assembly is what wiring a session in ws takes from this invocation: the
// flags that are not settings (--worktree, --config, --replay, --record,
// Duo's --flow) and the audit trail. The session itself is wired by package
// assemble, the same way for every verb.
func (g *globals) assembly(ws *workspace, interactive bool) assemble.Options {
	return assemble.Options{
		Repo: ws.repo, Branch: ws.branch, Settings: ws.settings,
		Interactive: interactive, Worktree: g.worktree,
		ConfigFile: g.configFile,
		Provider:   assemble.ProviderOptions{Replay: g.replayFile, Record: g.recordFile},
		Wrap:       g.wrapAudit,
		Duo:        func() (string, string, error) { return duoSettings(g) },
		Stderr:     g.stderr,
	}
}
