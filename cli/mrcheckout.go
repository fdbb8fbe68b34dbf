package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/internal/gitrun"
)

// A task such as "fix the failing pipeline on !42" is about the merge
// request's source branch. With the user's consent (--checkout, the full-auto
// policy, or a yes on the terminal) wend checks that branch out before the
// session starts, so the baseline, the agent's edits and the later push are
// all on it. It never does so over uncommitted work.

// checkoutOptions is how the user consents to the checkout.
type checkoutOptions struct {
	allowed bool // --checkout or the full-auto policy
	ask     bool // a terminal: ask before checking out
}

// checkoutTaskBranch switches the repository to the source branch of the
// merge request the task wants fixed. It returns the branch now checked out,
// or "" when the task names none or it is already checked out.
func checkoutTaskBranch(ctx context.Context, g *globals, ws *workspace, task string, o checkoutOptions) (string, error) {
	iid := assemble.PipelineMR(task)
	if iid == 0 {
		return "", nil
	}
	c, err := g.gitlabClient(ctx, ws, "checkout")
	if err != nil {
		return "", nil // no GitLab: the run says so itself
	}
	mr, _, err := c.API().MergeRequests.GetMergeRequest(c.Project(), iid, nil, gl.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("reading !%d to find its source branch: %w", iid, err)
	}
	branch := mr.SourceBranch
	if branch == "" || branch == ws.branch {
		return "", nil
	}
	if mr.SourceProjectID != 0 && mr.ProjectID != 0 && mr.SourceProjectID != mr.ProjectID {
		return "", usageErr("!%d comes from a fork (project %d): wend checks out branches of this project only; "+
			"check it out yourself (git fetch origin merge-requests/%d/head) and run wend there", iid, mr.SourceProjectID, iid)
	}
	root := ws.repo.Root()
	if dirty, err := uncommitted(ctx, root); err != nil {
		return "", err
	} else if len(dirty) > 0 {
		return "", &exitError{code: ExitUsage, err: fmt.Errorf("the task is about !%d, whose source branch is %s, but you are on %s with "+
			"uncommitted work (%s): wend never checks out over it. Commit or stash it first, or switch to %s yourself",
			iid, branch, ws.branch, summarizePaths(dirty), branch)}
	}
	if !o.allowed {
		if !o.ask || !confirm(g, fmt.Sprintf("The task is about !%d: check out its source branch %s (you are on %s)? [y/N] ", iid, branch, ws.branch)) {
			return "", &exitError{code: ExitUsage, err: fmt.Errorf("the task is about !%d, whose source branch is %s (you are on %s).\n"+
				"Let wend check it out: add --checkout (or --approval full-auto); or run git switch %s yourself", iid, branch, ws.branch, branch)}
		}
	}
	if err := switchToRemoteBranch(ctx, root, branch); err != nil {
		return "", err
	}
	ws.branch = branch
	return branch, nil
}

// uncommitted lists paths with changes git would carry across a checkout
// (staged, unstaged, untracked and not ignored).
func uncommitted(ctx context.Context, root string) ([]string, error) {
	out, err := gitrun.Run(ctx, gitrun.Cmd{Dir: root, Args: []string{"status", "--porcelain", "--untracked-files=normal"}, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("git status: %w", err)
	}
	var paths []string
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if len(l) > 3 {
			paths = append(paths, l[3:])
		}
	}
	return paths, nil
}

func summarizePaths(ps []string) string {
	if len(ps) > 3 {
		return strings.Join(ps[:3], ", ") + fmt.Sprintf(" and %d more", len(ps)-3)
	}
	return strings.Join(ps, ", ")
}

// switchToRemoteBranch fetches branch from the remote it lives on (origin)
// and switches to it: a new local branch tracking it, or the existing one
// fast-forwarded. A local branch that has diverged is left alone.
func switchToRemoteBranch(ctx context.Context, root, branch string) error {
	git := func(args ...string) (string, error) {
		out, err := gitrun.Run(ctx, gitrun.Cmd{Dir: root, Args: args})
		var ge *gitrun.Error
		if errors.As(err, &ge) && strings.TrimSpace(ge.Stderr) != "" {
			return strings.TrimSpace(ge.Stderr), err // what git said is the reason to show
		}
		return strings.TrimSpace(string(out)), err
	}
	remote := "origin"
	if out, err := git("config", "--get", "branch."+branch+".remote"); err == nil && out != "" {
		remote = out
	}
	track := "refs/remotes/" + remote + "/" + branch
	if out, err := git("fetch", "--quiet", remote, "+refs/heads/"+branch+":"+track); err != nil {
		return fmt.Errorf("fetching %s from %s: %s", branch, remote, out)
	}
	if _, err := git("rev-parse", "--verify", "--quiet", "refs/heads/"+branch); err != nil {
		if out, err := git("switch", "--quiet", "--track", "-c", branch, track); err != nil {
			return fmt.Errorf("switching to %s: %s", branch, out)
		}
		return nil
	}
	if out, err := git("switch", "--quiet", branch); err != nil {
		return fmt.Errorf("switching to %s: %s", branch, out)
	}
	if out, err := git("merge", "--ff-only", "--quiet", track); err != nil {
		return fmt.Errorf("your local %s has commits %s/%s does not (%s); wend leaves it as it is: bring them together first", branch, remote, branch, out)
	}
	return nil
}

// confirm asks a yes/no question on the terminal; anything but y/yes is no.
func confirm(g *globals, question string) bool {
	fmt.Fprint(g.stderr, question)
	line, err := bufio.NewReader(g.stdin).ReadString('\n')
	if err != nil && line == "" {
		return false
	}
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes"
}
