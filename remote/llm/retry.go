package llm

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// attemptFunc is one HTTP exchange with the provider. It returns a *Error for
// classified failures, or the context's error when ctx ended.
type attemptFunc func(ctx context.Context, onDelta func(Delta)) (*Response, error)

// withRetries runs attempt until it succeeds, fails permanently, or the policy's
// attempts are spent. A failure is retried only while nothing has reached onDelta:
// once text is on the user's screen a second answer would contradict it, so a cut
// after output surfaces as ErrStreamCut for the caller to handle.
func withRetries(ctx context.Context, pol RetryPolicy, onDelta func(Delta), attempt attemptFunc) (*Response, error) {
	pol = pol.withDefaults()
	if onDelta == nil {
		onDelta = func(Delta) {}
	}
	delivered := false
	tracked := func(d Delta) {
		delivered = true
		onDelta(d)
	}
	for n := 1; ; n++ {
		resp, err := attempt(ctx, tracked)
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		e, ok := err.(*Error)
		if !ok || delivered || !retryable(e) {
			return nil, err
		}
		if e.RetryAfter > pol.MaxRetryAfter {
			e.Message += fmt.Sprintf("; the provider asks to wait %s, try again later", formatWait(e.RetryAfter))
			return nil, e
		}
		if n >= pol.MaxAttempts {
			if pol.MaxAttempts > 1 {
				e.Message += fmt.Sprintf(" (gave up after %d attempts)", n)
			}
			return nil, e
		}
		wait := e.RetryAfter
		if wait <= 0 {
			wait = backoff(pol, n)
		}
		// Reported through onDelta directly: a retry notice is not answer output and
		// must not block the next retry.
		onDelta(Delta{Retry: fmt.Sprintf("%s; retrying in %s (attempt %d/%d)", retryReason(e), formatWait(wait), n+1, pol.MaxAttempts)})
		if err := pol.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func retryable(e *Error) bool {
	switch e.Kind {
	case ErrRateLimit, ErrOverloaded, ErrServer, ErrStreamCut:
		return true
	}
	return false
}

// backoff is exponential from BaseDelay, capped at MaxDelay, with "equal jitter":
// between half and all of the step, so clients that failed together spread out
// without ever retrying immediately.
func backoff(pol RetryPolicy, attempt int) time.Duration {
	d := pol.BaseDelay
	for i := 1; i < attempt && d < pol.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, pol.MaxDelay)
	return d/2 + time.Duration(pol.Jitter()*float64(d/2))
}

func retryReason(e *Error) string {
	code := ""
	if e.Status >= 400 {
		code = fmt.Sprintf(" (%d)", e.Status)
	}
	switch e.Kind {
	case ErrRateLimit:
		return "rate limited" + code
	case ErrOverloaded:
		return "provider overloaded" + code
	case ErrServer:
		return "server error" + code
	default:
		return "connection dropped before the answer began"
	}
}

func formatWait(d time.Duration) string {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// retryAfter reads the server's requested wait: retry-after-ms (Anthropic and
// OpenAI send it with millisecond precision), else Retry-After as seconds or as an
// HTTP date. Zero means the server did not say.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if v := strings.TrimSpace(h.Get("retry-after-ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
