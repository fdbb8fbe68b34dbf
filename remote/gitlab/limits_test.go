package gitlab

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
	"gitlab.com/wend/wend/remote/httpx"
	"gitlab.com/wend/wend/remote/httpx/httpxtest"
)

// PRIVATE-TOKEN is a custom header, which Go's client forwards to any host a
// redirect names: the client must refuse the redirect instead, and say why.
func TestTokenNeverFollowsARedirectToAnotherHost(t *testing.T) {
	for _, code := range []int{302, 307, 308} {
		a, b := httpxtest.Redirect(t, code)
		c, err := New(Config{BaseURL: a.URL, Project: "g/p", Token: "glpat-leakleakleak", RetryMax: -1})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.ResolveText(bg, "#12", Options{})
		for _, r := range b.Requests() {
			t.Errorf("%d: the other host got %s %s with PRIVATE-TOKEN=%q", code, r.Method, r.Path, r.Header.Get("PRIVATE-TOKEN"))
		}
		want := strings.TrimPrefix(a.URL, "http://") + " redirected to " + b.URL + "; wend does not send credentials to another host: set gitlab_url to the final address"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%d: err = %v\nwant it to contain %q", code, err, want)
		}
	}
}

// A GitLab that stalls, or answers without end, fails the call with the bound
// and the setting, instead of hanging the tool or growing memory.
func TestStalledGitLabEndsWithTheLimit(t *testing.T) {
	for _, c := range []struct {
		name  string
		start func(testing.TB) string
		lim   httpx.Limits
		want  string
	}{
		{"accepts and never answers", func(t testing.TB) string { return httpxtest.Silent(t).URL },
			httpx.Limits{Response: 150 * time.Millisecond}, "sent no response for 150ms (response timeout; raise with response_timeout)"},
		{"endless JSON", func(t testing.TB) string {
			return httpxtest.Endless(t, "application/json", `{"iid": 12, "title": "`, "x").URL
		},
			httpx.Limits{MaxBytes: 1 << 20}, "sent more than 1 MB in one response; wend cut it (raise with max_response_mb)"},
	} {
		url := c.start(t)
		cl, err := New(Config{BaseURL: url, Project: "g/p", Token: "glpat-x", RetryMax: -1, Limits: c.lim})
		if err != nil {
			t.Fatal(err)
		}
		_, err = cl.ResolveText(bg, "#12", Options{})
		want := "GitLab at " + strings.TrimPrefix(url, "http://") + " " + c.want
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v\nwant it to contain %q", c.name, err, want)
		}
	}
}

// A job log streams through a bounded line filter, so it is exempt from
// max_response_mb: a log larger than the cap is still read to its end.
func TestJobLogIsNotCutByTheSizeLimit(t *testing.T) {
	srv := gitlabtest.New(t)
	log := srv.Data.Logs[gitlabtest.FailedJobID]
	c, err := New(Config{BaseURL: srv.URL(), Project: gitlabtest.Project, Token: srv.Token, RetryMax: -1,
		Limits: httpx.Limits{MaxBytes: int64(len(log) / 4)}})
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Count(log, []byte("\n"))
	r, err := c.JobLogRange(bg, gitlabtest.Project, gitlabtest.FailedJobID, lines-1, lines)
	if err != nil || len(r.Lines) == 0 {
		t.Fatalf("the last lines of a log 4 times the cap: %+v, %v", r, err)
	}
}
