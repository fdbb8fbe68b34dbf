package cli

import (
	"fmt"
	"net/http"
	"os"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/internal/procenv"
	"gitlab.com/wend/wend/remote/audit"
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

// httpClient is the client model providers use (assemble.HTTPClient), with
// one audit record per request.
func (g *globals) httpClient(sessionID string) *http.Client {
	return assemble.HTTPClient(g.wrapAudit, sessionID)
}
