package gitlab

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// maxGateWait caps how long the gate holds requests back on the server's word.
const maxGateWait = 60 * time.Second

// rateGate honours GitLab's RateLimit-* headers before the server has to say
// 429: when a response reports RateLimit-Remaining: 0, later requests wait
// until RateLimit-Reset (a Unix time), at most maxGateWait, or until their
// context ends. (client-go's own limiter paces by RateLimit-Limit; this covers
// a budget already spent by other clients of the same token.)
type rateGate struct {
	next  http.RoundTripper
	mu    sync.Mutex
	until time.Time
	now   func() time.Time
}

func newRateGate(next http.RoundTripper) *rateGate {
	return &rateGate{next: next, now: time.Now}
}

func (g *rateGate) RoundTrip(req *http.Request) (*http.Response, error) {
	g.mu.Lock()
	wait := g.until.Sub(g.now())
	g.mu.Unlock()
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-req.Context().Done():
			t.Stop()
			return nil, req.Context().Err()
		}
	}
	resp, err := g.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if resp.Header.Get("RateLimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(resp.Header.Get("RateLimit-Reset"), 10, 64); err == nil {
			until := time.Unix(reset, 0)
			if max := g.now().Add(maxGateWait); until.After(max) {
				until = max
			}
			g.mu.Lock()
			if until.After(g.until) {
				g.until = until
			}
			g.mu.Unlock()
		}
	}
	return resp, nil
}
