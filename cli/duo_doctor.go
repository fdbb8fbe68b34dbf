package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/net/http/httpproxy"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/remote/gitlab"
	"gitlab.com/wend/wend/remote/health"
)

// Names of doctor's Duo checks.
const (
	CheckDuoVersion   = "duo.version"
	CheckDuoWorkflows = "duo.workflows"
	CheckDuoWebSocket = "duo.websocket"
)

// duoMinVersion is the first GitLab whose Duo Workflow Service honours the client
// capabilities wend declares (shell_command, incremental streaming, ...).
const duoMinVersion = "18.7"

// duoDoctorChecks are wend doctor's checks for --provider gitlab-duo, run
// concurrently with timeout each: the version supports it, the workflows API
// answers the token, and the WebSocket upgrade at /api/v4/ai/duo_workflows/ws
// succeeds. None of them creates a workflow. glc is what g.gitlabConfig returns.
func duoDoctorChecks(ctx context.Context, glc gitlab.Config, timeout time.Duration) []health.Result {
	if glc.BaseURL == "" || glc.Token == "" {
		out := skippedDuoChecks("no GitLab instance or token configured")
		out[0].Fix = "set GITLAB_TOKEN and GITLAB_URL (or a GitLab remote named origin)"
		return out
	}
	_, hc, err := assemble.DuoClient(glc)
	if err != nil {
		return []health.Result{{Name: CheckDuoWorkflows, Status: health.Fail, Reason: err.Error()}}
	}
	checks := []func(context.Context) health.Result{
		func(ctx context.Context) health.Result { return duoVersionCheck(ctx, hc, glc) },
		func(ctx context.Context) health.Result { return duoWorkflowsCheck(ctx, hc, glc) },
		func(ctx context.Context) health.Result { return duoWebSocketCheck(ctx, hc, glc) },
	}
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	out := make([]health.Result, len(checks))
	var wg sync.WaitGroup
	for i, check := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			start := time.Now()
			out[i] = check(cctx)
			out[i].Duration = time.Since(start)
		}()
	}
	wg.Wait()
	return out
}

// duoGet fetches an API path with the user's token; status 0 means no answer.
func duoGet(ctx context.Context, hc *http.Client, glc gitlab.Config, path string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(glc.BaseURL, "/")+path, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+glc.Token)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, nil
}

func duoVersionCheck(ctx context.Context, hc *http.Client, glc gitlab.Config) health.Result {
	r := health.Result{Name: CheckDuoVersion}
	status, body, err := duoGet(ctx, hc, glc, "/api/v4/version")
	if pr, ok := health.PolicyFailure(r.Name, err); ok {
		return pr
	}
	var v struct{ Version string }
	switch {
	case err != nil:
		r.Status, r.Reason, r.Fix = health.Fail, "no answer: "+err.Error(), "see the gitlab.* checks"
	case status == http.StatusUnauthorized:
		r.Status, r.Reason, r.Fix = health.Fail, "the token was refused (401)", "use a personal access token with the api scope in GITLAB_TOKEN"
	case status != http.StatusOK || json.Unmarshal(body, &v) != nil || v.Version == "":
		r.Status, r.Reason = health.Warn, fmt.Sprintf("GET /api/v4/version answered %d; the version is unknown", status)
	case versionBefore(v.Version, duoMinVersion):
		r.Status, r.Reason = health.Warn, "GitLab "+v.Version+" is older than "+duoMinVersion
		r.Fix = "the Duo Workflow Service ignores wend's client capabilities before " + duoMinVersion + " (shell commands, streamed chat); ask the admins to upgrade"
	default:
		r.Status, r.Reason = health.Pass, "GitLab "+v.Version
	}
	return r
}

// versionBefore compares dotted versions numerically ("18.10.1-ee" vs "18.7").
func versionBefore(v, min string) bool {
	parse := func(s string) []int {
		s, _, _ = strings.Cut(s, "-")
		var out []int
		for _, p := range strings.Split(s, ".") {
			n, _ := strconv.Atoi(p)
			out = append(out, n)
		}
		return out
	}
	a, b := parse(v), parse(min)
	for i := range b {
		x := 0
		if i < len(a) {
			x = a[i]
		}
		if x != b[i] {
			return x < b[i]
		}
	}
	return false
}

func duoWorkflowsCheck(ctx context.Context, hc *http.Client, glc gitlab.Config) health.Result {
	r := health.Result{Name: CheckDuoWorkflows}
	status, _, err := duoGet(ctx, hc, glc, "/api/v4/ai/duo_workflows/workflows/agent_privileges")
	if pr, ok := health.PolicyFailure(r.Name, err); ok {
		return pr
	}
	switch {
	case err != nil:
		r.Status, r.Reason, r.Fix = health.Fail, "no answer: "+err.Error(), "see the gitlab.* checks"
	case status == http.StatusOK:
		r.Status, r.Reason = health.Pass, "the Duo workflows API answers"
	case status == http.StatusUnauthorized:
		r.Status, r.Reason, r.Fix = health.Fail, "the token was refused (401)", "use a personal access token with the api scope in GITLAB_TOKEN"
	case status == http.StatusForbidden:
		r.Status, r.Reason = health.Fail, "the workflows API refused the token (403)"
		r.Fix = "GitLab Duo (Agent Platform) must be on for the project's top-level group and the user must have a Duo seat; an ai_workflows-only token is not enough (use the api scope)"
	case status == http.StatusNotFound:
		r.Status, r.Reason = health.Fail, "the instance has no Duo workflows API (404)"
		r.Fix = "--provider gitlab-duo needs GitLab EE with GitLab Duo and the Duo Agent Platform turned on"
	default:
		r.Status, r.Reason = health.Fail, fmt.Sprintf("the workflows API answered %d", status)
	}
	return r
}

// skippedDuoChecks are the Duo checks, not run for one reason.
func skippedDuoChecks(why string) []health.Result {
	return []health.Result{
		{Name: CheckDuoVersion, Status: health.Skip, Reason: why},
		{Name: CheckDuoWorkflows, Status: health.Skip, Reason: why},
		{Name: CheckDuoWebSocket, Status: health.Skip, Reason: why},
	}
}

// proxyFor is the proxy the environment names for u, or "" (a variable, so
// the advice below follows what the HTTP client really does).
func proxyFor(u *url.URL) string {
	p, err := httpproxy.FromEnvironment().ProxyFunc()(u)
	if err != nil || p == nil {
		return ""
	}
	return p.Host
}

func duoWebSocketCheck(ctx context.Context, hc *http.Client, glc gitlab.Config) health.Result {
	r := health.Result{Name: CheckDuoWebSocket}
	base, err := url.Parse(strings.TrimRight(glc.BaseURL, "/"))
	if err != nil {
		r.Status, r.Reason = health.Fail, "bad GitLab URL: "+err.Error()
		return r
	}
	u := "ws" + strings.TrimPrefix(base.String(), "http") + "/api/v4/ai/duo_workflows/ws"
	if glc.Project != "" {
		u += "?project_id=" + url.QueryEscape(glc.Project)
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+glc.Token)
	h.Set("Origin", base.Scheme+"://"+base.Host) // Workhorse checks it
	c, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: hc, HTTPHeader: h})
	if pr, ok := health.PolicyFailure(r.Name, err); ok {
		return pr
	}
	if err != nil {
		r.Status, r.Reason = health.Fail, "the WebSocket upgrade failed: "+err.Error()
		switch {
		case resp == nil && proxyFor(base) != "":
			r.Fix = "the proxy " + proxyFor(base) + " or a load balancer may not pass WebSocket upgrades; see the gitlab.websocket check"
		case resp == nil:
			r.Fix = "a load balancer in front of GitLab may not pass WebSocket upgrades; see the gitlab.websocket check"
		case resp.StatusCode == http.StatusUnauthorized:
			r.Fix = "use a personal access token with the api scope in GITLAB_TOKEN"
		case resp.StatusCode == http.StatusForbidden:
			r.Fix = "Workhorse checks Origin, and the user needs Duo Agent Platform access on the project"
		case resp.StatusCode == http.StatusNotFound:
			r.Fix = "the instance has no Duo workflows WebSocket; it needs GitLab EE with the Duo Agent Platform"
		}
		return r
	}
	// Nothing is started: the connection closes before any startRequest.
	_ = c.Close(websocket.StatusNormalClosure, "wend doctor")
	r.Status, r.Reason = health.Pass, "WebSocket upgrade at /api/v4/ai/duo_workflows/ws succeeded"
	return r
}
