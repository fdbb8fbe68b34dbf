package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// The terminal preferences come from the files, the environment and flags like
// every setting, remember where they came from, and refuse values outside the
// allowed ones with an error naming the key and those values.
func TestUIPreferences(t *testing.T) {
	dir := t.TempDir()
	user := filepath.Join(dir, "user.toml")
	write(t, user, "mouse = true\nnotify = \"bell\"\nascii = true\n", 0o644)
	s, err := Load(Sources{UserFile: user, Env: envOf(map[string]string{"WEND_INLINE": "1"})})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Mouse || s.Notify != "bell" || !s.ASCII || !s.Inline {
		t.Fatalf("mouse %v notify %q ascii %v inline %v", s.Mouse, s.Notify, s.ASCII, s.Inline)
	}
	if s.Origin["notify"] != user+":2" || s.Origin["inline"] != "env WEND_INLINE" {
		t.Errorf("origins: notify %q, inline %q", s.Origin["notify"], s.Origin["inline"])
	}
	rows := map[string]string{}
	for _, r := range s.Rows() {
		rows[r[0]] = r[1]
	}
	if rows["inline"] != "true" || rows["notify"] != "bell" || rows["mouse"] != "true" || rows["ascii"] != "true" {
		t.Errorf("wend config rows: %v", rows)
	}

	d, err := Load(Sources{UserFile: filepath.Join(dir, "none.toml"), Env: envOf(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if d.Mouse || d.Notify != "auto" || d.ASCII || d.Inline || d.Origin["inline"] != "default" {
		t.Errorf("defaults: mouse %v notify %q ascii %v inline %v (%s)", d.Mouse, d.Notify, d.ASCII, d.Inline, d.Origin["inline"])
	}
	f, err := Load(Sources{UserFile: user, Env: envOf(map[string]string{"WEND_INLINE": "1"}), Flags: map[string]string{"inline": "false"}})
	if err != nil || f.Inline || f.Origin["inline"] != "flag --inline" {
		t.Errorf("the flag should win: inline %v from %q (%v)", f.Inline, f.Origin["inline"], err)
	}

	for _, c := range []struct {
		file string
		env  map[string]string
		want []string
	}{
		{"notify = \"loud\"\n", nil, []string{"bad.toml:1", "notify", `"auto", "bell" or "off"`, `"loud"`}},
		{"inline = \"yes\"\n", nil, []string{"bad.toml:1", "inline"}},
		{"", map[string]string{"WEND_INLINE": "maybe"}, []string{"WEND_INLINE", "inline must be true or false", `"maybe"`}},
		{"", map[string]string{"WEND_NOTIFY": "beep"}, []string{"WEND_NOTIFY", `"auto", "bell" or "off"`}},
		{"mose = true\n", nil, []string{"unknown key", "mouse, notify, ascii, inline"}},
	} {
		bad := filepath.Join(dir, "bad.toml")
		write(t, bad, c.file, 0o644)
		_, err := Load(Sources{UserFile: bad, Env: envOf(c.env)})
		if err == nil {
			t.Errorf("%q %v: no error", c.file, c.env)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q %v: error %q lacks %q", c.file, c.env, err, w)
			}
		}
	}
}

// A repository may choose its own look (inline, ascii) without being trusted:
// none of these preferences carries a secret or an approval.
func TestUntrustedRepoMaySetUIPreferences(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "repo")
	write(t, filepath.Join(root, ".wend.toml"), "inline = true\nnotify = \"off\"\n", 0o644)
	s, err := Load(Sources{UserFile: filepath.Join(dir, "none.toml"), RepoRoot: root, TrustFile: filepath.Join(dir, "trusted.toml"), Env: envOf(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Inline || s.Notify != "off" || s.Repo.Warning() != "" {
		t.Errorf("inline %v notify %q warning %q", s.Inline, s.Notify, s.Repo.Warning())
	}
}
