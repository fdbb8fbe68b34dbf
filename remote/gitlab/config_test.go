package gitlab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadTokenFileRequires0600(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "token")
	os.WriteFile(p, []byte("glpat-filetokenfiletoken\n"), 0o644)
	if _, err := ReadTokenFile(p); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("0644 token file accepted or unhelpful error: %v", err)
	}
	os.Chmod(p, 0o600)
	tok, err := ReadTokenFile(p)
	if err != nil || tok != "glpat-filetokenfiletoken" {
		t.Fatalf("ReadTokenFile = %q, %v", tok, err)
	}
}

const glabYAML = `# glab config
git_protocol: ssh
hosts:
    gitlab.com:
        token: glpat-comcomcomcomcomcomcom
        api_protocol: https
    gitlab.example.com:8443:
        api_protocol: https
        token: "glpat-exampleexampleexample"
editor: vim
`

func TestDiscover(t *testing.T) {
	glab := filepath.Join(t.TempDir(), "config.yml")
	os.WriteFile(glab, []byte(glabYAML), 0o600)

	cfg, err := Discover(DiscoverInput{RemoteURL: "git@gitlab.com:g/sub/p.git", GlabConfig: glab})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseURL != "https://gitlab.com" || cfg.Project != "g/sub/p" || cfg.Token != "glpat-comcomcomcomcomcomcom" || !strings.HasPrefix(cfg.TokenOrigin, "glab config") {
		t.Errorf("cfg = %+v", cfg)
	}

	cfg, err = Discover(DiscoverInput{RemoteURL: "ssh://git@gitlab.example.com:2222/g/p.git", InstanceURL: "https://gitlab.example.com:8443", GlabConfig: glab})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseURL != "https://gitlab.example.com:8443" || cfg.Token != "glpat-exampleexampleexample" {
		t.Errorf("cfg = %+v", cfg)
	}

	cfg, err = Discover(DiscoverInput{RemoteURL: "git@gitlab.com:g/p.git", Token: "glpat-envenvenvenvenvenv", TokenOrigin: "env GITLAB_TOKEN", GlabConfig: glab})
	if err != nil || cfg.Token != "glpat-envenvenvenvenvenv" || cfg.TokenOrigin != "env GITLAB_TOKEN" {
		t.Errorf("explicit token must win over glab: %+v %v", cfg, err)
	}

	if _, err := Discover(DiscoverInput{GlabConfig: glab}); err == nil {
		t.Error("Discover without instance or remote succeeded")
	}
}
