package cli

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"gitlab.com/wend/wend/remote/audit"
)

var (
	auditOnce sync.Once
	auditLog  *audit.Log
)

// openAudit opens the user's audit log once per process. When it cannot be opened
// (a read-only home), wend says so and goes on: losing the audit trail must not
// lose the user's session.
func openAudit(stderr func(string)) *audit.Log {
	auditOnce.Do(func() {
		path, err := audit.DefaultPath()
		if err == nil {
			auditLog, err = audit.Open(path)
		}
		if err != nil {
			stderr(fmt.Sprintf("wend: the audit log cannot be opened (%v); requests of this run are not audited", err))
		}
	})
	return auditLog
}

// httpClient is the client every outgoing request uses: proxies from the
// environment (HTTPS_PROXY, NO_PROXY), roots from the system or SSL_CERT_FILE, and one
// audit record per request.
func httpClient(sessionID string) *http.Client {
	var rt http.RoundTripper = http.DefaultTransport.(*http.Transport).Clone()
	if l := openAudit(func(s string) { fmt.Fprintln(os.Stderr, s) }); l != nil {
		rt = audit.Wrap(rt, l, sessionID)
	}
	return &http.Client{Transport: rt}
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
