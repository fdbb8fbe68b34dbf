package health

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/httpx/httpxtest"
)

// An instance that redirects to another host gets no token from doctor, and
// doctor says why and what to set instead.
func TestDoctorRefusesARedirectToAnotherHost(t *testing.T) {
	for _, code := range []int{302, 307, 308} {
		a, b := httpxtest.Redirect(t, code)
		rs := Run(context.Background(), Config{BaseURL: a.URL, Project: "g/p", Token: "glpat-leakleakleak",
			Proxy: func(*url.URL) (*url.URL, error) { return nil, nil }})
		for _, r := range b.Requests() {
			t.Errorf("%d: the other host got %s %s with PRIVATE-TOKEN=%q", code, r.Method, r.Path, r.Header.Get("PRIVATE-TOKEN"))
		}
		want := "redirected to " + b.URL + "; wend does not send credentials to another host"
		for _, name := range []string{CheckVersion, CheckToken, CheckRole, CheckWebSocket} {
			r := find(rs, name)
			if r.Status != Fail || !strings.Contains(r.Reason, want) || !strings.Contains(r.Fix, "set gitlab_url") {
				t.Errorf("%d: %s = %s %q (fix %q)\nwant a failure naming the redirect and gitlab_url", code, name, r.Status, r.Reason, r.Fix)
			}
		}
	}
}

func find(rs []Result, name string) Result {
	for _, r := range rs {
		if r.Name == name {
			return r
		}
	}
	return Result{}
}
