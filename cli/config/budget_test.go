package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/internal/gittest"
)

// TestOutputBudgetIsConfigurableAndShown: max_tokens and thinking_budget are
// read, validated and shown by wend config with the per-model default.
func TestOutputBudgetIsConfigurableAndShown(t *testing.T) {
	noEnv := func(string) string { return "" }
	user := filepath.Join(t.TempDir(), "config.toml")
	write(t, user, "provider = \"anthropic\"\nmodel = \"claude-sonnet-4-5\"\n", 0o600)
	s, err := Load(Sources{UserFile: user, Env: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][3]string{}
	for _, r := range s.Rows() {
		rows[r[0]] = r
	}
	if s.MaxTokens != 0 || rows["max_tokens"][1] != "32000" || !strings.Contains(rows["max_tokens"][2], "claude-sonnet-4-5") {
		t.Errorf("default max_tokens %d, shown %q", s.MaxTokens, rows["max_tokens"])
	}
	if rows["thinking_budget"][1] != "0 (off)" {
		t.Errorf("thinking_budget shown %q", rows["thinking_budget"])
	}
	write(t, user, "provider = \"anthropic\"\nmax_tokens = 16000\nthinking_budget = 4000\n", 0o600)
	if s, err = Load(Sources{UserFile: user, Env: noEnv}); err != nil {
		t.Fatal(err)
	}
	if s.MaxTokens != 16000 || s.ThinkingBudget != 4000 {
		t.Errorf("configured %d %d", s.MaxTokens, s.ThinkingBudget)
	}
	for _, r := range s.Rows() {
		if r[0] == "max_tokens" && (r[1] != "16000" || r[2] != user+":2") {
			t.Errorf("wend config shows %q", r)
		}
	}
	for _, bad := range []string{"max_tokens = 0", "thinking_budget = 500", "thinking_budget = -1"} {
		write(t, user, bad+"\n", 0o600)
		if _, err := Load(Sources{UserFile: user, Env: noEnv}); err == nil || !strings.Contains(err.Error(), user+":1:") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// TestRepositoryMayOnlyLowerTheOutputBudget: an untrusted repository spends
// the user's money; it may ask for less, never more.
func TestRepositoryMayOnlyLowerTheOutputBudget(t *testing.T) {
	home := t.TempDir()
	user, trust := filepath.Join(home, "config.toml"), filepath.Join(home, "trusted.toml")
	write(t, user, "provider = \"anthropic\"\nmodel = \"claude-opus-4-1\"\nthinking_budget = 8000\n", 0o600)
	root := gittest.NewRepo(t, map[string]string{"main.go": "package main\n"})
	load := func(repo string) *Settings {
		t.Helper()
		if err := os.WriteFile(filepath.Join(root, ".wend.toml"), []byte(repo), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Load(Sources{UserFile: user, RepoRoot: root, TrustFile: trust, Env: envOf(nil)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := load("max_tokens = 4000\nthinking_budget = 2000\n")
	if s.MaxTokens != 4000 || s.ThinkingBudget != 2000 || len(s.Repo.Ignored) != 0 {
		t.Errorf("lowering: %d %d, ignored %v", s.MaxTokens, s.ThinkingBudget, ignoredKeys(s))
	}
	// 64000 is above the 32000 claude-opus-4-1 gets by default.
	s = load("max_tokens = 64000\nthinking_budget = 30000\n")
	if s.MaxTokens != 0 || s.ThinkingBudget != 8000 || strings.Join(ignoredKeys(s), ",") != "max_tokens,thinking_budget" {
		t.Errorf("raising: %d %d, ignored %v", s.MaxTokens, s.ThinkingBudget, ignoredKeys(s))
	}
}
