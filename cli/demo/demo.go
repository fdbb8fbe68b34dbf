// Package demo holds wend's offline demonstration: a small sample repository with a
// failing test, and a deterministic demo model served on 127.0.0.1 in the OpenAI
// wire format (server.go), which follows the session as it goes: the plan as the
// user edited it, adjustments, denials, rejections and follow-up tasks. `wend demo`
// shows the whole flow, and every control, with no key and no network.
package demo

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gitlab.com/wend/wend/internal/gitrun"
)

// The sample files end in .txt so the Go tool does not treat them as part of wend.
//
//go:embed sample/*.txt
var sample embed.FS

// Task is what the demo asks the agent to do.
const Task = "The tests fail. Find out why and fix the bug."

// CreateRepo writes the sample repository into dir (which must exist and be empty)
// and commits it on branch main, with fixed dates so commit ids are reproducible.
func CreateRepo(ctx context.Context, dir string) error {
	err := fs.WalkDir(sample, "sample", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := sample.ReadFile(path)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(strings.TrimPrefix(path, "sample/"), ".txt")
		return os.WriteFile(filepath.Join(dir, name), data, 0o644)
	})
	if err != nil {
		return fmt.Errorf("writing the sample repository: %w", err)
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "-A"},
		{"commit", "-q", "-m", "Add stats package"},
	} {
		_, err := gitrun.Run(ctx, gitrun.Cmd{Dir: dir, Args: args, Env: []string{
			"GIT_AUTHOR_NAME=wend demo", "GIT_AUTHOR_EMAIL=demo@wend.invalid",
			"GIT_COMMITTER_NAME=wend demo", "GIT_COMMITTER_EMAIL=demo@wend.invalid",
			"GIT_AUTHOR_DATE=2026-01-01T12:00:00Z", "GIT_COMMITTER_DATE=2026-01-01T12:00:00Z",
			"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1"}})
		var ge *gitrun.Error
		if errors.As(err, &ge) {
			return fmt.Errorf("git %s: %v: %s", args[0], ge.Err, strings.TrimSpace(ge.Stderr))
		}
		if err != nil {
			return fmt.Errorf("git %s: %v", args[0], err)
		}
	}
	return nil
}
