package gitlab

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
)

func TestTransportHonoursProxyEnvironment(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
	t.Setenv("NO_PROXY", "internal.example,.svc")
	tr, err := NewTransport("")
	if err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]string{
		"https://gitlab.com/api/v4/version":           "proxy.corp.example:3128",
		"https://git.internal.example/api/v4/version": "",
		"https://gitlab.svc/api/v4/version":           "",
	} {
		req, _ := http.NewRequest("GET", target, nil)
		u, err := tr.Proxy(req)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if u != nil {
			got = u.Host
		}
		if got != want {
			t.Errorf("proxy for %s = %q, want %q", target, got, want)
		}
	}
}

// A self-managed instance with a private CA works once SSL_CERT_FILE names
// the CA, and fails with advice before.
func TestClientTrustsSSLCertFile(t *testing.T) {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &caKey.PublicKey, caKey)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)

	g := gitlabtest.NewUnstarted()
	srv := httptest.NewUnstartedServer(g)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: caKey}}}
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	g.Server = srv

	t.Setenv("SSL_CERT_FILE", "")
	c, _ := New(Config{BaseURL: g.URL(), Project: gitlabtest.Project, Token: g.Token, RetryMax: -1})
	_, err := c.ResolveText(bg, "#12", Options{})
	if err == nil || !strings.Contains(err.Error(), "SSL_CERT_FILE") {
		t.Fatalf("untrusted certificate: %v", err)
	}
	t.Setenv("SSL_CERT_FILE", caFile)
	c, _ = New(Config{BaseURL: g.URL(), Project: gitlabtest.Project, Token: g.Token})
	if _, err := c.ResolveText(bg, "#12", Options{}); err != nil {
		t.Fatalf("with SSL_CERT_FILE: %v", err)
	}
}

func TestRateGateWaitsForReset(t *testing.T) {
	var calls atomic.Int32
	var second time.Time
	reset := time.Now().Add(1500 * time.Millisecond).Truncate(time.Second).Add(time.Second)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("RateLimit-Remaining", "0")
			w.Header().Set("RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
		} else {
			second = time.Now()
		}
	}))
	defer srv.Close()
	client := &http.Client{Transport: newRateGate(http.DefaultTransport)}
	for range 2 {
		resp, err := client.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if second.Before(reset.Add(-50 * time.Millisecond)) {
		t.Errorf("second request at %v, before the reset %v", second, reset)
	}
}
