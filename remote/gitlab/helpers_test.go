package gitlab

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/audit"
	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// auditSink collects audit records in memory.
type auditSink struct {
	mu   sync.Mutex
	recs []audit.Record
}

func (a *auditSink) Write(r audit.Record) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recs = append(a.recs, r)
	return nil
}

// testClient connects to srv with the audit wrapper on, fast retries, and a
// captured log of everything the audit layer saw.
func testClient(t testing.TB, srv *gitlabtest.Server) (*Client, *auditSink) {
	t.Helper()
	sink := &auditSink{}
	c, err := New(Config{
		BaseURL: srv.URL(), Project: gitlabtest.Project, Token: srv.Token,
		RetryWaitMin: 5 * time.Millisecond, RetryWaitMax: 2 * time.Second,
		Wrap: auditWrap(sink),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, sink
}

// noToken fails the test if the token or the fixture secret appears in any of
// the given texts.
func noToken(t testing.TB, texts ...string) {
	t.Helper()
	for _, s := range texts {
		for _, secret := range []string{gitlabtest.Token, gitlabtest.Secret} {
			if strings.Contains(s, secret) {
				t.Fatalf("secret %q leaked in output:\n%.500s", secret[:10], s)
			}
		}
	}
}

func (a *auditSink) dump(t testing.TB) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var b bytes.Buffer
	log, _ := audit.Open(t.TempDir() + "/a.jsonl")
	for _, r := range a.recs {
		log.Write(r)
		b.WriteString(r.Method + " " + r.Host + r.Path + "?" + r.Query + " " + r.Error + "\n")
	}
	return b.String()
}

var bg = context.Background()

func auditWrap(sink audit.Sink) func(http.RoundTripper) http.RoundTripper {
	return func(rt http.RoundTripper) http.RoundTripper { return audit.Wrap(rt, sink, "test") }
}
