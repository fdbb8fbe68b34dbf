package gitlab

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"gitlab.com/wend/wend/remote/redact"
)

// Remote is what a git remote URL says about GitLab.
type Remote struct {
	// BaseURL is the instance's web root: scheme, host, optional port and
	// optional relative URL root (https://host/gitlab). For SSH remotes it is
	// https://host, since the SSH port says nothing about the web port.
	BaseURL string
	// Project is the full project path, subgroups included, without ".git".
	Project string
}

// ParseRemote reads a git remote URL in any of the forms git accepts for GitLab:
//
//	https://host[:port][/root]/group/sub/proj(.git)
//	git@host:group/sub/proj(.git)          (scp-like)
//	ssh://git@host[:port]/group/sub/proj(.git)
//
// instance is the configured instance URL (config, GITLAB_URL; may be empty).
// When it names the same host, it wins as BaseURL and its sub-path is removed
// from the project path: a remote alone cannot tell /gitlab/group/proj on an
// instance under /gitlab from a project in a group called "gitlab".
func ParseRemote(remote, instance string) (Remote, error) {
	remote = strings.TrimSpace(remote)
	var scheme, host, path string
	switch {
	case strings.Contains(remote, "://"):
		u, err := url.Parse(remote)
		if err != nil {
			return Remote{}, fmt.Errorf("git remote %q: %w", redact.Userinfo(remote), err)
		}
		scheme, host, path = u.Scheme, u.Host, u.Path
		switch scheme {
		case "http", "https":
		case "ssh", "git+ssh", "ssh+git":
			scheme, host = "https", u.Hostname()
		default:
			return Remote{}, fmt.Errorf("git remote %q: unsupported scheme %q (want https or ssh)", redact.Userinfo(remote), u.Scheme)
		}
	case strings.Contains(remote, ":"):
		// scp-like: [user@]host:path
		at := strings.LastIndex(remote[:strings.Index(remote, ":")], "@")
		rest := remote[at+1:]
		i := strings.Index(rest, ":")
		scheme, host, path = "https", rest[:i], rest[i+1:]
	default:
		return Remote{}, fmt.Errorf("git remote %q is not a URL (a local path?); set gitlab_url and run wend in a clone of a GitLab project", remote)
	}
	if host == "" {
		return Remote{}, fmt.Errorf("git remote %q has no host", redact.Userinfo(remote))
	}
	path = strings.TrimSuffix(strings.Trim(path, "/"), ".git")
	path = strings.TrimPrefix(path, "~") // ssh://host/~user/repo is not GitLab, but be lenient
	r := Remote{BaseURL: scheme + "://" + host, Project: path}
	if instance != "" {
		iu, err := url.Parse(strings.TrimRight(instance, "/"))
		if err == nil && strings.EqualFold(iu.Hostname(), hostOnly(host)) {
			r.BaseURL = iu.Scheme + "://" + iu.Host + iu.Path
			if root := strings.Trim(iu.Path, "/"); root != "" {
				r.Project = strings.TrimPrefix(r.Project, root+"/")
			}
		}
	}
	if r.Project == "" || !strings.Contains(r.Project, "/") {
		return Remote{}, fmt.Errorf("git remote %q names no GitLab project (want group/project)", redact.Userinfo(remote))
	}
	return r, nil
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}
