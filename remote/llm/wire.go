package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// The HTTP exchange both dialects share: wend speaks to model servers over
// net/http directly. Each dialect is one POST of a JSON body answered by an
// event stream (sse.go) or an error body (wire_errors.go); the official SDKs
// cost minutes of compilation and most of the binary for exactly that.

// endpoint appends path to base the way the providers' SDKs do, so existing
// base_url settings keep working: base is a directory whether or not it ends
// in a slash ("http://host/v1" + "chat/completions" is
// http://host/v1/chat/completions; a gateway prefix stays in front).
func endpoint(base, path string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("base_url %q is not a URL: %w", base, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("base_url %q must start with http:// or https://", base)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u.ResolveReference(&url.URL{Path: path}).String(), nil
}

// errorCapture is an HTTP error answer: its status, headers (Retry-After) and
// the start of its body, kept whatever its shape, so the user reads the
// server's own sentence.
type errorCapture struct {
	status int
	header http.Header
	body   []byte
}

// maxErrorBody bounds what is read of an error answer; the sentence that
// matters is at its start.
const maxErrorBody = 64 << 10

// post sends one request and returns either the 2xx response, whose body the
// caller reads and closes, or the error answer. The header carries the key,
// which never appears in what is returned: the causes name only the status
// and the endpoint.
func post(ctx context.Context, hc *http.Client, url string, header http.Header, body []byte) (*http.Response, *errorCapture, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header = header.Clone()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json") // what the SDKs sent; servers stream on "stream": true
	req.Header.Set("User-Agent", "wend")
	res, err := hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return res, nil, nil
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
	return nil, &errorCapture{status: res.StatusCode, header: res.Header, body: b}, nil
}

// cause is the error kept under a classified HTTP failure, for logs: the
// status and where, never the body (a provider may echo the key in it).
func (c *errorCapture) cause(url string) error {
	return fmt.Errorf("HTTP %d from %s", c.status, url)
}

// encodeBody writes v as compact JSON without HTML escaping: requests are
// full of code, where < > & are common, and the bytes must be the same for
// the same request so provider prompt caches hit.
func encodeBody(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// isJSONBody reports a 2xx answer that says it is one JSON document rather
// than an event stream.
func isJSONBody(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "application/json"
}
