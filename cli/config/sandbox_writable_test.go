package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sandbox_writable opens directories of the user's machine to every command,
// so only the user's own file may set it: a repository that could would make
// ~ writable for its own scripts.
func TestSandboxWritableComesOnlyFromTheUsersFile(t *testing.T) {
	noEnv := func(string) string { return "" }
	dir, root := t.TempDir(), t.TempDir()
	user := filepath.Join(dir, "config.toml")
	os.WriteFile(user, []byte("sandbox_writable = [\"~/.ccache\", \"/srv/cache\"]\n"), 0o600)
	os.WriteFile(filepath.Join(root, ".wend.toml"), []byte("sandbox_writable = [\"~/\", \"/\"]\n"), 0o644)
	s, err := Load(Sources{UserFile: user, RepoRoot: root, TrustFile: filepath.Join(dir, "trusted.toml"), Env: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"~/.ccache", "/srv/cache"}; !reflect.DeepEqual(s.SandboxWritable, want) {
		t.Errorf("SandboxWritable %v, want %v (the repository's must be ignored)", s.SandboxWritable, want)
	}
	if !strings.Contains(s.Repo.Warning(), "sandbox_writable") {
		t.Errorf("the ignored repository key is not reported: %q", s.Repo.Warning())
	}
	os.WriteFile(user, []byte("sandbox_writable = [\"build/cache\"]\n"), 0o600)
	if _, err := Load(Sources{UserFile: user, Env: noEnv}); err == nil || !strings.Contains(err.Error(), "must be an absolute path") {
		t.Errorf("a relative writable path: %v", err)
	}
}
