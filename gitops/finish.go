package gitops

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// BranchPrefix starts every branch wend creates.
const BranchPrefix = "wend/"

// Commit records the index (the user's staged changes plus accepted hunks) as
// a commit on the current branch, with the user's identity, hooks and signing
// configuration, and returns its id. The message goes through stdin, so it
// may hold any text. A repository with no commit yet gets its first commit.
func Commit(ctx context.Context, g Runner, dir, message string) (string, error) {
	if strings.TrimSpace(message) == "" {
		return "", errors.New("gitops: commit: empty message")
	}
	if g == nil {
		g = ExecRunner{}
	}
	if _, err := g.Run(ctx, Git("commit", "--quiet", "--file=-").InDir(dir).Input([]byte(message))); err != nil {
		return "", fmt.Errorf("gitops: commit: %w", err)
	}
	out, err := g.Run(ctx, Git("rev-parse", "--verify", "HEAD").InDir(dir).Read())
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

var slugJunk = regexp.MustCompile(`[^a-z0-9]+`)

// Slug turns a task title into a branch-name part: "Fix #12: crash on
// start" → "fix-12-crash-on-start" (at most 48 characters).
func Slug(title string) string {
	s := strings.Trim(slugJunk.ReplaceAllString(strings.ToLower(title), "-"), "-")
	if len(s) > 48 {
		s = strings.TrimRight(s[:48], "-")
	}
	if s == "" {
		s = "change"
	}
	return s
}

// SwitchBranch makes wend/<slug> the current branch: it switches to it when
// it exists and creates it at HEAD otherwise. Uncommitted changes, staged
// or not, come along (git refuses, with its own message, when they would be
// overwritten). In a repository without commits the unborn branch is
// renamed. It returns the full branch name.
func SwitchBranch(ctx context.Context, g Runner, dir, slug string) (string, error) {
	if g == nil {
		g = ExecRunner{}
	}
	name := BranchPrefix + Slug(slug)
	if _, err := g.Run(ctx, Git("check-ref-format", "--branch", name).InDir(dir).Read()); err != nil {
		return "", fmt.Errorf("gitops: branch %q: %w", name, err)
	}
	if _, err := g.Run(ctx, Git("rev-parse", "--verify", "--quiet", "HEAD").InDir(dir).Read()); err != nil {
		_, err := g.Run(ctx, Git("symbolic-ref", "HEAD", "refs/heads/"+name).InDir(dir))
		return name, err
	}
	_, err := g.Run(ctx, Git("rev-parse", "--verify", "--quiet", "refs/heads/"+name).InDir(dir).Read())
	if err == nil {
		_, err = g.Run(ctx, Git("switch", "--quiet", name).InDir(dir))
	} else {
		_, err = g.Run(ctx, Git("switch", "--quiet", "-c", name).InDir(dir))
	}
	if err != nil {
		return "", fmt.Errorf("gitops: switch to %s: %w", name, err)
	}
	return name, nil
}

// Push pushes branch to remote and sets it as upstream, with the user's own
// git configuration and credentials (credential helpers, ssh agent); wend
// holds none. An empty remote means the branch's configured remote, else
// "origin". Git never prompts on the terminal (GIT_TERMINAL_PROMPT=0): a
// missing credential is an error saying so.
func Push(ctx context.Context, g Runner, dir, remote, branch string) error {
	if g == nil {
		g = ExecRunner{}
	}
	if remote == "" {
		out, err := g.Run(ctx, Git("config", "--get", "branch."+branch+".remote").InDir(dir).Read())
		remote = strings.TrimSpace(string(out))
		if err != nil || remote == "" {
			remote = "origin"
		}
	}
	refspec := "refs/heads/" + branch + ":refs/heads/" + branch
	if _, err := g.Run(ctx, Git("push", "--quiet", "--set-upstream", remote, refspec).InDir(dir)); err != nil {
		return fmt.Errorf("gitops: push %s to %s: %w", branch, remote, err)
	}
	return nil
}
