package health

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
)

// testCA generates a CA and a leaf certificate for 127.0.0.1, and writes the
// CA to a PEM file.
func testCA(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "wend test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644)
	return tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: key}, path
}

// tlsGitLab starts the fake GitLab over TLS with a generated certificate,
// HTTP/2 when h2 is set, and the ActionCable endpoint when cable is set.
func tlsGitLab(t *testing.T, h2, cable bool) (*gitlabtest.Server, string) {
	return tlsGitLabWatched(t, h2, cable, nil)
}

// tlsGitLabWatched also reports every new connection's peer address to seen.
func tlsGitLabWatched(t *testing.T, h2, cable bool, seen func(peer string)) (*gitlabtest.Server, string) {
	cert, caFile := testCA(t)
	g := gitlabtest.NewUnstarted()
	g.BasePath = "/gitlab"
	if cable {
		g.Cable = gitlabtest.ActionCable()
	}
	srv := httptest.NewUnstartedServer(g)
	srv.EnableHTTP2 = h2
	// The TLS check hangs up right after the handshake; the server would log it.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	if seen != nil {
		srv.Config.ConnState = func(c net.Conn, st http.ConnState) {
			if st == http.StateNew {
				seen(c.RemoteAddr().String())
			}
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	g.Server = srv
	return g, caFile
}

func gitRepo(t *testing.T, detached bool) string {
	t.Helper()
	dir := t.TempDir()
	run := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@x", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@x")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	run("init", "-q", "-b", "main")
	run("commit", "-q", "--allow-empty", "-m", "init")
	if detached {
		run("checkout", "-q", "--detach")
	}
	return dir
}

func byName(rs []Result) map[string]Result {
	m := map[string]Result{}
	for _, r := range rs {
		m[r.Name] = r
	}
	return m
}

func cfgFor(g *gitlabtest.Server, caFile string) Config {
	return Config{BaseURL: g.URL(), Project: gitlabtest.Project, Token: gitlabtest.Token, CAFile: caFile, Timeout: 3 * time.Second}
}

func expect(t *testing.T, rs []Result, name string, st Status, words ...string) {
	t.Helper()
	r, ok := byName(rs)[name]
	if !ok {
		t.Errorf("%s: no result", name)
		return
	}
	if r.Status != st {
		t.Errorf("%s: %s (%s; fix: %s), want %s", name, r.Status, r.Reason, r.Fix, st)
	}
	for _, w := range words {
		if !strings.Contains(r.Reason+" "+r.Fix, w) {
			t.Errorf("%s: %q lacks %q (fix: %q)", name, r.Reason, w, r.Fix)
		}
	}
}

func TestDoctorAllPass(t *testing.T) {
	g, caFile := tlsGitLab(t, true, true)
	cfg := cfgFor(g, caFile)
	cfg.Dir = gitRepo(t, false)
	cfg.Model = func(ctx context.Context) (string, error) { return "replay model: answered in 1 ms", nil }
	rs := Run(context.Background(), cfg)
	for _, r := range rs {
		if r.Status != Pass {
			t.Errorf("%s: %s: %s (fix: %s)", r.Name, r.Status, r.Reason, r.Fix)
		}
		if r.Duration <= 0 {
			t.Errorf("%s: no duration", r.Name)
		}
	}
	if len(rs) != len(order) {
		t.Errorf("%d results, want %d", len(rs), len(order))
	}
	expect(t, rs, CheckGit, Pass, "branch main")
	expect(t, rs, CheckHTTP2, Pass, "h2")
	expect(t, rs, CheckVersion, Pass, "17.5.1")
	expect(t, rs, CheckToken, Pass, "api")
	expect(t, rs, CheckRole, Pass, "Developer")
	expect(t, rs, CheckWebSocket, Pass, "welcome")

	var md, js bytes.Buffer
	settings := map[string]string{"gitlab_url": g.URL(), "gitlab_token": gitlabtest.Token, "provider": "replay",
		"base_url": "https://user:hunter2secret@llm.example/v1"}
	if err := WriteReport(&md, rs, settings); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, rs, settings); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{md.String(), js.String()} {
		if strings.Contains(out, gitlabtest.Token) || strings.Contains(out, "hunter2secret") {
			t.Fatalf("secret in report:\n%s", out)
		}
	}
	if !strings.Contains(md.String(), "| gitlab.tls | ✓ pass |") || !strings.Contains(md.String(), "gitlab_token: (set, hidden)") {
		t.Errorf("report:\n%s", md.String())
	}
	if !strings.Contains(js.String(), `"status": "pass"`) || !strings.Contains(js.String(), `"duration_ms"`) {
		t.Errorf("json:\n%s", js.String())
	}
}

func TestDoctorTokenProblems(t *testing.T) {
	g, caFile := tlsGitLab(t, true, true)
	cfg := cfgFor(g, caFile)
	now := time.Now()

	g.TokenExpires = now.AddDate(0, 0, 5)
	expect(t, Run(context.Background(), cfg), CheckToken, Warn, "expires on", "in 5 days", "rotate")

	g.TokenExpires = now.AddDate(0, 0, -2)
	rs := Run(context.Background(), cfg)
	expect(t, rs, CheckToken, Fail, "invalid, expired or revoked", "/gitlab/-/user_settings/personal_access_tokens")
	expect(t, rs, CheckVersion, Warn, "401")

	g.TokenExpires, g.TokenScopes = now.AddDate(1, 0, 0), []string{"read_api"}
	expect(t, Run(context.Background(), cfg), CheckToken, Warn, "read_api only")
	g.TokenScopes = []string{"read_user"}
	expect(t, Run(context.Background(), cfg), CheckToken, Fail, "lacks the api and read_api")

	cfg.Token = ""
	expect(t, Run(context.Background(), cfg), CheckToken, Fail, "no GitLab token", "GITLAB_TOKEN")
}

func TestDoctorRoleAndVersion(t *testing.T) {
	g, caFile := tlsGitLab(t, true, true)
	cfg := cfgFor(g, caFile)
	g.AccessLevel, g.Version = 20, "16.11.3-ee"
	rs := Run(context.Background(), cfg)
	expect(t, rs, CheckRole, Warn, "Reporter", "Developer")
	expect(t, rs, CheckVersion, Warn, "16.11.3-ee is older than 17.2")
	cfg.Project = "group/unknown"
	expect(t, Run(context.Background(), cfg), CheckRole, Fail, "not visible")
}

func TestDoctorBlackholedPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c) // accepted, never answered
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for _, c := range held {
			c.Close()
		}
	})
	cfg := Config{BaseURL: "https://" + ln.Addr().String() + "/gitlab", Project: gitlabtest.Project, Token: gitlabtest.Token, Timeout: 300 * time.Millisecond}
	start := time.Now()
	rs := Run(context.Background(), cfg)
	elapsed := time.Since(start)
	expect(t, rs, CheckDNS, Pass)
	expect(t, rs, CheckTCP, Pass)
	expect(t, rs, CheckTLS, Fail, "no TLS answer", "within 300ms", "firewall")
	expect(t, rs, CheckHTTP2, Skip)
	expect(t, rs, CheckVersion, Fail, "no answer within 300ms")
	expect(t, rs, CheckToken, Fail, "no answer")
	expect(t, rs, CheckWebSocket, Fail)
	if elapsed > 2*time.Second {
		t.Errorf("doctor took %v against a dead port with a 300ms timeout", elapsed)
	}
}

func TestDoctorClosedPort(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	rs := Run(context.Background(), Config{BaseURL: "https://" + addr, Timeout: time.Second})
	expect(t, rs, CheckTCP, Fail, "cannot connect", "firewall")
	expect(t, rs, CheckTLS, Skip, "TCP failed")
}

func TestDoctorWithoutWebSocket(t *testing.T) {
	g, caFile := tlsGitLab(t, true, false)
	rs := Run(context.Background(), cfgFor(g, caFile))
	expect(t, rs, CheckWebSocket, Fail, "no WebSocket upgrade", "404", "Upgrade")
	expect(t, rs, CheckToken, Pass)
}

func TestDoctorHTTP11Only(t *testing.T) {
	g, caFile := tlsGitLab(t, false, true)
	rs := Run(context.Background(), cfgFor(g, caFile))
	expect(t, rs, CheckTLS, Pass)
	expect(t, rs, CheckHTTP2, Warn, "only HTTP/1.1", "enable HTTP/2")
	expect(t, rs, CheckWebSocket, Pass)
}

func TestDoctorSelfSignedCertificate(t *testing.T) {
	g, caFile := tlsGitLab(t, true, true)
	t.Setenv("SSL_CERT_FILE", "")
	cfg := cfgFor(g, "")
	rs := Run(context.Background(), cfg)
	expect(t, rs, CheckTLS, Fail, "unknown authority", "set SSL_CERT_FILE")
	expect(t, rs, CheckHTTP2, Skip)
	expect(t, rs, CheckToken, Fail)

	t.Setenv("SSL_CERT_FILE", caFile)
	rs = Run(context.Background(), cfg)
	expect(t, rs, CheckTLS, Pass, caFile)
	expect(t, rs, CheckToken, Pass)
	expect(t, rs, CheckWebSocket, Pass)
}

func TestDoctorGitAndModel(t *testing.T) {
	rs := Run(context.Background(), Config{Dir: gitRepo(t, true), Model: func(ctx context.Context) (string, error) {
		return "", context.DeadlineExceeded
	}})
	expect(t, rs, CheckGit, Warn, "detached", "git switch")
	expect(t, rs, CheckModel, Fail, "no answer from the model provider")
	expect(t, rs, CheckToken, Skip, "GITLAB_URL")
	if Worst(rs) != Fail {
		t.Errorf("Worst = %s", Worst(rs))
	}
	rs = Run(context.Background(), Config{Dir: t.TempDir()})
	expect(t, rs, CheckGit, Fail, "not inside a git repository")
	expect(t, rs, CheckModel, Skip)
}

func TestOlder(t *testing.T) {
	for _, c := range []struct {
		v    string
		want bool
	}{{"17.1.9", true}, {"17.2.0-ee", false}, {"17.10.1", false}, {"16.11", true}, {"18.0.0-pre", false}} {
		if older(c.v, "17.2") != c.want {
			t.Errorf("older(%q) = %v", c.v, !c.want)
		}
	}
}

// The WebSocket check gives proxy advice only where a proxy may be the cause:
// not for a name that does not resolve or a port that refuses (issue 16).
func TestCableAdviceNamesTheRealCause(t *testing.T) {
	ctx := context.Background()
	dns := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "gitlab.nohost.invalid", IsNotFound: true}}
	r := cableFailure(ctx, fmt.Errorf("failed to WebSocket dial: failed to send handshake request: %w", &url.Error{Op: "Get", URL: "https://gitlab.nohost.invalid/-/cable", Err: dns}), nil, time.Second)
	if strings.Contains(r.Fix, "proxy") || !strings.Contains(r.Fix, CheckDNS) {
		t.Errorf("DNS failure: fix %q should point at %s, not a proxy", r.Fix, CheckDNS)
	}
	// A real refused port.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	rs := Run(ctx, Config{BaseURL: "https://" + addr, Timeout: time.Second})
	if ws := byName(rs)[CheckWebSocket]; ws.Status != Fail || strings.Contains(ws.Fix, "proxy") {
		t.Errorf("closed port: websocket %s, fix %q: want a failure without proxy advice", ws.Status, ws.Fix)
	}
	// An answer without the upgrade is what a proxy does: advice stays.
	resp := &http.Response{Status: "404 Not Found", StatusCode: 404}
	if r := cableFailure(ctx, errors.New("expected handshake response status code 101 but got 404"), resp, time.Second); !strings.Contains(r.Fix, "proxy") {
		t.Errorf("no upgrade: fix %q lacks the proxy advice", r.Fix)
	}
	// The proxy's own dial failing is a proxy problem.
	pc := &net.OpError{Op: "proxyconnect", Net: "tcp", Err: errors.New("connection refused")}
	if r := cableFailure(ctx, pc, nil, time.Second); !strings.Contains(r.Fix, "proxy") {
		t.Errorf("proxyconnect: fix %q lacks the proxy advice", r.Fix)
	}
}

// Only secret-bearing settings are hidden: max_tokens is a budget and keys.* are
// key bindings, though their names contain "token" and "key" (issue 16).
func TestSafeSettingsHidesOnlySecrets(t *testing.T) {
	in := map[string]string{
		"max_tokens": "8192 (default for claude)", "keys.pause": "ctrl+space", "thinking_budget": "0 (off)",
		"api_key": "sk-ant-abc", "gitlab_token": "glpat-xyz", "GitLabToken": "glpat-xyz", "client_secret": "s",
		"api_key_file": "~/.config/wend/key (file)", "openai_api_key": "",
	}
	out := SafeSettings(in)
	for _, k := range []string{"max_tokens", "keys.pause", "thinking_budget", "api_key_file"} {
		if out[k] != in[k] {
			t.Errorf("%s = %q, want it shown as %q", k, out[k], in[k])
		}
	}
	for _, k := range []string{"api_key", "gitlab_token", "GitLabToken", "client_secret"} {
		if out[k] != "(set, hidden)" {
			t.Errorf("%s = %q, want (set, hidden)", k, out[k])
		}
	}
	if out["openai_api_key"] != "(not set)" {
		t.Errorf("unset secret = %q, want (not set)", out["openai_api_key"])
	}
}
