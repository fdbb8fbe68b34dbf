package cli

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"

	"gitlab.com/wend/wend/remote/audit"
)

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

// gitDir is the repository's common git directory (shared by worktrees).
func gitDir(ctx context.Context, root string) (string, error) {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--git-common-dir").Output()
	if err != nil {
		return "", err
	}
	dir := strings.TrimSpace(string(out))
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	return dir, nil
}
