package duo

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"gitlab.com/wend/wend/remote/duo/contract"
	"gitlab.com/wend/wend/remote/httpx"
	"gitlab.com/wend/wend/remote/retry"
)

// Backoff bounds Reconnect. The zero value means 5 attempts, 1 s doubling to 30 s.
type Backoff struct {
	Attempts int
	Initial  time.Duration
	Max      time.Duration
}

func (b Backoff) withDefaults() Backoff {
	if b.Attempts <= 0 {
		b.Attempts = 5
	}
	if b.Initial <= 0 {
		b.Initial = time.Second
	}
	if b.Max <= 0 {
		b.Max = 30 * time.Second
	}
	return b
}

// Reconnect opens a new stream on the same workflow after a retryable failure
// (close 1001, a dropped connection, gRPC UNAVAILABLE). It tries at once, then
// waits Initial, 2×Initial, … up to Max between attempts, and gives up on the first
// error that is not retryable, returning it.
//
// start is normally the startRequest of the stream that failed: DWS rejects an
// empty goal on resume (INVALID_ARGUMENT / 4400), so keep the goal. Which status
// DWS resumes from after a drop (start, resume or retry, chosen from Rails' state)
// is the service's business; the executor only needs to answer the new actions.
func Reconnect(ctx context.Context, t Transport, start *contract.StartWorkflowRequest, b Backoff) (*Stream, error) {
	b = b.withDefaults()
	var s *Stream
	_, _, err := retry.Do(ctx, retry.Policy{Attempts: b.Attempts, Base: b.Initial, Max: b.Max, Jitter: retry.NoJitter},
		func(ctx context.Context, _ int) error {
			var err error
			s, err = t.Open(ctx, start)
			return err
		},
		func(err error) retry.Verdict { return retry.Verdict{Retry: IsRetryable(err)} }, nil)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// DoHTTPRequest performs a runHTTPRequest action against GitLab (base URL and token
// from DirectAccess.GitLabRails) and builds its answer. On the WebSocket path
// Workhorse does this itself; on the direct gRPC path the executor must. Failures
// are reported in HttpResponse.error rather than returned.
func DoHTTPRequest(ctx context.Context, hc *http.Client, baseURL, token string, r *contract.RunHTTPRequest) *contract.HttpResponse {
	// The user's token must not follow a redirect to another host, nor the
	// request's body; hc keeps its own limits when it already has them.
	hc = httpx.Secure(hc, gitlabLimits(httpx.Limits{}))
	if !strings.HasPrefix(r.GetPath(), "/") {
		return &contract.HttpResponse{Error: "path must start with /: " + r.GetPath()}
	}
	var body io.Reader
	if r.Body != nil {
		body = strings.NewReader(r.GetBody())
	}
	req, err := http.NewRequestWithContext(ctx, r.GetMethod(), strings.TrimRight(baseURL, "/")+r.GetPath(), body)
	if err != nil {
		return &contract.HttpResponse{Error: err.Error()}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return &contract.HttpResponse{Error: err.Error()}
	}
	defer resp.Body.Close()
	// Workhorse caps bodies at about 4 MB; do the same.
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	out := &contract.HttpResponse{StatusCode: int32(resp.StatusCode), Body: string(data), Headers: map[string]string{}}
	for k := range resp.Header {
		out.Headers[k] = resp.Header.Get(k)
	}
	if err != nil {
		out.Error = err.Error()
	}
	return out
}
