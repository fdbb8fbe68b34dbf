package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/httpx/httpxtest"
)

// Security finding 7, through the verbs: a model server that accepts and never
// answers, one that sends keep-alive comments forever, one whose stream never
// ends, and a GitLab that never answers each end the verb with a message that
// names the peer and the setting, bounded by the user's own config (which is
// how this test knows the settings reach the clients: the defaults would take
// minutes). The clients' tests (remote/llm, remote/gitlab, remote/duo,
// remote/httpx) pin the bounds themselves.
func TestStalledServersEndTheVerbWithTheUsersLimits(t *testing.T) {
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k-stall", "GITLAB_TOKEN": "glpat-stall"})
	userDir := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "wend")
	if err := os.MkdirAll(userDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(userDir, "config.toml"), []byte(
		"response_timeout = \"400ms\"\nstream_idle_timeout = \"400ms\"\nmax_response_mb = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	model := func(url string) []string {
		return []string{"--provider", "openai", "--base-url", url + "/v1", "--model", "m", "run", "say hello"}
	}
	silentGitLab := httpxtest.Silent(t)
	dir := demoRepo(t)
	git(t, dir, "remote", "add", "origin", silentGitLab.URL+"/group/proj.git")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"model server never answers", model(httpxtest.Silent(t).URL), "sent no response for 400ms (response timeout; raise with stream_idle_timeout)"},
		{"model server sends only keep-alives", model(httpxtest.KeepAlive(t).URL), "sent no event for 400ms (idle timeout; raise with stream_idle_timeout)"},
		{"model stream never ends", model(httpxtest.Endless(t, "text/event-stream", "", ": padding\n\n").URL), "sent more than 1 MB in one response; wend cut it (raise with max_response_mb)"},
		{"GitLab never answers", []string{"context", "#12"}, "sent no response for 400ms (response timeout; raise with response_timeout)"},
	} {
		// A verb the limits do not reach would wait minutes (the defaults) or
		// forever: the context ends it so the test fails instead of hanging.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var outb, errb bytes.Buffer
		code := run(ctx, append([]string{"-C", dir}, c.args...), strings.NewReader(""), &outb, &errb, env)
		cancel()
		out, errOut := outb.String(), errb.String()
		if code == ExitOK || !strings.Contains(out+errOut, c.want) {
			t.Errorf("%s: exit %d, want a failure saying %q:\n%s%s", c.name, code, c.want, out, errOut)
		}
	}
}
