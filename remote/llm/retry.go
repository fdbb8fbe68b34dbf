package llm

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"gitlab.com/wend/wend/remote/retry"
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
	var resp *Response
	n, stop, err := retry.Do(ctx, retry.Policy{Attempts: pol.MaxAttempts, Base: pol.BaseDelay, Max: pol.MaxDelay,
		MaxWait: pol.MaxRetryAfter, Jitter: pol.Jitter, Sleep: pol.Sleep},
		func(ctx context.Context, _ int) error {
			var err error
			resp, err = attempt(ctx, tracked)
			return err
		},
		func(err error) retry.Verdict {
			e, ok := err.(*Error)
			if ctx.Err() != nil || !ok || delivered || !retryable(e) {
				return retry.Verdict{}
			}
			return retry.Verdict{Retry: true, After: e.RetryAfter}
		},
		func(err error, next int, wait time.Duration) {
			// Reported through onDelta directly: a retry notice is not answer
			// output and must not block the next retry.
			onDelta(Delta{Retry: fmt.Sprintf("%s; retrying in %s (attempt %d/%d)", retryReason(err.(*Error)), formatWait(wait), next, pol.MaxAttempts)})
		})
	if err == nil {
		return resp, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	switch e, _ := err.(*Error); {
	case stop == retry.StopWaitTooLong:
		e.Message += fmt.Sprintf("; the provider asks to wait %s, try again later", formatWait(e.RetryAfter))
	case stop == retry.Exhausted && pol.MaxAttempts > 1:
		e.Message += fmt.Sprintf(" (gave up after %d attempts)", n)
	}
	return nil, err
}

func retryable(e *Error) bool {
	switch e.Kind {
	case ErrRateLimit, ErrOverloaded, ErrServer, ErrStreamCut:
		return true
	}
	return false
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

// retryAfter reads the server's requested wait (retry.After); zero means the
// server did not say, or asked for none.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if d, ok := retry.After(h, now); ok {
		return d
	}
	return 0
}
