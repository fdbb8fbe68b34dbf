package httpx_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/httpx"
)

// leak is server B: it records whether anything reached it.
type leak struct {
	hits atomic.Int32
	*httptest.Server
}

func newLeak(t *testing.T) *leak {
	l := &leak{}
	l.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.hits.Add(1)
		io.WriteString(w, "{}")
	}))
	t.Cleanup(l.Close)
	return l
}

// redirector is server A: every request is answered with a redirect to target.
func redirector(t *testing.T, code int, target string) *httptest.Server {
	a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		http.Redirect(w, r, target, code)
	}))
	t.Cleanup(a.Close)
	return a
}

var lim = httpx.Limits{Peer: "GitLab", URLKey: "gitlab_url"}

func TestCrossOriginRedirectIsRefused(t *testing.T) {
	for _, code := range []int{301, 302, 303, 307, 308} {
		b := newLeak(t)
		a := redirector(t, code, b.URL+"/elsewhere")
		for name, hc := range map[string]*http.Client{
			"Secure": httpx.Secure(nil, lim),
			// A client that follows everything is still safe on a guarded transport.
			"Guard only": {Transport: httpx.Guard(nil, lim)},
		} {
			req, _ := http.NewRequest(http.MethodPost, a.URL+"/api/v4/x", strings.NewReader("the conversation"))
			req.Header.Set("PRIVATE-TOKEN", "glpat-secret")
			_, err := hc.Do(req)
			var he *httpx.Error
			if !errors.As(err, &he) || he.Kind != httpx.KindRedirect {
				t.Fatalf("%d %s: err = %v, want a refused redirect", code, name, err)
			}
			want := strings.TrimPrefix(a.URL, "http://") + " redirected to " + b.URL + "; wend does not send credentials to another host: set gitlab_url to the final address"
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%d %s: error %q\nwant it to contain %q", code, name, err, want)
			}
			if n := b.hits.Load(); n != 0 {
				t.Fatalf("%d %s: the other host got %d requests", code, name, n)
			}
		}
	}
}

func TestSameOriginRedirectIsFollowed(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusPermanentRedirect)
			return
		}
		b, _ := io.ReadAll(r.Body)
		got.Store(r.Header.Get("PRIVATE-TOKEN") + " " + string(b))
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/old", strings.NewReader("body"))
	req.Header.Set("PRIVATE-TOKEN", "tok")
	resp, err := httpx.Secure(nil, lim).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got.Load() != "tok body" {
		t.Errorf("the same origin got %q, want the token and the replayed body", got.Load())
	}
}

func TestOrigin(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"https://gitlab.example/x", "https://GitLab.example:443/y", true},
		{"http://h/x", "https://h/x", false},
		{"https://h/x", "https://h:8443/x", false},
		{"https://h/x", "https://evil.h/x", false},
		{"wss://h/ws", "https://h/x", true},
	} {
		a, _ := http.NewRequest("GET", c.a, nil)
		b, _ := http.NewRequest("GET", c.b, nil)
		if got := httpx.SameOrigin(a.URL, b.URL); got != c.same {
			t.Errorf("SameOrigin(%s, %s) = %v", c.a, c.b, got)
		}
	}
}

// hold answers nothing until the test ends.
func hold(t *testing.T, h func(w http.ResponseWriter, r *http.Request, done <-chan struct{})) *httptest.Server {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r, done) }))
	t.Cleanup(func() { close(done); srv.Close() })
	return srv
}

func TestNoResponseHeadersEndsWithTheLimit(t *testing.T) {
	srv := hold(t, func(w http.ResponseWriter, r *http.Request, done <-chan struct{}) { <-done })
	hc := httpx.Secure(nil, httpx.Limits{Response: 50 * time.Millisecond, Peer: "the model server", ResponseKey: "stream_idle_timeout"})
	_, err := hc.Get(srv.URL)
	want := "the model server at " + srv.Listener.Addr().String() + " sent no response for 50ms (response timeout; raise with stream_idle_timeout)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v\nwant %q", err, want)
	}
}

// An event stream that only ever sends keep-alive comments (and Anthropic's
// ping events) ends at the idle limit, though bytes keep arriving.
func TestKeepAlivesDoNotResetTheIdleLimit(t *testing.T) {
	srv := hold(t, func(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		for i := 0; ; i++ {
			ping := ": keep-alive\n\n"
			if i%2 == 1 {
				ping = "event: ping\r\ndata: {\"type\": \"ping\"}\r\n\r\n"
			}
			if _, err := io.WriteString(w, ping); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	hc := httpx.Secure(nil, httpx.Limits{Idle: 100 * time.Millisecond, Peer: "the model server", IdleKey: "stream_idle_timeout"})
	resp, err := hc.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	want := "the model server at " + srv.Listener.Addr().String() + " sent no event for 100ms (idle timeout; raise with stream_idle_timeout)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %q", err, want)
	}
}

func endless(t *testing.T) *httptest.Server {
	return hold(t, func(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
		w.Header().Set("Content-Type", "text/event-stream")
		chunk := strings.Repeat("data: {\"type\":\"content_block_delta\"}\n\n", 1000)
		for {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	})
}

func TestEndlessBodyIsCut(t *testing.T) {
	srv := endless(t)
	hc := httpx.Secure(nil, httpx.Limits{MaxBytes: 2 << 20, Peer: "the model server"})
	resp, err := hc.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	want := "the model server at " + srv.Listener.Addr().String() + " sent more than 2 MB in one response; wend cut it (raise with max_response_mb)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %q", err, want)
	}
	if n != 2<<20 {
		t.Errorf("read %d bytes, want exactly the cap", n)
	}
}

// A caller that reads in bounded memory (job logs) opts out of the size cap.
func TestUnboundedBodyIsNotCut(t *testing.T) {
	srv := endless(t)
	hc := httpx.Secure(nil, httpx.Limits{MaxBytes: 1 << 20})
	req, _ := http.NewRequestWithContext(httpx.Unbounded(context.Background()), http.MethodGet, srv.URL, nil)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<20)); n != 4<<20 || err != nil {
		t.Fatalf("read %d, %v", n, err)
	}
}

func TestConnectTimeoutNamesTheHost(t *testing.T) {
	// A proxy that accepts and never answers CONNECT: the connection phase
	// (which includes the proxy tunnel and TLS) never ends.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	proxy := "http://" + ln.Addr().String()
	tr.Proxy = func(*http.Request) (*url.URL, error) { return url.Parse(proxy) }
	hc := httpx.Secure(&http.Client{Transport: tr}, httpx.Limits{Connect: 50 * time.Millisecond, Peer: "GitLab"})
	_, err = hc.Get("https://gitlab.invalid/api/v4/version")
	want := "no connection to GitLab at gitlab.invalid within 50ms (connect timeout; raise with connect_timeout)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v\nwant %q", err, want)
	}
}
