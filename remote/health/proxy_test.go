package health

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
)

// connectProxy is a minimal HTTPS proxy: it answers CONNECT and pipes bytes.
func connectProxy(t *testing.T) (*url.URL, *atomic.Int32) {
	var tunnels atomic.Int32
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
		tunnels.Add(1)
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
	g, caFile := tlsGitLab(t, true, true)
	proxy, tunnels := connectProxy(t)
	cfg := cfgFor(g, caFile)
	cfg.Proxy = func(*url.URL) (*url.URL, error) { return proxy, nil }
	rs := Run(context.Background(), cfg)
	expect(t, rs, CheckDNS, Pass, "via proxy "+proxy.Host)
	expect(t, rs, CheckTCP, Pass, "via proxy")
	for _, n := range []string{CheckTLS, CheckHTTP2, CheckVersion, CheckToken, CheckRole, CheckWebSocket} {
		expect(t, rs, n, Pass)
	}
	if tunnels.Load() < 5 {
		t.Errorf("only %d CONNECT tunnels: checks bypassed the proxy", tunnels.Load())
	}

	cfg.Proxy = func(*url.URL) (*url.URL, error) { return &url.URL{Scheme: "http", Host: "127.0.0.1:1"}, nil }
	rs = Run(context.Background(), cfg)
	expect(t, rs, CheckTCP, Fail, "127.0.0.1:1 via proxy")
}
