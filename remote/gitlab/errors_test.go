package gitlab

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
)

func TestErrorsTellTheUserWhatToDo(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(*gitlabtest.Server)
		ref    string
		status int
		want   []string
	}{
		{"401 bad token", func(s *gitlabtest.Server) { s.Token = "glpat-someoneelsestoken000" }, "#12", 401,
			[]string{"issue group/sub/proj#12", "401 Unauthorized", "invalid, expired or revoked", "/-/user_settings/personal_access_tokens", "GITLAB_TOKEN"}},
		{"401 expired token", func(s *gitlabtest.Server) { s.TokenExpires = time.Now().AddDate(0, 0, -3) }, "#12", 401,
			[]string{"expired"}},
		{"403 scope", func(s *gitlabtest.Server) {
			s.FailWith("/issues/12", 403, `{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the access token.","scope":"api read_api"}`)
		}, "#12", 403, []string{"403 Forbidden", "lacks the scope GitLab asks for (api read_api)"}},
		{"403 role", func(s *gitlabtest.Server) { s.FailWith("/merge_requests/34", 403, `{"message":"403 Forbidden"}`) }, "!34", 403,
			[]string{"your role on group/sub/proj", "Developer"}},
		{"404 issue", nil, "#404", 404, []string{"issue group/sub/proj#404 on http://127.0.0.1", "404 Not Found", "404 Issue Not Found", "private"}},
		{"404 project", nil, "other/proj#1", 404, []string{"issue other/proj#1", "404 Project Not Found"}},
		{"429 exhausted", func(s *gitlabtest.Server) { s.Fail("/issues/12", "1", 429, 429, 429, 429, 429) }, "#12", 429,
			[]string{"429 Too Many Requests", "rate limiting", "retry after 1s"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := gitlabtest.New(t)
			token := srv.Token
			if c.setup != nil {
				c.setup(srv)
			}
			cl, sink := testClient(t, srv)
			cl, _ = New(Config{BaseURL: srv.URL(), Project: gitlabtest.Project, Token: token, RetryMax: 2,
				RetryWaitMin: time.Millisecond, RetryWaitMax: 50 * time.Millisecond, Wrap: auditWrap(sink)})
			_, err := cl.ResolveText(bg, c.ref, Options{})
			if err == nil {
				t.Fatal("no error")
			}
			if StatusOf(err) != c.status {
				t.Errorf("status %d, want %d (%v)", StatusOf(err), c.status, err)
			}
			var ge *Error
			if !errors.As(err, &ge) {
				t.Errorf("%T is not *Error", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			noToken(t, err.Error(), sink.dump(t))
		})
	}
}

func TestRetries429WithRetryAfterAnd5xx(t *testing.T) {
	srv := gitlabtest.New(t)
	srv.Fail("/issues/12", "1", http.StatusTooManyRequests)
	srv.Fail("/pipelines/991", "", 500, 502)
	c, sink := testClient(t, srv)
	start := time.Now()
	if _, err := c.ResolveText(bg, "#12", Options{}); err != nil {
		t.Fatalf("429 then success: %v", err)
	}
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Errorf("Retry-After: 1 not honoured: retried after %v", waited)
	}
	r := mustRef(t, "https://x/group/sub/proj/-/pipelines/991")
	r.Host = c.Host()
	if _, err := c.Resolve(bg, r, Options{}); err != nil {
		t.Fatalf("500, 502 then success: %v", err)
	}
	var n429, n5xx int
	for _, rec := range sink.recs {
		switch {
		case rec.Status == 429:
			n429++
		case rec.Status >= 500:
			n5xx++
		}
	}
	if n429 != 1 || n5xx != 2 {
		t.Errorf("audit saw %d 429s and %d 5xx, want 1 and 2", n429, n5xx)
	}
	noToken(t, sink.dump(t))
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	h := http.Header{}
	h.Set("Retry-After", "7")
	if d, ok := retryAfter(h, now); !ok || d != 7*time.Second {
		t.Errorf("seconds: %v %v", d, ok)
	}
	h.Set("Retry-After", now.Add(3*time.Second).Format(http.TimeFormat))
	if d, ok := retryAfter(h, now); !ok || d != 3*time.Second {
		t.Errorf("date: %v %v", d, ok)
	}
	h = http.Header{}
	h.Set("RateLimit-Reset", "1795442410") // now + 10s
	if d, ok := retryAfter(h, time.Unix(1795442400, 0)); !ok || d != 10*time.Second {
		t.Errorf("RateLimit-Reset: %v %v", d, ok)
	}
	resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"120"}}}
	if d := backoff(time.Millisecond, 30*time.Second, 1, resp); d != 30*time.Second {
		t.Errorf("backoff not capped at max: %v", d)
	}
}
