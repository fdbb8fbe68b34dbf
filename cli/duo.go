package cli

import (
	"context"
	"errors"
)

// prepareDuoSession runs GitLab's Duo Workflow Service as the engine, with wend as
// its executor (issue 7). Not wired yet.
func prepareDuoSession(ctx context.Context, g *globals, ws *workspace, interactive bool) (*liveSession, error) {
	return nil, &exitError{code: ExitUsage, err: errors.New("--provider gitlab-duo is not available yet")}
}
