package cli

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"gitlab.com/wend/wend/cli/config"
	"gitlab.com/wend/wend/internal/gitrun"
	"gitlab.com/wend/wend/internal/procenv"
	"gitlab.com/wend/wend/remote/audit"
	"gitlab.com/wend/wend/remote/httpx"
	"gitlab.com/wend/wend/remote/redact"
	"gitlab.com/wend/wend/session/tools"
)

// scrubSecretEnv takes the credentials wend reads from its environment
// (tools.DefaultStripEnv) out of the process before anything else runs, so no
// child (commands, git, hooks) can read them, not even through
// /proc/<wend's pid>/environ; it registers their values for redaction and
// returns the getenv wend reads its settings through. A failure to rewrite the
// initial environment block is not fatal: the variables are unset anyway, and
// redaction masks their values in whatever a tool returns.
func scrubSecretEnv() func(string) string {
	values, _ := procenv.Scrub(tools.DefaultStripEnv...)
	for _, v := range values {
		redact.Register(v)
	}
	return func(name string) string {
		if v, ok := values[name]; ok {
			return v
		}
		return os.Getenv(name)
	}
}

// redacting makes a tool registry mask secrets in everything its tools return:
// the known shapes (remote/redact) and the exact values of the user's own
// credentials from s, however they were read (environment or file). The GitLab
// client registers the token it finds itself (glab's configuration included).
func (g *globals) redacting(s *config.Settings, cfg tools.Config) tools.Config {
	redact.Register(s.APIKey, s.GitLabToken)
	cfg.Redact = redact.String
	return cfg
}

// audit opens the user's audit log once per invocation. When it cannot be opened
// (a read-only home), wend says so once and goes on: losing the audit trail must
// not lose the user's session.
func (g *globals) audit() *audit.Log {
	if !g.auditTried {
		g.auditTried = true
		path, err := audit.DefaultPath()
		if err == nil {
			g.auditLog, err = audit.Open(path)
		}
		if err != nil {
			fmt.Fprintf(g.stderr, "wend: the audit log cannot be opened (%v); requests of this run are not audited\n", err)
		}
	}
	return g.auditLog
}

// wrapAudit adds one audit record per request to rt.
func (g *globals) wrapAudit(rt http.RoundTripper, sessionID string) http.RoundTripper {
	if l := g.audit(); l != nil {
		return audit.Wrap(rt, l, sessionID)
	}
	return rt
}

// httpClient is the client model providers use: proxies from the environment
// (HTTPS_PROXY, NO_PROXY), roots from the system or SSL_CERT_FILE, and one audit
// record per request.
func (g *globals) httpClient(sessionID string) *http.Client {
	return &http.Client{Transport: g.wrapAudit(http.DefaultTransport.(*http.Transport).Clone(), sessionID)}
}

// gitlabLimits are the bounds of GitLab calls (GitLab API, Duo, doctor) from
// the settings; remote/httpx enforces them.
func gitlabLimits(s *config.Settings) httpx.Limits {
	return httpx.Limits{Connect: s.ConnectTimeout, Response: s.ResponseTimeout, MaxBytes: int64(s.MaxResponseMB) << 20}
}

// modelLimits are the bounds of model calls: stream_idle_timeout covers both
// the wait for headers and the gaps between stream events (see llm.Config).
func modelLimits(s *config.Settings) httpx.Limits {
	return httpx.Limits{Connect: s.ConnectTimeout, Idle: s.StreamIdleTimeout, MaxBytes: int64(s.MaxResponseMB) << 20}
}

// gitDir is the repository's common git directory (shared by worktrees).
func gitDir(ctx context.Context, root string) (string, error) {
	out, err := gitrun.Run(ctx, gitrun.Cmd{Dir: root, Args: []string{"rev-parse", "--git-common-dir"}})
	if err != nil {
		return "", err
	}
	dir := strings.TrimSpace(string(out))
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	return dir, nil
}
