package gitlab

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gitlab.com/wend/wend/remote/httpx"
)

// Config is everything needed to talk to one GitLab project.
type Config struct {
	// BaseURL is the instance web root, sub-path included
	// (https://gitlab.com, https://host.example/gitlab). The API is BaseURL+/api/v4.
	BaseURL string
	// Project is the full path of the current project (group/sub/proj). Short
	// references (#12, !34) resolve against it.
	Project string
	// Token is a personal, project or group access token. Empty works only for
	// public projects.
	Token string
	// TokenOrigin says where Token came from ("env GITLAB_TOKEN", "file ...",
	// "glab config"), for doctor and error messages; never the token itself.
	TokenOrigin string
	// CAFile adds PEM roots to the system pool; empty means $SSL_CERT_FILE.
	CAFile string
	// Wrap, when set, wraps the HTTP transport (audit.Wrap, for example).
	Wrap func(http.RoundTripper) http.RoundTripper
	// RetryMax is how often a 429 or 5xx is retried (default 3; -1 disables).
	RetryMax int
	// RetryWaitMin is the first 5xx backoff (default 500ms); it doubles.
	RetryWaitMin time.Duration
	// RetryWaitMax caps any single wait, Retry-After included (default 60s).
	RetryWaitMax time.Duration
	// Concurrency bounds parallel requests of one Resolve (default 8).
	Concurrency int
	// Limits bound every request (remote/httpx): connect, response, idle, size.
	// Zero fields take the defaults.
	Limits httpx.Limits
}

// limits fills what Limits leaves open for GitLab.
func (cfg Config) limits() httpx.Limits {
	l := cfg.Limits
	if l.Peer == "" {
		l.Peer = "GitLab"
	}
	if l.URLKey == "" {
		l.URLKey = "gitlab_url"
	}
	return l
}

// DiscoverInput is what the caller knows from configuration and git.
type DiscoverInput struct {
	InstanceURL string // --gitlab-url, GITLAB_URL or config gitlab_url; may be empty
	RemoteURL   string // `git remote get-url origin`; may be empty when InstanceURL and Project are set
	Project     string // explicit project path; overrides the remote's
	Token       string // from GITLAB_TOKEN or the config's token file (already mode-checked)
	TokenOrigin string
	// GlabConfig is the glab CLI config file; empty means the default location.
	GlabConfig string
}

// Discover fills a Config from configuration, the git remote and, when no
// token was given, an existing glab CLI login for the same host.
func Discover(in DiscoverInput) (Config, error) {
	cfg := Config{Token: in.Token, TokenOrigin: in.TokenOrigin, Project: in.Project}
	if in.RemoteURL != "" {
		r, err := ParseRemote(in.RemoteURL, in.InstanceURL)
		if err != nil && in.InstanceURL == "" {
			return Config{}, err
		}
		if err == nil {
			cfg.BaseURL = r.BaseURL
			if cfg.Project == "" {
				cfg.Project = r.Project
			}
		}
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = strings.TrimRight(in.InstanceURL, "/")
	}
	if cfg.BaseURL == "" {
		return Config{}, errors.New("no GitLab instance: set GITLAB_URL or gitlab_url, or run wend in a clone with a GitLab remote")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Config{}, fmt.Errorf("GitLab URL %q is not an http(s) URL", cfg.BaseURL)
	}
	if cfg.Token == "" {
		path := in.GlabConfig
		if path == "" {
			path = GlabConfigPath()
		}
		if tok, err := GlabToken(path, u.Host); err == nil && tok != "" {
			cfg.Token, cfg.TokenOrigin = tok, "glab config "+path
		}
	}
	return cfg, nil
}

// ReadTokenFile reads a token from a file that only its owner may read or
// write (mode 0600 or stricter); anything looser is refused, with the chmod
// that fixes it.
func ReadTokenFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s has mode %#o: a token file must be readable by its owner only; run `chmod 600 %s`", path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// GlabConfigPath is where the glab CLI keeps its configuration:
// $GLAB_CONFIG_DIR/config.yml, else $XDG_CONFIG_HOME/glab-cli/config.yml, else
// ~/.config/glab-cli/config.yml.
func GlabConfigPath() string {
	if d := os.Getenv("GLAB_CONFIG_DIR"); d != "" {
		return filepath.Join(d, "config.yml")
	}
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "glab-cli", "config.yml")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".config", "glab-cli", "config.yml")
}

// GlabToken reads the token glab stored for host (hostname, or host:port) from
// its YAML config. Only the `hosts: <host>: token:` shape is read, which is all
// glab writes there; a missing file or host yields "" and no error.
func GlabToken(path, host string) (string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	want := strings.ToLower(host)
	var inHosts, inHost bool
	hostIndent := -1
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " \t"))
		key, val, _ := strings.Cut(trimmed, ":")
		key, val = strings.Trim(key, `"' `), strings.Trim(strings.TrimSpace(val), `"'`)
		switch {
		case indent == 0:
			inHosts, inHost = key == "hosts", false
		case inHosts && (hostIndent < 0 || indent <= hostIndent):
			hostIndent = indent
			inHost = strings.ToLower(key) == want || strings.ToLower(key) == hostOnly(want)
		case inHost && key == "token":
			if val == "" || strings.HasPrefix(val, "!!null") {
				return "", nil
			}
			return val, nil
		}
	}
	return "", sc.Err()
}
