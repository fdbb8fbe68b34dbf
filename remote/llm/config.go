package llm

import (
	"context"
	"math/rand/v2"
	"net/http"
	"time"

	"gitlab.com/wend/wend/remote/httpx"
	"gitlab.com/wend/wend/remote/retry"
)

// Config configures a network provider (Anthropic or OpenAI-compatible).
type Config struct {
	// APIKey is sent as x-api-key (Anthropic) or a bearer token (OpenAI). It is never
	// logged, recorded or put in an error message. Local servers (Ollama) accept any.
	APIKey string
	// BaseURL overrides the provider's endpoint: a gateway, a local server, or a test
	// server. Anthropic paths are appended as "v1/messages"; OpenAI-compatible paths as
	// "chat/completions", so an OpenAI base URL usually ends in "/v1".
	BaseURL string
	// HTTPClient carries proxies and audit round-trippers; nil means a default client.
	HTTPClient *http.Client
	// MaxTokens is used when a Request leaves MaxTokens at zero; when both are
	// zero the model family's default applies (DefaultMaxTokensFor).
	MaxTokens int
	// ThinkingBudget, when positive, turns on Anthropic extended thinking with
	// that many tokens; it is kept below the request's max_tokens, which caps
	// the whole output (thinking included). OpenAI-compatible servers ignore it.
	ThinkingBudget int
	Retry          RetryPolicy
	// Limits bound every request (remote/httpx): connect, the wait for headers and
	// between stream events (Idle; Response defaults to it), the stream's size.
	// Zero fields take the defaults for a model server.
	Limits httpx.Limits
}

// DefaultMaxTokens is the Anthropic answer budget for a model wend does not
// know (a gateway's own name), when neither the Request nor the Config sets one.
const DefaultMaxTokens = 8192

// RetryPolicy is the backoff for transient failures. Zero fields take the defaults
// below, so the zero value is a sensible production policy.
type RetryPolicy struct {
	// MaxAttempts counts the first try: 5 means up to 4 retries. 1 disables retries.
	MaxAttempts int
	// BaseDelay is the first backoff; each retry doubles it, up to MaxDelay, and
	// the actual wait is jittered between half of it and all of it.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxRetryAfter bounds how long a server's Retry-After is obeyed; a longer
	// demand fails at once with the wait in the error rather than hanging the UI.
	MaxRetryAfter time.Duration
	// Sleep waits for d or until ctx ends; tests inject a recorder here.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a number in [0,1); tests make it constant.
	Jitter func() float64
	// Now reads the clock, for Retry-After given as an HTTP date.
	Now func() time.Time
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = time.Second
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 30 * time.Second
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 2 * time.Minute
	}
	if p.Sleep == nil {
		p.Sleep = sleepCtx
	}
	if p.Jitter == nil {
		p.Jitter = rand.Float64
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return p
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error { return retry.SleepContext(ctx, d) }

// maxTokens is the request's budget, else the configured one, else zero: the
// adapter then applies its own default (Anthropic requires one, per model;
// OpenAI-compatible servers are left to theirs).
func (c Config) maxTokens(req Request) int64 {
	switch {
	case req.MaxTokens > 0:
		return int64(req.MaxTokens)
	case c.MaxTokens > 0:
		return int64(c.MaxTokens)
	}
	return 0
}

// httpClient is the caller's client (or a default one) under wend's request
// policy: no redirect to another host, and every wait and size bounded.
func (c Config) httpClient() *http.Client {
	return httpx.Secure(c.HTTPClient, c.limits())
}

// limits fills what Config.Limits leaves open for a model server. One silence
// bound serves the wait for headers and the gap between events: both are "the
// model said nothing", and a local server that loads the model before
// answering needs the same allowance as a model thinking before its first
// token.
func (c Config) limits() httpx.Limits {
	l := c.Limits
	if l.Idle <= 0 {
		l.Idle = httpx.DefaultStreamIdle
	}
	if l.Response <= 0 {
		l.Response = l.Idle
	}
	if l.Peer == "" {
		l.Peer = "the model server"
	}
	if l.URLKey == "" {
		l.URLKey = "base_url"
	}
	if l.ResponseKey == "" {
		l.ResponseKey = "stream_idle_timeout"
	}
	if l.IdleKey == "" {
		l.IdleKey = "stream_idle_timeout"
	}
	return l
}
