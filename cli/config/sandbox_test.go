package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSandboxSettingsComeOnlyFromTheUsersFile(t *testing.T) {
	noEnv := func(string) string { return "" }
	dir, root := t.TempDir(), t.TempDir()
	user, key := filepath.Join(dir, "config.toml"), filepath.Join(dir, "key")
	os.WriteFile(key, []byte("sk-test\n"), 0o600)
	s, err := Load(Sources{UserFile: user, Env: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	if s.Sandbox != "auto" || s.SandboxNetwork {
		t.Errorf("defaults: sandbox %q, network %v", s.Sandbox, s.SandboxNetwork)
	}
	os.WriteFile(user, []byte("sandbox = \"required\"\nsandbox_deny_read = [\"~/.vault\", \"/srv/secrets\"]\napi_key_file = \""+key+"\"\n"), 0o600)
	// The repository asks for the network and for no sandbox: neither applies.
	os.WriteFile(filepath.Join(root, ".wend.toml"), []byte("sandbox = \"off\"\nsandbox_network = true\nsandbox_deny_read = []\n"), 0o644)
	s, err = Load(Sources{UserFile: user, RepoRoot: root, TrustFile: filepath.Join(dir, "trusted.toml"), Env: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	if s.Sandbox != "required" || s.SandboxNetwork || !reflect.DeepEqual(s.SandboxDenyRead, []string{"~/.vault", "/srv/secrets"}) {
		t.Errorf("sandbox %q, network %v, deny %v", s.Sandbox, s.SandboxNetwork, s.SandboxDenyRead)
	}
	if !reflect.DeepEqual(s.SecretFiles, []string{key}) {
		t.Errorf("SecretFiles %v, want the api_key_file", s.SecretFiles)
	}
	os.WriteFile(user, []byte("sandbox = \"maybe\"\n"), 0o600)
	if _, err := Load(Sources{UserFile: user, Env: noEnv}); err == nil || !strings.Contains(err.Error(), `sandbox must be "auto", "required" or "off"`) {
		t.Errorf("a bad sandbox value: %v", err)
	}
	os.WriteFile(user, []byte("sandbox_deny_read = [\"relative/path\"]\n"), 0o600)
	if _, err := Load(Sources{UserFile: user, Env: noEnv}); err == nil || !strings.Contains(err.Error(), "must be an absolute path") {
		t.Errorf("a relative deny path: %v", err)
	}
}
