package health

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"time"

	"gitlab.com/wend/wend/internal/gitrun"
	"gitlab.com/wend/wend/remote/gitlab"
	"gitlab.com/wend/wend/remote/redact"
)

func checkGit(ctx context.Context, dir string) Result {
	r := Result{Name: CheckGit}
	if dir == "" {
		r.Status, r.Reason = Skip, "no directory given"
		return r
	}
	git := func(args ...string) (string, error) {
		out, err := gitrun.Run(ctx, gitrun.Cmd{Dir: dir, Args: args})
		return strings.TrimSpace(string(out)), err
	}
	if _, err := exec.LookPath("git"); err != nil {
		r.Status, r.Reason, r.Fix = Fail, "git is not installed", "install git"
		return r
	}
	top, err := git("rev-parse", "--show-toplevel")
	if err != nil {
		r.Status, r.Reason, r.Fix = Fail, dir+" is not inside a git repository", "run wend in a clone of your project (or use -C DIR)"
		return r
	}
	branch, err := git("symbolic-ref", "--quiet", "--short", "HEAD")
	if err != nil {
		r.Status, r.Reason, r.Fix = Warn, "HEAD is detached in "+top, "check out a branch (git switch -c my-branch) so changes can become a merge request"
		return r
	}
	r.Status, r.Reason = Pass, fmt.Sprintf("repository %s, branch %s", top, branch)
	return r
}

// connectivity checks DNS, TCP, TLS and HTTP/2 in order, stopping at the first
// failure (later steps are reported as skipped, naming the cause).
func connectivity(ctx context.Context, cfg Config, u *url.URL) []Result {
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	proxyURL, _ := cfg.Proxy(u)
	dialHost, dialPort, via := host, port, ""
	if proxyURL != nil {
		dialHost, dialPort = proxyURL.Hostname(), proxyURL.Port()
		if dialPort == "" {
			dialPort = map[string]string{"https": "443", "http": "80"}[proxyURL.Scheme]
		}
		via = " via proxy " + proxyURL.Host
	}
	var out []Result
	skipRest := func(from int, why string) []Result {
		names := []string{CheckDNS, CheckTCP, CheckTLS, CheckHTTP2}
		for _, n := range names[from:] {
			out = append(out, Result{Name: n, Status: Skip, Reason: "not checked: " + why})
		}
		return out
	}

	start := time.Now()
	addrs, err := net.DefaultResolver.LookupHost(ctx, dialHost)
	dns := Result{Name: CheckDNS, Duration: time.Since(start)}
	if err != nil {
		dns.Status, dns.Reason = Fail, fmt.Sprintf("cannot resolve %s: %s", dialHost, shortErr(err))
		dns.Fix = "check the host name in GITLAB_URL, your DNS and VPN"
		if timedOut(ctx, err) {
			dns.Reason = fmt.Sprintf("no DNS answer for %s within %s", dialHost, cfg.Timeout)
		}
		out = append(out, dns)
		return skipRest(1, "DNS failed")
	}
	dns.Status, dns.Reason = Pass, fmt.Sprintf("%s → %s%s", dialHost, strings.Join(addrs, ", "), via)
	out = append(out, dns)

	start = time.Now()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(dialHost, dialPort))
	tcp := Result{Name: CheckTCP, Duration: time.Since(start)}
	if err != nil {
		tcp.Status, tcp.Reason = Fail, fmt.Sprintf("cannot connect to %s:%s%s: %s", dialHost, dialPort, via, shortErr(err))
		tcp.Fix = "check that the instance is up, the port is right, and no firewall or VPN blocks it"
		if timedOut(ctx, err) {
			tcp.Reason = fmt.Sprintf("no TCP connection to %s:%s within %s", dialHost, dialPort, cfg.Timeout)
		}
		out = append(out, tcp)
		return skipRest(2, "TCP failed")
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	tcp.Status, tcp.Reason = Pass, fmt.Sprintf("connected to %s%s", conn.RemoteAddr(), via)
	out = append(out, tcp)

	if proxyURL != nil {
		if err := connect(conn, net.JoinHostPort(host, port)); err != nil {
			out = append(out, Result{Name: CheckTLS, Status: Fail, Reason: "proxy " + proxyURL.Host + " refused the tunnel: " + shortErr(err),
				Fix: "check HTTPS_PROXY and NO_PROXY, and the proxy's credentials", Duration: time.Since(start)})
			return skipRest(3, "the proxy tunnel failed")
		}
	}
	if u.Scheme != "https" {
		out = append(out, Result{Name: CheckTLS, Status: Warn, Reason: "the instance URL is plain http: the token travels unencrypted",
			Fix: "use https in GITLAB_URL"})
		return skipRest(3, "no TLS")
	}

	start = time.Now()
	tlsCfg, err := gitlab.TLSConfig(cfg.CAFile)
	if err != nil {
		out = append(out, Result{Name: CheckTLS, Status: Fail, Reason: err.Error(), Fix: "point SSL_CERT_FILE at a readable PEM bundle"})
		return skipRest(3, "no CA roots")
	}
	tlsCfg.ServerName, tlsCfg.NextProtos = host, []string{"h2", "http/1.1"}
	tc := tls.Client(conn, tlsCfg)
	err = tc.HandshakeContext(ctx)
	tlsRes := Result{Name: CheckTLS, Duration: time.Since(start)}
	if err != nil {
		tlsRes.Status, tlsRes.Reason, tlsRes.Fix = Fail, "TLS handshake failed: "+shortErr(err), tlsAdvice(err, cfg.CAFile)
		if timedOut(ctx, err) {
			tlsRes.Reason = fmt.Sprintf("no TLS answer from %s within %s: the port accepts connections but does not respond", u.Host, cfg.Timeout)
			tlsRes.Fix = "check the port in GITLAB_URL (is it the web port?), and any firewall or proxy that swallows traffic"
		}
		out = append(out, tlsRes)
		return skipRest(3, "TLS failed")
	}
	st := tc.ConnectionState()
	issuer := ""
	if len(st.PeerCertificates) > 0 {
		c := st.PeerCertificates[0]
		issuer = fmt.Sprintf(", certificate for %s by %s, valid until %s", strings.Join(c.DNSNames, ","), c.Issuer.CommonName, c.NotAfter.Format("2006-01-02"))
	}
	tlsRes.Status, tlsRes.Reason = Pass, tls.VersionName(st.Version)+issuer
	if cfg.CAFile != "" {
		tlsRes.Reason += " (roots: system + " + cfg.CAFile + ")"
	}
	out = append(out, tlsRes)
	out = append(out, checkHTTP2(ctx, cfg, u, st.NegotiatedProtocol))
	return out
}

// connect opens an HTTP CONNECT tunnel through a proxy connection.
func connect(conn net.Conn, target string) error {
	fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: http.MethodConnect})
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}

// checkHTTP2 compares what TLS negotiated (ALPN) with what an actual request
// through wend's transport (proxy included) used, so a proxy that downgrades
// to HTTP/1.1 is caught.
func checkHTTP2(ctx context.Context, cfg Config, u *url.URL, alpn string) Result {
	start := time.Now()
	r := Result{Name: CheckHTTP2}
	if alpn != "h2" {
		r.Status, r.Duration = Warn, time.Since(start)
		r.Reason = fmt.Sprintf("the server offers only %s (no h2 in ALPN)", orUnknown(alpn))
		r.Fix = "enable HTTP/2 on the instance or its load balancer; Duo Workflow's gRPC needs it, and requests are slower without it"
		return r
	}
	tr, err := cfg.transport()
	if err != nil {
		r.Status, r.Reason = Fail, err.Error()
		return r
	}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u.String()+"/api/v4/version", nil)
	resp, err := cfg.client(tr).Do(req)
	r.Duration = time.Since(start)
	if pr, ok := PolicyFailure(CheckHTTP2, err); ok {
		pr.Duration = r.Duration
		return pr
	}
	if err != nil {
		r.Status, r.Reason, r.Fix = Fail, "request failed: "+shortErr(err), "see the TLS and proxy results above"
		return r
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		r.Status, r.Reason = Warn, "the server offers h2 but requests arrived over "+resp.Proto
		r.Fix = "a proxy in between downgrades to HTTP/1.1; check HTTPS_PROXY or ask for HTTP/2 support"
		return r
	}
	r.Status, r.Reason = Pass, "h2 negotiated and used"
	return r
}

func orUnknown(alpn string) string {
	if alpn == "" || alpn == "http/1.1" {
		return "HTTP/1.1"
	}
	return alpn
}

func tlsAdvice(err error, caFile string) string {
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var tv *tls.CertificateVerificationError
	if errors.As(err, &tv) && len(tv.UnverifiedCertificates) > 0 {
		err = tv.Err
	}
	switch {
	case errors.As(err, &ua):
		if caFile != "" {
			return "the certificate is not signed by the system roots or by " + caFile + "; add your organisation's CA certificate (PEM) to that file"
		}
		return "the certificate is signed by an unknown authority (self-signed or a private CA); set SSL_CERT_FILE to a PEM file with your CA certificate"
	case errors.As(err, &he):
		return "the certificate does not name this host; use the host name the certificate was issued for in GITLAB_URL"
	case errors.As(err, &ci):
		return "the certificate is expired or not yet valid; check the machine's clock, or ask the instance's admins to renew it"
	}
	return "check that GITLAB_URL uses the web port, and any proxy that intercepts TLS"
}

func shortErr(err error) string {
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Err.Error()
	}
	return redact.String(msg)
}

func redactErr(err error) string { return redact.String(err.Error()) }
