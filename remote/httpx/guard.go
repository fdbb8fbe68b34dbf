package httpx

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type unboundedKey struct{}

// Unbounded marks requests made with ctx as read in bounded memory by their
// caller (a job log streamed through a line filter): their body has no size
// cap. The connect, response and idle limits still apply.
func Unbounded(ctx context.Context) context.Context {
	return context.WithValue(ctx, unboundedKey{}, true)
}

// Guard wraps base (nil means http.DefaultTransport) so that every request
// through it follows Limits and no cross-origin redirect reaches the client:
// a 3xx whose Location is another origin becomes an *Error, so no client
// (whatever its CheckRedirect) can follow it with the credentials and body.
// The limits are enforced through the request's context, so they work over
// any transport, proxies and HTTP/2 included.
func Guard(base http.RoundTripper, lim Limits) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &guard{next: base, lim: lim.WithDefaults()}
}

type guard struct {
	next http.RoundTripper
	lim  Limits
}

// phases of one request, for the error a firing timer reports.
const (
	phaseConnect int32 = iota
	phaseResponse
)

func (g *guard) fail(kind Kind, host string) *Error {
	e := &Error{Kind: kind, Peer: g.lim.Peer, Host: host}
	switch kind {
	case KindConnect:
		e.Limit, e.Key = g.lim.Connect, g.lim.ConnectKey
	case KindResponse:
		e.Limit, e.Key = g.lim.Response, g.lim.ResponseKey
	case KindIdle:
		e.Limit, e.Key = g.lim.Idle, g.lim.IdleKey
	case KindSize:
		e.Bytes, e.Key = g.lim.MaxBytes, g.lim.SizeKey
	}
	return e
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	host := req.URL.Host
	ctx, cancel := context.WithCancelCause(req.Context())
	var phase atomic.Int32
	timer := time.AfterFunc(g.lim.Connect, func() {
		if phase.Load() == phaseConnect {
			cancel(g.fail(KindConnect, host))
		} else {
			cancel(g.fail(KindResponse, host))
		}
	})
	// GotConn ends the connect phase (a pooled connection ends it at once);
	// from there the response limit runs until the headers arrive.
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) {
		phase.Store(phaseResponse)
		timer.Reset(g.lim.Response)
	}})
	resp, err := g.next.RoundTrip(req.WithContext(ctx))
	timer.Stop()
	if err != nil {
		if cause := limitCause(ctx); cause != nil {
			err = cause
		}
		cancel(nil)
		return nil, err
	}
	if to, ok := crossOrigin(req, resp); ok {
		resp.Body.Close()
		cancel(nil)
		return nil, &Error{Kind: KindRedirect, Peer: g.lim.Peer, Host: host,
			From: display(req.URL), To: to, Key: g.lim.URLKey}
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		// An upgraded connection (WebSocket) belongs to its protocol now: it
		// has its own keep-alives and may rightly be silent for long, and its
		// body must stay the raw connection. The child context ends with the
		// caller's.
		return resp, nil
	}
	b := &body{rc: resp.Body, ctx: ctx, cancel: cancel, g: g, host: host,
		max: g.lim.MaxBytes, sse: isEventStream(resp.Header)}
	if v, _ := req.Context().Value(unboundedKey{}).(bool); v {
		b.max = 0
	}
	b.idle = time.AfterFunc(g.lim.Idle, func() { cancel(b.idleError()) })
	resp.Body = b
	return resp, nil
}

// limitCause is the *Error that cancelled ctx, if a limit did.
func limitCause(ctx context.Context) *Error {
	var e *Error
	if errors.As(context.Cause(ctx), &e) {
		return e
	}
	return nil
}

// crossOrigin reports a redirect whose target is another origin, and where to.
func crossOrigin(req *http.Request, resp *http.Response) (string, bool) {
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		return "", false
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", false
	}
	u, err := req.URL.Parse(loc)
	if err != nil {
		return "an unparseable address", true
	}
	if SameOrigin(req.URL, u) {
		return "", false
	}
	return display(u), true
}

func isEventStream(h http.Header) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(h.Get("Content-Type"))), "text/event-stream")
}

// body enforces the idle and size limits while the caller reads.
type body struct {
	rc     io.ReadCloser
	ctx    context.Context
	cancel context.CancelCauseFunc
	g      *guard
	host   string
	max    int64 // 0: no cap
	n      int64
	idle   *time.Timer
	sse    bool
	events sseScanner
	once   sync.Once
}

func (b *body) idleError() *Error {
	e := b.g.fail(KindIdle, b.host)
	e.event = b.sse
	return e
}

func (b *body) Read(p []byte) (int, error) {
	if cause := limitCause(b.ctx); cause != nil {
		return 0, cause
	}
	n, err := b.rc.Read(p)
	if n > 0 {
		progressed := true
		if b.sse {
			progressed = b.events.scan(p[:n])
		}
		if progressed {
			b.idle.Reset(b.g.lim.Idle)
		}
		b.n += int64(n)
		if b.max > 0 && b.n > b.max {
			over := b.n - b.max
			e := b.g.fail(KindSize, b.host)
			b.cancel(e)
			return n - int(min(over, int64(n))), e
		}
	}
	if err != nil {
		if cause := limitCause(b.ctx); cause != nil {
			return n, cause
		}
	}
	return n, err
}

func (b *body) Close() error {
	err := b.rc.Close()
	b.once.Do(func() {
		b.idle.Stop()
		b.cancel(nil)
	})
	return err
}

// sseScanner follows the lines of a server-sent-event stream across reads and
// says when a real event was dispatched: a blank line ending an event that had
// a field, unless the event is named "ping". Comment lines (":" first) are
// keep-alives and never count.
type sseScanner struct {
	line     []byte // the start of the current line, enough to classify it
	lineLen  int
	afterCR  bool
	hasField bool
	isPing   bool
}

// scan consumes p and reports whether an event was dispatched in it.
func (s *sseScanner) scan(p []byte) bool {
	dispatched := false
	for _, c := range p {
		if c == '\n' && s.afterCR {
			s.afterCR = false
			continue // the LF of a CRLF
		}
		s.afterCR = c == '\r'
		if c != '\n' && c != '\r' {
			if len(s.line) < 16 {
				s.line = append(s.line, c)
			}
			s.lineLen++
			continue
		}
		if s.endLine() {
			dispatched = true
		}
	}
	return dispatched
}

// endLine classifies the finished line; it reports a dispatched event.
func (s *sseScanner) endLine() bool {
	defer func() { s.line, s.lineLen = s.line[:0], 0 }()
	if s.lineLen == 0 {
		real := s.hasField && !s.isPing
		s.hasField, s.isPing = false, false
		return real
	}
	line := string(s.line)
	switch {
	case strings.HasPrefix(line, ":"):
		// a comment: a keep-alive
	case strings.HasPrefix(line, "event:"):
		s.isPing = s.lineLen < 16 && strings.TrimSpace(strings.TrimPrefix(line, "event:")) == "ping"
		s.hasField = true
	default:
		s.hasField = true
	}
	return false
}
