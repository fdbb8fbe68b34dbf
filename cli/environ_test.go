package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Security finding 4, through the real binary: a command the agent runs reads
// wend's initial environment through /proc/$PPID/environ (and its own). With
// sandbox = "off" the shell's parent is wend itself, so only wend's scrub at
// start keeps the credentials out: the command reverses what it reads, which
// redaction cannot recognise, so a value that got through would show here.
func TestCommandCannotReadWendsCredentialsFromItsEnvironment(t *testing.T) {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("no /proc")
	}
	bin := wendBinary(t)
	secrets := map[string]string{
		"OPENAI_API_KEY":    "plain-openai-value-Kq83Ld02",
		"ANTHROPIC_API_KEY": "plain-anthropic-value-Wz55Tb19",
		"GITLAB_TOKEN":      "plain-gitlab-value-Hr27Mx64",
	}
	home := t.TempDir()
	cfgDir := filepath.Join(home, "config", "wend")
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "config.toml"), []byte("sandbox = \"off\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := demoRepo(t)
	cmd := exec.Command(bin, "-C", dir, "tool", "run_command", "--args",
		`{"command":"echo PARENT $(cat /proc/$PPID/comm); tr '\\000' '\\n' < /proc/$PPID/environ | rev; echo ---; env | rev"}`)
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"XDG_STATE_HOME=" + filepath.Join(home, "state"), "WEND_ENVIRON_MARKER=here"}
	for k, v := range secrets {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("wend tool run_command: %v\n%s%s", err, out.String(), errOut.String())
	}
	got := out.String()
	// Proof the command read wend's own environment block, twice (the /proc
	// file and the inherited environment).
	if !strings.Contains(got, "PARENT wend") || strings.Count(got, reverse("WEND_ENVIRON_MARKER=here")) != 2 {
		t.Fatalf("the command did not read wend's environment:\n%s%s", got, errOut.String())
	}
	for name, v := range secrets {
		if strings.Contains(got, reverse(v)) || strings.Contains(got, v) {
			t.Errorf("the command read %s's value from wend's environment:\n%s", name, got)
		}
	}
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}
