// Package health holds the checks behind `wend doctor`: the git repository, the
// GitLab instance (DNS, TCP, TLS, HTTP/2, version), the token (validity, scopes,
// expiry), the user's role on the project, the ActionCable WebSocket, and the
// model provider through a check the caller passes in. Every check has its own
// timeout and all run concurrently, so a dead host costs one timeout, not one
// per check. Each result says what to do when it is not a pass.
package health

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http/httpproxy"

	"gitlab.com/wend/wend/remote/gitlab"
	"gitlab.com/wend/wend/remote/httpx"
	"gitlab.com/wend/wend/remote/redact"
)

// Status is a check's verdict.
type Status string

// Verdicts, best first.
const (
	Pass Status = "pass"
	Warn Status = "warn"
	Fail Status = "fail"
	Skip Status = "skip" // not applicable or not configured
)

// Result is one check's outcome.
type Result struct {
	Name     string        `json:"name"`
	Status   Status        `json:"status"`
	Reason   string        `json:"reason"`
	Fix      string        `json:"fix,omitempty"`
	Duration time.Duration `json:"-"`
}

// MarshalJSON writes Duration in milliseconds (`duration_ms`), the --json shape.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(struct {
		plain
		DurationMS float64 `json:"duration_ms"`
	}{plain(r), float64(r.Duration.Microseconds()) / 1000})
}

// ModelCheck makes a tiny round trip to the model provider and returns a short
// description of what answered ("anthropic claude-x: 312 ms"). The CLI builds
// it from the configured provider.
type ModelCheck func(ctx context.Context) (string, error)

// Config is what doctor checks.
type Config struct {
	// Dir is the repository directory ("" skips the git check).
	Dir string
	// BaseURL is the GitLab instance root, sub-path included ("" skips the
	// GitLab checks).
	BaseURL string
	// Project is the project path for the role check.
	Project string
	// Token is the GitLab token; never printed.
	Token string
	// CAFile adds roots ($SSL_CERT_FILE when empty).
	CAFile string
	// Timeout bounds each check (default 5s).
	Timeout time.Duration
	// Model, when set, is the model provider check.
	Model ModelCheck
	// MinVersion is the GitLab version below which doctor warns (default 17.2).
	MinVersion string
	// Now is the clock for expiry checks (default time.Now).
	Now func() time.Time
	// Proxy picks the proxy for a URL (default: HTTPS_PROXY, HTTP_PROXY and
	// NO_PROXY as they are now). Tests set it: the environment form never
	// proxies loopback addresses.
	Proxy func(*url.URL) (*url.URL, error)
	// Limits bound the doctor's GitLab requests as wend's own (remote/httpx);
	// the per-check Timeout still ends each check sooner.
	Limits httpx.Limits
}

// FromGitLab fills the GitLab part of a Config from the connection settings
// wend itself uses, so doctor checks exactly what wend will use.
func FromGitLab(g gitlab.Config, dir string) Config {
	return Config{Dir: dir, BaseURL: g.BaseURL, Project: g.Project, Token: g.Token, CAFile: g.CAFile}
}

// transport is wend's GitLab transport (roots from CAFile) with cfg.Proxy.
func (cfg Config) transport() (*http.Transport, error) {
	tr, err := gitlab.NewTransport(cfg.CAFile)
	if err != nil {
		return nil, err
	}
	proxy := cfg.Proxy
	tr.Proxy = func(r *http.Request) (*url.URL, error) { return proxy(r.URL) }
	return tr, nil
}

// client is what wend itself would use over tr: the request policy of
// remote/httpx, so doctor never sends the token to a host GitLab redirects to,
// and reports such a redirect rather than following it.
func (cfg Config) client(tr *http.Transport) *http.Client {
	l := cfg.Limits
	if l.Peer == "" {
		l.Peer = "GitLab"
	}
	if l.URLKey == "" {
		l.URLKey = "gitlab_url"
	}
	return httpx.Secure(&http.Client{Transport: tr}, l)
}

// PolicyFailure is the result for a request the policy stopped (a redirect to
// another host, a bound broken), with what to do; false for other errors.
// Exported for the Duo checks in cli, so a refused redirect gets the same
// advice there.
func PolicyFailure(name string, err error) (Result, bool) {
	var limit *httpx.Error
	if !errors.As(err, &limit) {
		return Result{}, false
	}
	r := Result{Name: name, Status: Fail, Reason: redact.String(limit.Error())}
	if limit.Kind == httpx.KindRedirect {
		r.Fix = "set gitlab_url (or GITLAB_URL) to the address the instance redirects to (" + limit.To + "); wend sends the token only to the configured host"
	} else {
		r.Fix = "check the instance and any proxy in between; on a slow link raise " + limit.Key + " in the wend config"
	}
	return r, true
}

// Check names, in report order.
const (
	CheckGit       = "git"
	CheckDNS       = "gitlab.dns"
	CheckTCP       = "gitlab.tcp"
	CheckTLS       = "gitlab.tls"
	CheckHTTP2     = "gitlab.http2"
	CheckVersion   = "gitlab.version"
	CheckToken     = "gitlab.token"
	CheckRole      = "gitlab.role"
	CheckWebSocket = "gitlab.websocket"
	CheckModel     = "model"
)

var order = []string{CheckGit, CheckDNS, CheckTCP, CheckTLS, CheckHTTP2, CheckVersion, CheckToken, CheckRole, CheckWebSocket, CheckModel}

// Run performs every check concurrently and returns the results in report
// order. It returns within about one Timeout whatever the network does.
func Run(ctx context.Context, cfg Config) []Result {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	redact.Register(cfg.Token)
	if cfg.MinVersion == "" {
		cfg.MinVersion = "17.2"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CAFile == "" {
		cfg.CAFile = os.Getenv("SSL_CERT_FILE")
	}
	if cfg.Proxy == nil {
		cfg.Proxy = httpproxy.FromEnvironment().ProxyFunc()
	}
	var (
		mu  sync.Mutex
		out []Result
		wg  sync.WaitGroup
	)
	add := func(rs ...Result) {
		mu.Lock()
		out = append(out, rs...)
		mu.Unlock()
	}
	// timed runs one check (which may report several results) under its own
	// timeout and stamps the duration on results that lack one.
	timed := func(fn func(ctx context.Context) []Result) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
			defer cancel()
			start := time.Now()
			rs := fn(cctx)
			for i := range rs {
				if rs[i].Duration == 0 {
					rs[i].Duration = time.Since(start)
				}
			}
			add(rs...)
		}()
	}
	timed(func(ctx context.Context) []Result { return []Result{checkGit(ctx, cfg.Dir)} })
	if cfg.BaseURL == "" {
		for _, n := range []string{CheckDNS, CheckTCP, CheckTLS, CheckHTTP2, CheckVersion, CheckToken, CheckRole, CheckWebSocket} {
			add(Result{Name: n, Status: Skip, Reason: "no GitLab instance configured", Fix: "set GITLAB_URL or gitlab_url, or run in a clone with a GitLab remote"})
		}
	} else if u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/")); err != nil || u.Host == "" {
		add(Result{Name: CheckDNS, Status: Fail, Reason: "GitLab URL " + cfg.BaseURL + " is not a URL", Fix: "set GITLAB_URL to https://host[/path]"})
	} else {
		a := &api{cfg: cfg, base: u}
		timed(func(ctx context.Context) []Result { return connectivity(ctx, cfg, u) })
		timed(func(ctx context.Context) []Result { return []Result{a.version(ctx)} })
		timed(func(ctx context.Context) []Result { return []Result{a.token(ctx)} })
		timed(func(ctx context.Context) []Result { return []Result{a.role(ctx)} })
		timed(func(ctx context.Context) []Result { return []Result{a.cable(ctx)} })
	}
	if cfg.Model == nil {
		add(Result{Name: CheckModel, Status: Skip, Reason: "no model check configured"})
	} else {
		timed(func(ctx context.Context) []Result { return []Result{checkModel(ctx, cfg.Model)} })
	}
	wg.Wait()
	return sortResults(out)
}

func sortResults(rs []Result) []Result {
	rank := map[string]int{}
	for i, n := range order {
		rank[n] = i
	}
	sorted := make([]Result, 0, len(rs))
	for _, n := range order {
		for _, r := range rs {
			if r.Name == n {
				sorted = append(sorted, r)
			}
		}
	}
	for _, r := range rs {
		if _, ok := rank[r.Name]; !ok {
			sorted = append(sorted, r)
		}
	}
	return sorted
}

// Worst is the worst status among results (Skip counts as Pass); the CLI maps
// it to an exit code.
func Worst(rs []Result) Status {
	w := Pass
	for _, r := range rs {
		switch {
		case r.Status == Fail:
			return Fail
		case r.Status == Warn:
			w = Warn
		}
	}
	return w
}

func checkModel(ctx context.Context, m ModelCheck) Result {
	detail, err := m(ctx)
	if err != nil {
		r := Result{Name: CheckModel, Status: Fail, Reason: redactErr(err),
			Fix: "check the provider, model name, base URL and API key (wend doctor --json shows which settings are in use)"}
		var refused *httpx.Error
		if errors.As(err, &refused) && refused.Kind == httpx.KindRedirect {
			r.Fix = "set base_url to the address the model server redirects to (" + refused.To + "); wend sends the API key and the conversation only to the configured host"
		}
		if timedOut(ctx, err) {
			r.Reason = "no answer from the model provider in time"
			r.Fix = "check the base URL, the network and HTTPS_PROXY"
		}
		return r
	}
	return Result{Name: CheckModel, Status: Pass, Reason: detail}
}

// timedOut reports whether err is the check's own deadline (or a network
// timeout), as opposed to a refusal.
func timedOut(ctx context.Context, err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
