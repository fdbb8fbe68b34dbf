package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path, body string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestPrecedenceAndOrigins(t *testing.T) {
	dir := t.TempDir()
	user := filepath.Join(dir, "user.toml")
	repo := filepath.Join(dir, "repo")
	write(t, user, "provider = \"anthropic\"\nmodel = \"from-user\"\napproval = \"auto-edit\"\n", 0o644)
	write(t, filepath.Join(repo, ".wend.toml"), "# repo settings\nmodel = \"from-repo\"\nbase_url = \"http://127.0.0.1:1/v1\"\n", 0o644)
	s, err := Load(Sources{
		UserFile: user, RepoRoot: repo,
		Env:   envOf(map[string]string{"WEND_BASE_URL": "http://127.0.0.1:2/v1", "ANTHROPIC_API_KEY": "sk-ant-secret"}),
		Flags: map[string]string{"approval": "full-auto"},
	})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ got, want, origin, wantOrigin string }{
		{s.Provider, "anthropic", s.Origin["provider"], user + ":1"},
		{s.Model, "from-repo", s.Origin["model"], filepath.Join(repo, ".wend.toml") + ":2"},
		{s.BaseURL, "http://127.0.0.1:2/v1", s.Origin["base_url"], "env WEND_BASE_URL"},
		{s.Approval, "full-auto", s.Origin["approval"], "flag --approval"},
		{s.APIKey, "sk-ant-secret", s.Origin["api_key"], "env ANTHROPIC_API_KEY"},
	}
	for _, c := range checks {
		if c.got != c.want || c.origin != c.wantOrigin {
			t.Errorf("got %q from %q, want %q from %q", c.got, c.origin, c.want, c.wantOrigin)
		}
	}
	for _, row := range s.Rows() {
		if strings.Contains(row[1], "sk-ant-secret") {
			t.Fatalf("secret printed in row %v", row)
		}
	}
}

func TestUnknownKeyNamesFileAndLine(t *testing.T) {
	dir := t.TempDir()
	user := filepath.Join(dir, "c.toml")
	write(t, user, "model = \"m\"\n\nmodle = \"typo\"\n", 0o644)
	_, err := Load(Sources{UserFile: user, Env: envOf(nil)})
	if err == nil || !strings.Contains(err.Error(), user+":3") || !strings.Contains(err.Error(), `"modle"`) {
		t.Fatalf("want an error naming %s:3 and the key, got %v", user, err)
	}
}

func TestWrongTypeNamesLine(t *testing.T) {
	dir := t.TempDir()
	user := filepath.Join(dir, "c.toml")
	write(t, user, "max_turns = \"many\"\n", 0o644)
	_, err := Load(Sources{UserFile: user, Env: envOf(nil)})
	if err == nil || !strings.Contains(err.Error(), user+":1") {
		t.Fatalf("want an error naming %s:1, got %v", user, err)
	}
}

func TestSecretFileMustBePrivate(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	write(t, key, "sk-123\n", 0o644)
	user := filepath.Join(dir, "c.toml")
	write(t, user, "provider = \"openai\"\napi_key_file = \""+key+"\"\n", 0o644)
	_, err := Load(Sources{UserFile: user, Env: envOf(nil)})
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("want a chmod hint, got %v", err)
	}
	if err := os.Chmod(key, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load(Sources{UserFile: user, Env: envOf(nil)})
	if err != nil || s.APIKey != "sk-123" {
		t.Fatalf("key from a private file: %v %q", err, s.APIKey)
	}
}

func TestExplicitConfigMustExist(t *testing.T) {
	_, err := Load(Sources{Explicit: filepath.Join(t.TempDir(), "missing.toml"), Env: envOf(nil)})
	if err == nil {
		t.Fatal("a missing --config file must be an error")
	}
}

func TestProviderInferredFromKey(t *testing.T) {
	s, err := Load(Sources{UserFile: filepath.Join(t.TempDir(), "none"), Env: envOf(map[string]string{"OPENAI_API_KEY": "k"})})
	if err != nil || s.Provider != "openai" || s.APIKey != "k" {
		t.Fatalf("got %+v, %v", s, err)
	}
}
