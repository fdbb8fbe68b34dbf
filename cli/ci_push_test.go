package cli

import (
	"context"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tokenPush over smart HTTP (git http-backend behind Basic auth, as GitLab
// asks for a token): the credential helper answers with the token, which is
// in no argument and no output; a wrong token fails without showing it; a
// pre-push hook does not run (it would inherit the token's variable).
func TestTokenPushAuthenticatesThroughTheHelper(t *testing.T) {
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skip("no git exec path")
	}
	backend := filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Skip("git-http-backend is not installed")
	}
	const token = "glpat-PushTokenNeverShown0077"
	root := t.TempDir()
	git(t, root, "init", "-q", "--bare", "proj.git")
	git(t, filepath.Join(root, "proj.git"), "config", "http.receivepack", "true")
	cgiH := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "oauth2" || p != token {
			w.Header().Set("WWW-Authenticate", `Basic realm="GitLab"`)
			http.Error(w, "HTTP Basic: Access denied", http.StatusUnauthorized)
			return
		}
		cgiH.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	home := t.TempDir()
	t.Setenv("HOME", home) // no user credential helper
	t.Setenv("XDG_CONFIG_HOME", home)
	dir := demoRepo(t)
	git(t, dir, "switch", "-q", "-c", "wend/12")
	leak := filepath.Join(home, "hook-ran")
	os.WriteFile(filepath.Join(dir, ".git", "hooks", "pre-push"), []byte("#!/bin/sh\nenv > "+leak+"\n"), 0o755)
	url := srv.URL + "/proj.git"

	err = tokenPush(context.Background(), dir, url, "wend/12", "glpat-WrongTokenAbcdefgh0000")
	if err == nil || strings.Contains(err.Error(), "glpat-WrongToken") {
		t.Fatalf("a wrong token: %v", err)
	}
	if err := tokenPush(context.Background(), dir, url, "wend/12", token); err != nil {
		t.Fatal(err)
	}
	head := git(t, dir, "rev-parse", "HEAD")
	if got := git(t, filepath.Join(root, "proj.git"), "rev-parse", "refs/heads/wend/12"); got != head {
		t.Fatalf("remote wend/12 = %q, want %q", got, head)
	}
	if _, err := os.Stat(leak); err == nil {
		t.Error("a pre-push hook ran with the token in its environment")
	}
	if cfg, _ := os.ReadFile(filepath.Join(dir, ".git", "config")); strings.Contains(string(cfg), token) {
		t.Error("the token was written to .git/config")
	}
}
