package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/internal/gitrun"
	"gitlab.com/wend/wend/session"
)

// A commit message the user wrote must survive git refusing the commit (no
// identity, a failing hook, a locked index): it is saved inside .git, where
// the next `wend commit` picks it up again, or `wend commit --file PATH` names it.

// savedMessagePath is where a refused commit's message waits.
func savedMessagePath(ctx context.Context, root string) (string, error) {
	dir, err := assemble.GitDir(ctx, root)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "wend", "COMMIT_EDITMSG"), nil
}

// keepRefusedMessage saves msg after git refused the commit and returns the
// error to show: git's reason, where the message is and how to retry.
func keepRefusedMessage(ctx context.Context, root, msg string, cause error) error {
	path, err := savedMessagePath(ctx, root)
	if err == nil {
		if err = os.MkdirAll(filepath.Dir(path), 0o700); err == nil {
			err = os.WriteFile(path, []byte(msg), 0o600)
		}
	}
	if err != nil {
		return fmt.Errorf("%w\nThe message could not be saved (%v); here it is:\n%s", cause, err, msg)
	}
	return fmt.Errorf("%w\nYour commit message is saved in %s.\nFix the cause, then run 'wend commit' again (it reuses the message) or: wend commit --file %s", cause, path, path)
}

// savedMessage is the message a refused commit left, or "".
func savedMessage(ctx context.Context, root string) (string, string) {
	path, err := savedMessagePath(ctx, root)
	if err != nil {
		return "", ""
	}
	data, err := os.ReadFile(path)
	if err != nil || strings.TrimSpace(string(data)) == "" {
		return "", ""
	}
	return string(data), path
}

// readMessageFile reads --file (- for standard input is not offered: the
// editor may need the terminal).
func readMessageFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", usageErr("reading the commit message: %v", err)
	}
	if strings.TrimSpace(string(data)) == "" {
		return "", usageErr("the commit message in %s is empty", path)
	}
	return strings.TrimSpace(string(data)) + "\n", nil
}

// stagedPaths are the paths in git's index that differ from HEAD.
func stagedPaths(ctx context.Context, root string) []string {
	out, err := gitrun.Run(ctx, gitrun.Cmd{Dir: root, Args: cachedDiff("--name-only", "-z")})
	if err != nil {
		return nil
	}
	var paths []string
	for _, p := range strings.Split(string(out), "\x00") {
		if p != "" {
			paths = append(paths, p)
		}
	}
	return paths
}

// draftSubject summarises the change in at most 72 characters: the agent's
// summary when its first sentence is a short description, else the files the
// commit touches. The task's text is what the user asked for, not what changed,
// so it goes into the body instead.
func draftSubject(summary string, paths []string) string {
	first := firstLine(summary)
	if i := strings.Index(first, ". "); i > 0 {
		first = first[:i]
	}
	first = strings.TrimSuffix(strings.TrimSpace(first), ".")
	if len(strings.Fields(first)) >= 3 && len(first) <= 72 {
		return first
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	var s string
	switch len(names) {
	case 0:
		return "Changes made with wend"
	case 1:
		s = "Update " + paths[0]
		if len(s) > 72 {
			s = "Update " + names[0]
		}
	case 2:
		s = "Update " + names[0] + " and " + names[1]
	default:
		s = fmt.Sprintf("Update %s, %s and %d more", names[0], names[1], len(names)-2)
	}
	if len(s) > 72 {
		s = fmt.Sprintf("Update %d files", len(names))
	}
	return s
}

// draftBody says why: the task as asked, the plan's steps, the agent's summary.
func draftBody(task, summary string, steps []session.Step) string {
	var b strings.Builder
	if task = strings.TrimSpace(task); task != "" {
		b.WriteString("Task: " + task + "\n")
	}
	if len(steps) > 0 {
		b.WriteString("\nPlan:\n")
		for _, s := range steps {
			if s.Status == session.StepSkipped {
				continue
			}
			b.WriteString("- " + s.Title + "\n")
		}
	}
	if summary = strings.TrimSpace(summary); summary != "" {
		b.WriteString("\n" + summary + "\n")
	}
	return strings.TrimSpace(b.String())
}
