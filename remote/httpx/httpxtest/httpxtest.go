// Package httpxtest holds the misbehaving servers the clients' policy tests
// share: a redirect to another origin with a recorder behind it, a server that
// accepts and never answers, one that only sends keep-alives, and one whose
// body never ends. All listen on 127.0.0.1 and stop with the test.
package httpxtest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Seen is one request the other host received.
type Seen struct {
	Method, Path string
	Header       http.Header
	Body         string
}

// Other is the host a redirect points to; it records everything it receives.
type Other struct {
	*httptest.Server
	mu   sync.Mutex
	seen []Seen
}

// Requests returns what reached the other host.
func (o *Other) Requests() []Seen {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Seen(nil), o.seen...)
}

// Redirect starts server A, which answers every request with code to the same
// path on server B (another port), and B. A credential, a body or even a
// request reaching B is the leak the tests look for.
func Redirect(t testing.TB, code int) (a *httptest.Server, b *Other) {
	b = &Other{}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.seen = append(b.seen, Seen{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: string(body)})
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "{}")
	}))
	t.Cleanup(b.Close)
	a = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		http.Redirect(w, r, b.URL+r.URL.RequestURI(), code)
	}))
	t.Cleanup(a.Close)
	return a, b
}

// holding starts a server whose handler runs until the test ends.
func holding(t testing.TB, h func(w http.ResponseWriter, r *http.Request, done <-chan struct{})) *httptest.Server {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r, done) }))
	t.Cleanup(func() {
		close(done)
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv
}

// Silent accepts every request and never answers.
func Silent(t testing.TB) *httptest.Server {
	return holding(t, func(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
		select {
		case <-done:
		case <-r.Context().Done():
		}
	})
}

// KeepAlive sends event-stream headers, then a ": keep-alive" comment every
// few milliseconds, forever: alive, never answering.
func KeepAlive(t testing.TB) *httptest.Server {
	return holding(t, func(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-done:
				return
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
		}
	})
}

// Endless answers 200 with contentType and a body that never ends: head, then
// chunk repeated until the client hangs up.
func Endless(t testing.TB, contentType, head, chunk string) *httptest.Server {
	block := strings.Repeat(chunk, max(1, 32<<10/max(1, len(chunk))))
	return holding(t, func(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, head)
		for {
			if _, err := io.WriteString(w, block); err != nil {
				return
			}
			select {
			case <-done:
				return
			default:
			}
		}
	})
}
