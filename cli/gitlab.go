package cli

import (
	"context"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/remote/gitlab"
)

// gitlabConfig finds the instance and project from the settings and the git
// remote (assemble.GitLabConfig), with this invocation's audit trail.
func (g *globals) gitlabConfig(ctx context.Context, ws *workspace, sessionID string) (gitlab.Config, error) {
	return assemble.GitLabConfig(ctx, ws.repo.Root(), ws.settings, g.wrapAudit, sessionID)
}

// gitlabClient connects to the project's GitLab, or returns assemble.ErrNoGitLab.
func (g *globals) gitlabClient(ctx context.Context, ws *workspace, sessionID string) (*gitlab.Client, error) {
	return assemble.GitLabClient(ctx, ws.repo.Root(), ws.settings, g.wrapAudit, sessionID)
}
