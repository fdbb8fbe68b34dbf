package gitlab

import "testing"

func TestParseRemote(t *testing.T) {
	cases := []struct {
		remote, instance string
		base, project    string
	}{
		{"https://gitlab.com/group/sub/proj.git", "", "https://gitlab.com", "group/sub/proj"},
		{"https://gitlab.com/group/proj", "", "https://gitlab.com", "group/proj"},
		{"https://oauth2:glpat-xyz@gitlab.example.com:8443/g/p.git", "", "https://gitlab.example.com:8443", "g/p"},
		{"git@gitlab.com:group/sub/proj.git", "", "https://gitlab.com", "group/sub/proj"},
		{"gitlab.example.com:g/p.git", "", "https://gitlab.example.com", "g/p"},
		{"ssh://git@gitlab.example.com:2222/group/proj.git", "", "https://gitlab.example.com", "group/proj"},
		{"ssh://git@gitlab.example.com:2222/group/proj.git", "https://gitlab.example.com:8443", "https://gitlab.example.com:8443", "group/proj"},
		{"https://host.example/gitlab/group/sub/proj.git", "https://host.example/gitlab", "https://host.example/gitlab", "group/sub/proj"},
		{"https://host.example/gitlab/group/sub/proj.git", "https://host.example/gitlab/", "https://host.example/gitlab", "group/sub/proj"},
		{"git@host.example:group/proj.git", "https://host.example/gitlab", "https://host.example/gitlab", "group/proj"},
		{"https://host.example/gitlab/group/proj.git", "", "https://host.example", "gitlab/group/proj"},
		{"https://other.example/g/p.git", "https://host.example/gitlab", "https://other.example", "g/p"},
	}
	for _, c := range cases {
		got, err := ParseRemote(c.remote, c.instance)
		if err != nil {
			t.Errorf("ParseRemote(%q, %q): %v", c.remote, c.instance, err)
			continue
		}
		if got.BaseURL != c.base || got.Project != c.project {
			t.Errorf("ParseRemote(%q, %q) = %+v, want %s %s", c.remote, c.instance, got, c.base, c.project)
		}
	}
}

func TestParseRemoteErrors(t *testing.T) {
	for _, s := range []string{"/local/path/repo", "https://gitlab.com/", "ftp://gitlab.com/g/p", "git@gitlab.com:proj.git", "https://oauth2:glpat-SECRET123@gitlab.com/"} {
		_, err := ParseRemote(s, "")
		if err == nil {
			t.Errorf("ParseRemote(%q) accepted", s)
			continue
		}
		if contains(err.Error(), "SECRET") {
			t.Errorf("error quotes the credential: %v", err)
		}
	}
}
