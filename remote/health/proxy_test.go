package health

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
)

// connectProxy is a minimal HTTPS proxy: it answers CONNECT and pipes bytes. It
// records the local address of every upstream connection it opens, so a test can
// tell a tunnelled connection from one that bypassed the proxy.
func connectProxy(t *testing.T) (*url.URL, *sync.Map) {
	var tunnels sync.Map
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		up, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		tunnels.Store(up.LocalAddr().String(), true)
		w.WriteHeader(http.StatusOK)
		conn, buf, _ := w.(http.Hijacker).Hijack()
		go func() { io.Copy(up, buf); up.Close() }()
		io.Copy(conn, up)
		conn.Close()
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &url.URL{Scheme: "http", Host: ln.Addr().String()}, &tunnels
}

func TestDoctorThroughProxy(t *testing.T) {
	proxy, tunnels := connectProxy(t)
	var mu sync.Mutex
	var peers []string
	g, caFile := tlsGitLabWatched(t, true, true, func(p string) { mu.Lock(); peers = append(peers, p); mu.Unlock() })
	cfg := cfgFor(g, caFile)
	cfg.Proxy = func(*url.URL) (*url.URL, error) { return proxy, nil }
	rs := Run(context.Background(), cfg)
	expect(t, rs, CheckDNS, Pass, "via proxy "+proxy.Host)
	expect(t, rs, CheckTCP, Pass, "via proxy")
	for _, n := range []string{CheckTLS, CheckHTTP2, CheckVersion, CheckToken, CheckRole, CheckWebSocket} {
		expect(t, rs, n, Pass)
	}
	// Connection reuse decides how many tunnels there are; what matters is that
	// every connection the server saw came out of one.
	mu.Lock()
	seen := append([]string(nil), peers...)
	mu.Unlock()
	if len(seen) == 0 {
		t.Fatal("the server saw no connection at all")
	}
	for _, p := range seen {
		if _, ok := tunnels.Load(p); !ok {
			t.Errorf("connection from %s bypassed the proxy", p)
		}
	}

	cfg.Proxy = func(*url.URL) (*url.URL, error) { return &url.URL{Scheme: "http", Host: "127.0.0.1:1"}, nil }
	rs = Run(context.Background(), cfg)
	expect(t, rs, CheckTCP, Fail, "127.0.0.1:1 via proxy")
}
