package health

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// api makes the doctor's GitLab API requests with wend's own transport (proxy,
// roots), so what doctor sees is what wend will see.
type api struct {
	cfg    Config
	base   *url.URL
	once   sync.Once
	client *http.Client
	err    error
}

func (a *api) http() (*http.Client, error) {
	a.once.Do(func() {
		tr, err := a.cfg.transport()
		a.client, a.err = a.cfg.client(tr), err
	})
	return a.client, a.err
}

// get fetches base+/api/v4+path into v; it returns the status (0 on a
// transport error).
func (a *api) get(ctx context.Context, path string, v any) (int, error) {
	c, err := a.http()
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(a.base.String(), "/")+"/api/v4"+path, nil)
	if err != nil {
		return 0, err
	}
	if a.cfg.Token != "" {
		req.Header.Set("PRIVATE-TOKEN", a.cfg.Token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, json.Unmarshal(body, v)
}

// transportFailure is the result for a request that got no HTTP answer.
func transportFailure(ctx context.Context, name string, err error, timeout time.Duration) Result {
	if r, ok := PolicyFailure(name, err); ok {
		return r
	}
	r := Result{Name: name, Status: Fail, Reason: "no answer: " + shortErr(err), Fix: "see the DNS, TCP and TLS results"}
	if timedOut(ctx, err) {
		r.Reason = fmt.Sprintf("no answer within %s", timeout)
	}
	return r
}

func (a *api) version(ctx context.Context) Result {
	var v struct{ Version, Revision string }
	status, err := a.get(ctx, "/version", &v)
	switch {
	case err != nil && status == 0:
		return transportFailure(ctx, CheckVersion, err, a.cfg.Timeout)
	case status == http.StatusUnauthorized:
		return Result{Name: CheckVersion, Status: Warn, Reason: "the version needs a valid token (401)", Fix: "see the token check"}
	case status != http.StatusOK || err != nil:
		return Result{Name: CheckVersion, Status: Fail, Reason: fmt.Sprintf("GET /api/v4/version answered %d", status),
			Fix: "check that GITLAB_URL is the instance root (with its sub-path, e.g. https://host/gitlab)"}
	}
	if older(v.Version, a.cfg.MinVersion) {
		return Result{Name: CheckVersion, Status: Warn, Reason: fmt.Sprintf("GitLab %s is older than %s", v.Version, a.cfg.MinVersion),
			Fix: "some features (Duo Workflow, work items) need GitLab " + a.cfg.MinVersion + " or later; ask the admins to upgrade"}
	}
	return Result{Name: CheckVersion, Status: Pass, Reason: "GitLab " + v.Version}
}

// older compares dotted versions numerically ("17.10.1-ee" vs "17.2").
func older(v, min string) bool {
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
	for i := 0; i < max(len(a), len(b)); i++ {
		x, y := 0, 0
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return x < y
		}
	}
	return false
}

func (a *api) tokenPage() string {
	return strings.TrimRight(a.base.String(), "/") + "/-/user_settings/personal_access_tokens"
}

func (a *api) token(ctx context.Context) Result {
	r := Result{Name: CheckToken}
	if a.cfg.Token == "" {
		r.Status, r.Reason = Fail, "no GitLab token"
		r.Fix = "create a personal access token with the api scope at " + a.tokenPage() + " and set GITLAB_TOKEN (or gitlab_token_file, or log in with glab)"
		return r
	}
	var t struct {
		Name      string   `json:"name"`
		Revoked   bool     `json:"revoked"`
		Active    bool     `json:"active"`
		Scopes    []string `json:"scopes"`
		ExpiresAt *string  `json:"expires_at"`
	}
	status, err := a.get(ctx, "/personal_access_tokens/self", &t)
	switch {
	case err != nil && status == 0:
		return transportFailure(ctx, CheckToken, err, a.cfg.Timeout)
	case status == http.StatusUnauthorized:
		r.Status, r.Reason = Fail, "GitLab rejects the token (401): it is invalid, expired or revoked"
		r.Fix = "create a new token with the api scope at " + a.tokenPage() + " and update GITLAB_TOKEN"
		return r
	case status == http.StatusNotFound || status == http.StatusForbidden:
		r.Status, r.Reason = Warn, fmt.Sprintf("the token works but its details are not readable (%d): not a personal access token, or an old GitLab", status)
		return r
	case status != http.StatusOK || err != nil:
		r.Status, r.Reason = Fail, fmt.Sprintf("GET /api/v4/personal_access_tokens/self answered %d", status)
		return r
	}
	if t.Revoked || !t.Active {
		r.Status, r.Reason, r.Fix = Fail, fmt.Sprintf("token %q is revoked or inactive", t.Name), "create a new token at "+a.tokenPage()
		return r
	}
	scopes := strings.Join(t.Scopes, ", ")
	has := func(s string) bool {
		for _, x := range t.Scopes {
			if x == s {
				return true
			}
		}
		return false
	}
	expiry := "no expiry"
	if t.ExpiresAt != nil && *t.ExpiresAt != "" {
		exp, err := time.Parse("2006-01-02", *t.ExpiresAt)
		if err == nil {
			// A token is valid through its expiry date (UTC).
			left := exp.AddDate(0, 0, 1).Sub(a.cfg.Now())
			days := int(left.Hours() / 24)
			switch {
			case left <= 0:
				r.Status, r.Reason, r.Fix = Fail, fmt.Sprintf("token %q expired on %s", t.Name, *t.ExpiresAt), "create a new token at "+a.tokenPage()
				return r
			case days < 14:
				r.Status = Warn
				r.Reason = fmt.Sprintf("token %q expires on %s (in %d days); scopes: %s", t.Name, *t.ExpiresAt, days, scopes)
				r.Fix = "rotate it soon at " + a.tokenPage()
			}
			expiry = "expires " + *t.ExpiresAt
		}
	}
	switch {
	case !has("api") && !has("read_api"):
		r.Status, r.Reason = Fail, fmt.Sprintf("token %q lacks the api and read_api scopes (has: %s)", t.Name, scopes)
		r.Fix = "create a token with the api scope at " + a.tokenPage()
	case !has("api") && r.Status == "":
		r.Status, r.Reason = Warn, fmt.Sprintf("token %q has read_api only (%s): reading works, creating merge requests and notes does not", t.Name, expiry)
		r.Fix = "for write actions, create a token with the api scope at " + a.tokenPage()
	case r.Status == "":
		r.Status, r.Reason = Pass, fmt.Sprintf("token %q, scopes: %s, %s", t.Name, scopes, expiry)
	}
	return r
}

var roles = map[int]string{0: "no access", 5: "Minimal Access", 10: "Guest", 15: "Planner", 20: "Reporter", 30: "Developer", 40: "Maintainer", 50: "Owner"}

func (a *api) role(ctx context.Context) Result {
	r := Result{Name: CheckRole}
	if a.cfg.Project == "" {
		r.Status, r.Reason = Skip, "no project (no GitLab remote)"
		return r
	}
	if a.cfg.Token == "" {
		r.Status, r.Reason = Skip, "no token"
		return r
	}
	pid := url.PathEscape(a.cfg.Project)
	var me struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
	}
	status, err := a.get(ctx, "/user", &me)
	if err != nil && status == 0 {
		return transportFailure(ctx, CheckRole, err, a.cfg.Timeout)
	}
	if status != http.StatusOK {
		r.Status, r.Reason, r.Fix = Fail, fmt.Sprintf("cannot read the token's user (%d)", status), "see the token check"
		return r
	}
	level := -1
	var member struct {
		AccessLevel int `json:"access_level"`
	}
	status, err = a.get(ctx, fmt.Sprintf("/projects/%s/members/all/%d", pid, me.ID), &member)
	if err == nil && status == http.StatusOK {
		level = member.AccessLevel
	} else if status == http.StatusNotFound || status == http.StatusForbidden {
		// Not a member (an admin, or access through a shared group the
		// members API does not show): the project's permissions say.
		var p struct {
			Permissions struct {
				Project *struct {
					AccessLevel int `json:"access_level"`
				} `json:"project_access"`
				Group *struct {
					AccessLevel int `json:"access_level"`
				} `json:"group_access"`
			} `json:"permissions"`
		}
		status, err = a.get(ctx, "/projects/"+pid, &p)
		if err != nil && status == 0 {
			return transportFailure(ctx, CheckRole, err, a.cfg.Timeout)
		}
		if status == http.StatusNotFound {
			r.Status, r.Reason = Fail, fmt.Sprintf("project %s is not visible to @%s on %s", a.cfg.Project, me.Username, a.base.Host)
			r.Fix = "check the project path (git remote) and that your user has access"
			return r
		}
		level = 0
		if p.Permissions.Project != nil {
			level = p.Permissions.Project.AccessLevel
		}
		if p.Permissions.Group != nil {
			level = max(level, p.Permissions.Group.AccessLevel)
		}
	} else if err != nil {
		return transportFailure(ctx, CheckRole, err, a.cfg.Timeout)
	}
	name := roles[level]
	if name == "" {
		name = fmt.Sprintf("level %d", level)
	}
	switch {
	case level >= 30:
		r.Status, r.Reason = Pass, fmt.Sprintf("@%s is %s on %s", me.Username, name, a.cfg.Project)
	case level >= 10:
		r.Status, r.Reason = Warn, fmt.Sprintf("@%s is %s on %s: reading works, pushing branches and creating merge requests needs Developer", me.Username, name, a.cfg.Project)
		r.Fix = "ask a Maintainer of " + a.cfg.Project + " for the Developer role"
	default:
		r.Status, r.Reason = Fail, fmt.Sprintf("@%s has no role on %s", me.Username, a.cfg.Project)
		r.Fix = "ask a Maintainer of " + a.cfg.Project + " to add you as Developer"
	}
	return r
}

// cable opens the ActionCable WebSocket (/-/cable) and waits for its welcome
// message. HTTP/1.1 is forced: the WebSocket upgrade does not exist in HTTP/2.
func (a *api) cable(ctx context.Context) Result {
	r := Result{Name: CheckWebSocket}
	tr, err := a.cfg.transport()
	if err != nil {
		r.Status, r.Reason = Fail, err.Error()
		return r
	}
	defer tr.CloseIdleConnections()
	tr.ForceAttemptHTTP2 = false
	tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
	u := *a.base
	u.Scheme = map[string]string{"https": "wss", "http": "ws"}[u.Scheme]
	u.Path = strings.TrimRight(u.Path, "/") + "/-/cable"
	h := http.Header{}
	h.Set("Origin", strings.TrimRight(a.base.String(), "/"))
	if a.cfg.Token != "" {
		h.Set("PRIVATE-TOKEN", a.cfg.Token)
	}
	conn, resp, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{
		HTTPClient: a.cfg.client(tr), HTTPHeader: h, Subprotocols: []string{"actioncable-v1-json"},
	})
	if pr, ok := PolicyFailure(CheckWebSocket, err); ok {
		return pr
	}
	if err != nil {
		return cableFailure(ctx, err, resp, a.cfg.Timeout)
	}
	defer conn.CloseNow()
	_, msg, err := conn.Read(ctx)
	if err != nil {
		r.Status, r.Reason = Fail, "the WebSocket opened but sent nothing: "+shortErr(err)
		r.Fix = "a proxy may cut idle WebSockets; check its timeouts"
		return r
	}
	var m struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(msg, &m) != nil || m.Type != "welcome" {
		r.Status, r.Reason = Warn, fmt.Sprintf("the WebSocket answered, but not with ActionCable's welcome (%.60q)", msg)
		r.Fix = "check that GITLAB_URL is the instance root"
		return r
	}
	conn.Close(websocket.StatusNormalClosure, "")
	r.Status, r.Reason = Pass, "ActionCable welcome received at "+u.Path
	return r
}

// proxyAdvice is the cable check's fix when something between wend and GitLab
// plausibly refused the upgrade.
const proxyAdvice = "a proxy or load balancer in front of GitLab must pass WebSocket upgrades (Upgrade/Connection headers) for /-/cable; Duo Workflow and live updates need it"

// cableFailure is the result of a WebSocket dial that failed. Proxy advice
// only where a proxy is a plausible cause: an answer without the upgrade, a
// connection cut or left silent after it opened, or a failing proxy itself. A
// name that does not resolve, or a host that refuses or fails TLS, is the
// network checks' finding, and proxy advice there sent users the wrong way.
func cableFailure(ctx context.Context, err error, resp *http.Response, timeout time.Duration) Result {
	r := Result{Name: CheckWebSocket, Status: Fail, Fix: proxyAdvice}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case resp != nil:
		r.Reason = fmt.Sprintf("no WebSocket upgrade at /-/cable: the server answered %s", resp.Status)
		return r
	case errors.As(err, &dnsErr):
		r.Reason = "WebSocket to /-/cable failed: " + shortErr(err)
		r.Fix = "the host name does not resolve: fix that first (see " + CheckDNS + ")"
		return r
	case errors.As(err, &opErr) && opErr.Op == "dial":
		// Not even TCP to GitLab itself (a proxy's dial says "proxyconnect").
		r.Reason = "WebSocket to /-/cable failed: " + shortErr(err)
		r.Fix = "see the DNS, TCP and TLS results"
		return r
	case isTLSFailure(err):
		r.Reason = "WebSocket to /-/cable failed: " + shortErr(err)
		r.Fix = "see the TLS result"
		return r
	case timedOut(ctx, err):
		r.Reason = fmt.Sprintf("no WebSocket answer at /-/cable within %s", timeout)
	default:
		r.Reason = "WebSocket to /-/cable failed: " + shortErr(err)
	}
	return r
}

// isTLSFailure reports a certificate the client refused: the TLS check's finding.
func isTLSFailure(err error) bool {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid) || errors.As(err, &verify)
}
