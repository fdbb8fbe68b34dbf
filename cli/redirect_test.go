package cli

import (
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/httpx/httpxtest"
)

// Security finding 3, through the verbs a user runs: a GitLab instance and a
// model server that answer every request with a redirect to another port get
// neither the GitLab token, nor the API key, nor the conversation there. Every
// verb that talks to them (wend context, wend run, wend doctor with a model
// provider and with GitLab Duo) fails naming the redirect and the setting to
// fix; the other host receives no request at all. The clients' own tests
// (remote/gitlab, remote/llm, remote/duo, remote/health) cover 302, 307 and
// 308 each; this one checks every verb is wired to them.
func TestNoVerbFollowsARedirectWithCredentials(t *testing.T) {
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"} {
		t.Setenv(k, "")
	}
	const (
		token = "glpat-RedirectLeak7Token2Qx"
		key   = "sk-proj-RedirectLeak4Key9Value3Zq5Wx0Tn"
	)
	a, b := httpxtest.Redirect(t, 307)
	dir := demoRepo(t)
	git(t, dir, "remote", "add", "origin", a.URL+"/group/proj.git")
	env := wendEnv(t, map[string]string{"GITLAB_TOKEN": token, "OPENAI_API_KEY": key})
	model := []string{"--provider", "openai", "--base-url", a.URL + "/v1", "--model", "m"}
	redirected := "redirected to " + b.URL

	for _, c := range []struct {
		name string
		args []string
		// wants are what the output (stdout and stderr) must name.
		wants []string
	}{
		{"wend context", []string{"context", "#12"}, []string{redirected, "gitlab_url"}},
		{"wend run", append(append([]string{}, model...), "run", "say hello"), []string{redirected, "base_url"}},
		{"wend doctor", append(append([]string{}, model...), "doctor", "--timeout", "3s"),
			[]string{redirected, "set gitlab_url (or GITLAB_URL) to the address", "set base_url to the address the model server redirects to"}},
		{"wend doctor (Duo)", []string{"--provider", "gitlab-duo", "doctor", "--timeout", "3s"}, []string{redirected, "duo.websocket"}},
	} {
		code, out, errOut := wend(t, env, append([]string{"-C", dir}, c.args...)...)
		if c.name != "wend doctor" && c.name != "wend doctor (Duo)" && code == ExitOK {
			t.Errorf("%s succeeded against a redirecting server:\n%s%s", c.name, out, errOut)
		}
		for _, want := range c.wants {
			if !strings.Contains(out+errOut, want) {
				t.Errorf("%s does not name %q:\n%s%s", c.name, want, out, errOut)
			}
		}
		// The advice is the redirect's, not a guess about load balancers.
		if strings.Contains(out, "load balancer") {
			t.Errorf("%s blames a load balancer for a refused redirect:\n%s", c.name, out)
		}
		for _, s := range []string{token, key} {
			if strings.Contains(out+errOut, s) {
				t.Errorf("%s printed a credential:\n%s%s", c.name, out, errOut)
			}
		}
	}
	for _, r := range b.Requests() {
		t.Errorf("the other host got %s %s (PRIVATE-TOKEN %q, Authorization %q, body %d bytes)",
			r.Method, r.Path, r.Header.Get("PRIVATE-TOKEN"), r.Header.Get("Authorization"), len(r.Body))
	}
}
