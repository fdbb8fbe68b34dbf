// Package httpx is the one policy every outgoing HTTP request of wend follows,
// whoever builds the client (GitLab, the model providers, Duo, doctor):
//
//   - Credentials never leave their origin. A redirect to another scheme, host
//     or port is refused, not followed, and reported with the address to
//     configure instead. Header stripping is not enough: Go forwards custom
//     headers (PRIVATE-TOKEN, x-api-key) to any host, Authorization to another
//     port of the same host, and replays the body on 307/308.
//   - Every phase of a request is bounded: getting a connection (DNS, TCP,
//     proxy CONNECT, TLS), waiting for the response headers, each silence
//     inside the body, and the body's size. For a server-sent-event stream
//     only real events end a silence; comments (": ping") and "ping" events
//     do not, so a server that keeps the connection alive without answering
//     fails within the idle limit instead of hanging wend forever.
//
// Errors name the peer, the limit and the config key that raises it.
package httpx

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults a healthy link never reaches.
const (
	// DefaultConnect bounds DNS, TCP, proxy CONNECT and the TLS handshake.
	DefaultConnect = 10 * time.Second
	// DefaultResponse bounds GitLab's silences: before the headers and inside a body.
	DefaultResponse = 60 * time.Second
	// DefaultStreamIdle bounds a model server's silences: before the headers (a
	// local server may load the model first) and between two stream events (a
	// model may think before its first token).
	DefaultStreamIdle = 2 * time.Minute
	// DefaultMaxBytes caps one response body: a long model answer streams a few
	// megabytes, a large merge request's JSON some more.
	DefaultMaxBytes = 64 << 20
)

// Limits configure the guard for one peer. Zero fields take the defaults.
type Limits struct {
	// Connect bounds getting a connection ready to send (DNS, TCP, proxy, TLS).
	Connect time.Duration
	// Response bounds the wait from the connection to the response headers.
	Response time.Duration
	// Idle bounds a silence inside the body; for an event stream, the time
	// between two events.
	Idle time.Duration
	// MaxBytes caps one response body (see Unbounded for streamed logs).
	MaxBytes int64

	// Peer names the other side in errors: "GitLab", "the model server".
	Peer string
	// URLKey, ResponseKey, IdleKey and SizeKey are the settings the errors
	// tell the user to change.
	URLKey, ConnectKey, ResponseKey, IdleKey, SizeKey string
}

// WithDefaults fills the zero fields.
func (l Limits) WithDefaults() Limits {
	if l.Connect <= 0 {
		l.Connect = DefaultConnect
	}
	if l.Response <= 0 {
		l.Response = DefaultResponse
	}
	if l.Idle <= 0 {
		l.Idle = l.Response
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.Peer == "" {
		l.Peer = "the server"
	}
	if l.URLKey == "" {
		l.URLKey = "the configured URL"
	}
	if l.ConnectKey == "" {
		l.ConnectKey = "connect_timeout"
	}
	if l.ResponseKey == "" {
		l.ResponseKey = "response_timeout"
	}
	if l.IdleKey == "" {
		l.IdleKey = l.ResponseKey
	}
	if l.SizeKey == "" {
		l.SizeKey = "max_response_mb"
	}
	return l
}

// Kind says which bound an Error is about.
type Kind string

// The bounds.
const (
	KindRedirect Kind = "redirect" // refused: a redirect to another origin
	KindConnect  Kind = "connect"  // no connection within Limits.Connect
	KindResponse Kind = "response" // no response headers within Limits.Response
	KindIdle     Kind = "idle"     // silence inside the body longer than Limits.Idle
	KindSize     Kind = "size"     // body larger than Limits.MaxBytes
)

// Error is a request stopped by the policy. It deliberately does not claim to be
// a net.Error timeout: callers that retry or rephrase timeouts would hide which
// bound was hit and which setting raises it.
type Error struct {
	Kind  Kind
	Peer  string        // "GitLab"
	Host  string        // host:port of the request
	To    string        // KindRedirect: the origin redirected to
	From  string        // KindRedirect: the origin redirected from
	Limit time.Duration // the timeouts
	Bytes int64         // KindSize: the cap
	Key   string        // the setting to change
	event bool          // KindIdle: an event stream (events, not bytes, count)
}

func (e *Error) Error() string {
	switch e.Kind {
	case KindRedirect:
		return fmt.Sprintf("%s redirected to %s; wend does not send credentials to another host: set %s to the final address", e.From, e.To, e.Key)
	case KindConnect:
		return fmt.Sprintf("no connection to %s at %s within %s (connect timeout; raise with %s)", e.Peer, e.Host, e.Limit, e.Key)
	case KindResponse:
		return fmt.Sprintf("%s at %s sent no response for %s (response timeout; raise with %s)", e.Peer, e.Host, e.Limit, e.Key)
	case KindIdle:
		what := "nothing"
		if e.event {
			what = "no event"
		}
		return fmt.Sprintf("%s at %s sent %s for %s (idle timeout; raise with %s)", e.Peer, e.Host, what, e.Limit, e.Key)
	case KindSize:
		return fmt.Sprintf("%s at %s sent more than %d MB in one response; wend cut it (raise with %s)", e.Peer, e.Host, e.Bytes>>20, e.Key)
	}
	return string(e.Kind)
}

// Origin is scheme://host:port with default ports made explicit and WebSocket
// schemes mapped to their HTTP ones, so equal origins compare equal.
func Origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "ws":
		scheme = "http"
	case "wss":
		scheme = "https"
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return scheme + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// SameOrigin reports whether a and b share scheme, host and port.
func SameOrigin(a, b *url.URL) bool { return Origin(a) == Origin(b) }

// maxRedirects matches net/http's own default.
const maxRedirects = 10

// Secure returns a copy of hc (nil means a default client) whose requests
// follow the policy: its transport is wrapped by Guard (unless it already is)
// and redirects are followed only within the origin. hc itself is not changed.
func Secure(hc *http.Client, lim Limits) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	}
	if _, ok := c.Transport.(*guard); !ok {
		c.Transport = Guard(c.Transport, lim)
	}
	lim = lim.WithDefaults()
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		// Guard already refuses a cross-origin Location; this is the second
		// lock, for a transport that rewrote the response.
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if prev := via[len(via)-1]; !SameOrigin(prev.URL, req.URL) {
			return &Error{Kind: KindRedirect, Peer: lim.Peer, Host: prev.URL.Host,
				From: display(prev.URL), To: display(req.URL), Key: lim.URLKey}
		}
		return nil
	}
	return &c
}

// display is scheme://host, the part of a URL a redirect error is about.
func display(u *url.URL) string { return u.Scheme + "://" + u.Host }
