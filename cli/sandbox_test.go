package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/internal/sandbox"
)

// The cli test binary is wend's sandbox init in these tests, as wend's main
// is in the product (commandSandbox starts os.Executable).
func init() { sandbox.Main() }

func TestToolRunCommandIsSandboxedByDefault(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	env := wendEnv(t, nil)
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(home, ".ssh/id_ed25519"), []byte("SSH-KEY-SECRET"), 0o600)
	if err := (&sandbox.Sandbox{}).Available(); err != nil {
		t.Skipf("this kernel cannot sandbox commands: %v", err)
	}
	dir := demoRepo(t)
	outside := t.TempDir()
	_, out, errOut := wend(t, env, "-C", dir, "tool", "run_command", "--args",
		`{"command":"cat ~/.ssh/id_ed25519; touch `+outside+`/x; echo done"}`)
	if strings.Contains(out, "SSH-KEY-SECRET") {
		t.Errorf("wend tool run_command read ~/.ssh:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(outside, "x")); err == nil {
		t.Errorf("wend tool run_command wrote outside the repository:\n%s", out)
	}
	if !strings.Contains(out, "done") {
		t.Errorf("the command did not run: %s %s", out, errOut)
	}
	// sandbox = "off" in the user's own file restores the old behaviour.
	cfg := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "wend", "config.toml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	os.WriteFile(cfg, []byte("sandbox = \"off\"\n"), 0o600)
	_, out, _ = wend(t, env, "-C", dir, "tool", "run_command", "--args", `{"command":"cat ~/.ssh/id_ed25519"}`)
	if !strings.Contains(out, "SSH-KEY-SECRET") {
		t.Errorf("with sandbox = \"off\" the command should run as before:\n%s", out)
	}
}

func TestDoctorReportsTheSandbox(t *testing.T) {
	env := wendEnv(t, nil)
	_, out, _ := wend(t, env, "-C", t.TempDir(), "doctor", "--timeout", "1s")
	if !strings.Contains(out, "sandbox") || !strings.Contains(out, "landlock: ") || !strings.Contains(out, "bubblewrap: ") {
		t.Errorf("doctor does not report the sandbox:\n%s", out)
	}
	// The line says the isolation level, not only which mechanisms exist.
	level := "commands run NOT sandboxed, with all your access"
	if (&sandbox.Sandbox{}).Available() == nil {
		level = "commands run sandboxed: writes only in the repository, $TMPDIR and build caches, no network, no access to ~/.ssh"
	}
	if !strings.Contains(out, level) {
		t.Errorf("doctor does not say %q:\n%s", level, out)
	}
	cfg := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "wend", "config.toml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	os.WriteFile(cfg, []byte("sandbox = \"off\"\n"), 0o600)
	if _, out, _ = wend(t, env, "-C", t.TempDir(), "doctor", "--timeout", "1s"); !strings.Contains(out, "commands run with all your access") {
		t.Errorf("with sandbox = \"off\" doctor does not say commands are not isolated:\n%s", out)
	}
}

// Security finding 9 through the verb: a sandboxed command cannot read wend's
// own secrets wherever the user keeps them: the api_key_file and
// gitlab_token_file named in the config (outside ~/.config/wend here), the
// user's config, the trust store and the audit log. The command reverses what
// it reads, so redaction cannot be what hides a value.
func TestSandboxedCommandCannotReadWendsKeyFiles(t *testing.T) {
	if err := (&sandbox.Sandbox{}).Available(); err != nil {
		t.Skipf("this kernel cannot sandbox commands: %v", err)
	}
	env := wendEnv(t, nil)
	keys := t.TempDir()
	keyFile, tokenFile := filepath.Join(keys, "openai.key"), filepath.Join(keys, "gitlab.token")
	const keyValue, tokenValue = "plain-key-file-value-Rt61Qp", "plain-token-file-value-Jd40Wn"
	os.WriteFile(keyFile, []byte(keyValue+"\n"), 0o600)
	os.WriteFile(tokenFile, []byte(tokenValue+"\n"), 0o600)
	userCfg := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "wend", "config.toml")
	os.MkdirAll(filepath.Dir(userCfg), 0o700)
	os.WriteFile(userCfg, []byte("# user-config-marker-Lk27\nprovider = \"openai\"\napi_key_file = \""+keyFile+
		"\"\ngitlab_token_file = \""+tokenFile+"\"\n"), 0o600)
	auditLog := filepath.Join(os.Getenv("XDG_STATE_HOME"), "wend", "audit.jsonl")
	os.MkdirAll(filepath.Dir(auditLog), 0o700)
	os.WriteFile(auditLog, []byte("{\"marker\":\"audit-marker-Gh93\"}\n"), 0o600)
	dir := demoRepo(t)
	read := []string{keyFile, tokenFile, userCfg, auditLog}
	cmd := "for f in " + strings.Join(read, " ") + "; do cat $f || ls $f; done 2>&1 | rev; echo done"
	args, _ := json.Marshal(map[string]string{"command": cmd})
	_, out, errOut := wend(t, env, "-C", dir, "tool", "run_command", "--args", string(args))
	if !strings.Contains(out, "done") {
		t.Fatalf("the command did not run:\n%s%s", out, errOut)
	}
	for _, secret := range []string{keyValue, tokenValue, "user-config-marker-Lk27", "audit-marker-Gh93"} {
		if strings.Contains(out, reverse(secret)) {
			t.Errorf("a sandboxed command read %q:\n%s", secret, out)
		}
	}
}
