// Package gitlab is wend's connection to a GitLab instance (client-go v2): it
// finds the instance, project and token, fetches issues, merge requests, epics,
// pipelines and job logs (independent requests in parallel), renders them as
// bounded markdown for the model and the user, searches, and performs the two
// write actions a user may ask for. Every text it returns has passed through
// remote/redact.
//
// Entry points: Discover (config + git remote + glab login → Config), New
// (Config → Client; Config.Wrap takes audit.Wrap), Client.Resolve /
// ResolveText / ResolveIn / ResolveAll (references → Item markdown),
// Client.Tools (the gitlab_* tool functions), Client.Search and Client.Suggest
// (gitlab_search and the UI's completion), Client.CreateMergeRequest and
// Client.AddNote (write actions, on the user's explicit request only),
// Client.JobExcerpt and JobLogRange (job logs, streamed).
package gitlab

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
	"golang.org/x/net/http/httpproxy"

	"gitlab.com/wend/wend/remote/httpx"
	"gitlab.com/wend/wend/remote/redact"
	"gitlab.com/wend/wend/remote/retry"
)

// Client talks to one instance on behalf of one project. Safe for concurrent use.
type Client struct {
	api     *gl.Client
	http    *http.Client
	base    *url.URL // instance web root, sub-path included, no trailing slash
	project string
	sem     chan struct{} // bounds parallel requests

	meMu sync.Mutex
	me   int64 // the token's user, 0 until known
}

// New builds a Client. It makes no request.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("GitLab URL %q is not a URL", cfg.BaseURL)
	}
	tr, err := NewTransport(cfg.CAFile)
	if err != nil {
		return nil, err
	}
	// The policy's guard sits next to the network, so its limits do not count
	// the rate gate's wait, and the audit record sees what the guard let through.
	rt := httpx.Guard(tr, cfg.limits())
	if cfg.Wrap != nil {
		rt = cfg.Wrap(rt)
	}
	rt = keepNotFound{newRateGate(rt)}
	hc := httpx.Secure(&http.Client{Transport: rt}, cfg.limits())
	redact.Register(cfg.Token)

	retryMax := cfg.RetryMax
	if retryMax == 0 {
		retryMax = 3
	}
	if retryMax < 0 {
		retryMax = 0
	}
	waitMin, waitMax := cfg.RetryWaitMin, cfg.RetryWaitMax
	if waitMin <= 0 {
		waitMin = 500 * time.Millisecond
	}
	if waitMax <= 0 {
		waitMax = 60 * time.Second
	}
	api, err := gl.NewClient(cfg.Token,
		gl.WithBaseURL(base.String()+"/api/v4"),
		gl.WithHTTPClient(hc),
		gl.WithCustomRetryMax(retryMax),
		gl.WithCustomRetryWaitMinMax(waitMin, waitMax),
		gl.WithCustomBackoff(backoff),
		gl.WithUserAgent("wend"),
		gl.WithOnlyIdempotentRetries(),
		// client-go's default limiter is rebuilt from the first response's
		// RateLimit-Limit while concurrent requests read it (a data race in
		// v2.64.0, found with -race). rateGate paces on RateLimit-Remaining
		// and RateLimit-Reset instead, and 429s back off on Retry-After.
		gl.WithCustomLimiter(noLimit{}),
	)
	if err != nil {
		return nil, err
	}
	n := cfg.Concurrency
	if n <= 0 {
		n = 8
	}
	return &Client{api: api, http: hc, base: base, project: cfg.Project, sem: make(chan struct{}, n)}, nil
}

// API is the underlying client-go client, for calls this package does not wrap.
func (c *Client) API() *gl.Client { return c.api }

// BaseURL is the instance web root (https://host/gitlab).
func (c *Client) BaseURL() string { return c.base.String() }

// Host is the instance host with its port, if any.
func (c *Client) Host() string { return c.base.Host }

// Project is the current project path.
func (c *Client) Project() string { return c.project }

// HTTPClient is the configured client (proxy, roots, audit wrapper), for
// callers that need raw requests against the same instance.
func (c *Client) HTTPClient() *http.Client { return c.http }

// NewTransport returns an HTTP transport that honours HTTPS_PROXY, HTTP_PROXY
// and NO_PROXY as they are when it is built (http.ProxyFromEnvironment reads
// them once per process), and trusts the system roots plus caFile, or plus
// $SSL_CERT_FILE when caFile is empty. HTTP/2 is attempted on TLS connections.
func NewTransport(caFile string) (*http.Transport, error) {
	tlsCfg, err := TLSConfig(caFile)
	if err != nil {
		return nil, err
	}
	proxy := httpproxy.FromEnvironment().ProxyFunc()
	return &http.Transport{
		Proxy:                 func(r *http.Request) (*url.URL, error) { return proxy(r.URL) },
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsCfg,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          32,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}, nil
}

// TLSConfig trusts the system roots plus the PEM certificates in caFile
// ($SSL_CERT_FILE when empty). The file is read on every call, so a test or a
// long-lived process sees a changed environment.
func TLSConfig(caFile string) (*tls.Config, error) {
	if caFile == "" {
		caFile = os.Getenv("SSL_CERT_FILE")
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return cfg, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("SSL_CERT_FILE: %w", err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("SSL_CERT_FILE %s holds no PEM certificate", caFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// backoff decides how long to wait before retrying. A 429 waits what the server
// asks (Retry-After in seconds or as a date, else RateLimit-Reset), capped at
// max; a 5xx or network error waits min, doubling per attempt, with jitter.
func backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
		if d, ok := retryAfter(resp.Header, timeNow()); ok {
			return clamp(d, 0, hi)
		}
	}
	// Exponential from lo, plus up to half of lo at random: never below lo,
	// so a retry after a 5xx is never immediate.
	d := retry.Exponential(lo, max(lo, hi), min(attempt, 16))
	d += time.Duration(rand.Int64N(int64(lo)/2 + 1))
	return clamp(d, lo, hi)
}

// noLimit is a RateLimiter that never waits (see rateGate).
type noLimit struct{}

func (noLimit) Wait(ctx context.Context) error { return ctx.Err() }

// timeNow is time.Now, replaceable in tests.
var timeNow = time.Now

// retryAfter reads Retry-After (retry.After), then RateLimit-Reset (a Unix
// time), from h.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if d, ok := retry.After(h, now); ok {
		return d, true
	}
	if v := h.Get("RateLimit-Reset"); v != "" {
		if s, err := strconv.ParseInt(v, 10, 64); err == nil && s > 0 {
			return time.Unix(s, 0).Sub(now), true
		}
	}
	return 0, false
}

func clamp(d, lo, hi time.Duration) time.Duration {
	if d < lo {
		return lo
	}
	if d > hi {
		return hi
	}
	return d
}
