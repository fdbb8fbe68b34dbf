package llm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/httpx"
	"gitlab.com/wend/wend/remote/httpx/httpxtest"
	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/remote/llm/llmtest"
)

// limited builds the real adapter with the given limits and retries that would
// be visible (a recording sleeper) if a limit were retried.
func limited(d llmtest.Dialect, baseURL string, lim httpx.Limits, sl *sleeper) llm.Provider {
	if d == llmtest.OpenAI {
		baseURL += "/v1"
	}
	cfg := llm.Config{APIKey: testKey, BaseURL: baseURL, Limits: lim,
		Retry: llm.RetryPolicy{MaxAttempts: 3, Sleep: sl.Sleep, Jitter: func() float64 { return 0.5 }}}
	if d == llmtest.Anthropic {
		return llm.NewAnthropic(cfg)
	}
	return llm.NewOpenAI(cfg)
}

// The API key and the conversation stay with the configured host: a redirect to
// another port is refused and named, whatever the status.
func TestKeyAndBodyNeverFollowARedirectToAnotherHost(t *testing.T) {
	for _, d := range dialects {
		for _, code := range []int{302, 307, 308} {
			a, b := httpxtest.Redirect(t, code)
			var sl sleeper
			_, err := limited(d, a.URL, httpx.Limits{}, &sl).Stream(context.Background(), testRequest("m"), nil)
			for _, r := range b.Requests() {
				t.Errorf("%s %d: the other host got %s %s with x-api-key=%q Authorization=%q body %d bytes",
					d, code, r.Method, r.Path, r.Header.Get("x-api-key"), r.Header.Get("Authorization"), len(r.Body))
			}
			want := "redirected to " + b.URL + "; wend does not send credentials to another host: set base_url to the final address"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s %d: err = %v\nwant it to contain %q", d, code, err, want)
			}
			if len(sl.Waits()) != 0 {
				t.Errorf("%s %d: a refused redirect was retried: %v", d, code, sl.Waits())
			}
		}
	}
}

// A server that stalls ends the call with the bound it broke and the setting
// that raises it, once: a limit is not retried (the user already waited it).
func TestStalledModelServerEndsWithTheLimit(t *testing.T) {
	const idle = 150 * time.Millisecond
	for _, d := range dialects {
		for _, c := range []struct {
			name   string
			start  func(testing.TB) string
			lim    httpx.Limits
			want   string
			isKind httpx.Kind
		}{
			{"accepts and never answers", func(t testing.TB) string { return httpxtest.Silent(t).URL },
				httpx.Limits{Idle: idle}, "sent no response for 150ms (response timeout; raise with stream_idle_timeout)", httpx.KindResponse},
			{"keep-alive comments forever", func(t testing.TB) string { return httpxtest.KeepAlive(t).URL },
				httpx.Limits{Idle: idle}, "sent no event for 150ms (idle timeout; raise with stream_idle_timeout)", httpx.KindIdle},
			{"endless stream", func(t testing.TB) string { return httpxtest.Endless(t, "text/event-stream", "", ": padding\n\n").URL },
				httpx.Limits{MaxBytes: 1 << 20}, "sent more than 1 MB in one response; wend cut it (raise with max_response_mb)", httpx.KindSize},
		} {
			url := c.start(t)
			var sl sleeper
			_, err := limited(d, url, c.lim, &sl).Stream(context.Background(), testRequest("m"), nil)
			host := strings.TrimPrefix(url, "http://")
			want := "the model server at " + host + " " + c.want
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s, %s: err = %v\nwant it to contain %q", d, c.name, err, want)
				continue
			}
			var e *llm.Error
			var he *httpx.Error
			if !errors.As(err, &e) || e.Kind != llm.ErrLimit || !errors.As(err, &he) || he.Kind != c.isKind {
				t.Errorf("%s, %s: err %#v, want an llm.ErrLimit wrapping httpx %s", d, c.name, err, c.isKind)
			}
			if len(sl.Waits()) != 0 {
				t.Errorf("%s, %s: retried %v", d, c.name, sl.Waits())
			}
		}
	}
}
