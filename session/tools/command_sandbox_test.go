//go:build linux

package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gitlab.com/wend/wend/internal/sandbox"
)

// The test binary is the sandbox init of these tests (Sandbox.InitPath) and
// has two helper modes, dispatched before the tests run:
//
//	__dial ADDR                 exit 0 when a TCP connection to ADDR succeeds
//	__wend ROOT COMMAND         play wend: run_command COMMAND sandboxed in
//	                            ROOT and print its output
func init() {
	sandbox.Main()
	if len(os.Args) < 3 {
		return
	}
	switch os.Args[1] {
	case "__dial":
		c, err := net.DialTimeout("tcp", os.Args[2], 5*time.Second)
		if err != nil {
			fmt.Println("dial:", err)
			os.Exit(1)
		}
		c.Close()
		os.Exit(0)
	case "__wend":
		reg, err := New(Config{Root: os.Args[2], Sandbox: &sandbox.Sandbox{InitPath: os.Args[0]}})
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		args, _ := json.Marshal(obj{"command": os.Args[3]})
		res := reg.Execute(context.Background(), Call{Name: ToolRunCommand, Args: args})
		fmt.Println(res.Output)
		os.Exit(0)
	}
}

// sandboxed configures the fixture's registry with a sandbox whose init is
// this test binary, in a fake home, and skips where the kernel cannot build
// one.
func sandboxed(t *testing.T, deny ...string) (opt func(*Config), home string) {
	t.Helper()
	home = t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("XDG_STATE_HOME", "")
	sb := &sandbox.Sandbox{InitPath: os.Args[0], DenyRead: deny}
	if err := sb.Available(); err != nil {
		t.Skipf("this kernel cannot sandbox commands (user, mount, pid and net namespaces): %v", err)
	}
	return func(c *Config) {
		c.Sandbox = sb
		c.Env = append(c.Env, "TESTBIN="+os.Args[0])
	}, home
}

func TestRunCommandCannotReadDeniedSecrets(t *testing.T) {
	secrets := t.TempDir()
	token := filepath.Join(secrets, "gitlab-token")
	opt, home := sandboxed(t, token)
	writeSecret(t, filepath.Join(home, ".ssh/id_ed25519"), "SSH-KEY-SECRET")
	writeSecret(t, filepath.Join(home, ".config/wend/config.toml"), "api_key_file = 'x' # WEND-CONFIG")
	writeSecret(t, token, "glpat-TOKEN-FILE-SECRET")
	f := newFixture(t, nil, opt)
	res := f.call(ToolRunCommand, obj{"command": "cat ~/.ssh/id_ed25519 ~/.config/wend/config.toml " + token})
	for _, s := range []string{"SSH-KEY-SECRET", "WEND-CONFIG", "TOKEN-FILE-SECRET"} {
		if strings.Contains(res.Output, s) {
			t.Errorf("run_command read %s:\n%s", s, res.Output)
		}
	}
}

func TestRunCommandWritesOnlyInTheRepositoryAndTmpdir(t *testing.T) {
	opt, _ := sandboxed(t)
	outside := t.TempDir()
	f := newFixture(t, map[string]string{"a.txt": "a\n"}, opt)
	res := f.call(ToolRunCommand, obj{"command": "touch " + outside + "/outside-x; echo gen > gen.txt && echo repo-ok; echo t > \"$TMPDIR/t\" && echo tmp-ok"})
	if _, err := os.Stat(filepath.Join(outside, "outside-x")); err == nil {
		t.Errorf("run_command wrote outside the repository:\n%s", res.Output)
	}
	if !strings.Contains(res.Output, "repo-ok") || !strings.Contains(res.Output, "tmp-ok") || f.read("gen.txt") != "gen\n" {
		t.Errorf("writing in the repository and in $TMPDIR must work:\n%s", res.Output)
	}
}

func TestRunCommandHasNoNetwork(t *testing.T) {
	opt, _ := sandboxed(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- struct{}{}
			c.Close()
		}
	}()
	f := newFixture(t, nil, opt)
	res := f.call(ToolRunCommand, obj{"command": `"$TESTBIN" __dial ` + ln.Addr().String() + ` && echo CONNECTED`})
	select {
	case <-accepted:
		t.Errorf("run_command connected to a listener outside the sandbox:\n%s", res.Output)
	default:
	}
	if strings.Contains(res.Output, "CONNECTED") {
		t.Errorf("run_command connected:\n%s", res.Output)
	}
}

// The command's parent is wend: with the old code `cat /proc/$PPID/environ`
// showed wend's whole initial environment, credentials included (wend scrubs
// its own secrets there too, internal/procenv; the sandbox is a second wall).
func TestRunCommandCannotReadWendsEnvironment(t *testing.T) {
	if _, home := sandboxed(t); home == "" {
		t.Fatal("no home")
	}
	dir := newGitRepo(t, nil)
	wend := exec.Command(os.Args[0], "__wend", dir, `cat /proc/$PPID/environ; cat /proc/[0-9]*/environ`)
	// GITLAB_TOKEN is stripped from the command's own environment; only
	// wend's process still has it.
	wend.Env = append(os.Environ(), "GITLAB_TOKEN=parent-secret-value")
	out, err := wend.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if bytes.Contains(out, []byte("parent-secret-value")) {
		t.Errorf("run_command read wend's environment through /proc:\n%s", out)
	}
}

func TestRunCommandSetsidDaemonIsDeadWhenItReturns(t *testing.T) {
	opt, _ := sandboxed(t)
	f := newFixture(t, nil, opt)
	marker := fmt.Sprintf("wend-daemon-%d-%d", os.Getpid(), time.Now().UnixNano())
	res := f.call(ToolRunCommand, obj{"command": `setsid sh -c 'echo up > daemon-ready; sleep 100; echo ` + marker + `' >/dev/null 2>&1 &
while [ ! -f daemon-ready ]; do :; done; echo started`})
	if !strings.Contains(res.Output, "started") {
		t.Fatalf("the daemon did not start:\n%s", res.Output)
	}
	if pids := processesWith(marker); len(pids) > 0 {
		killPIDs(pids)
		t.Errorf("a setsid daemon outlived run_command: pids %v", pids)
	}
}

func TestRunCommandDiesWithWend(t *testing.T) {
	if _, home := sandboxed(t); home == "" {
		t.Fatal("no home")
	}
	dir := newGitRepo(t, nil)
	marker := fmt.Sprintf("wend-orphan-%d-%d", os.Getpid(), time.Now().UnixNano())
	wend := exec.Command(os.Args[0], "__wend", dir, `sh -c 'sleep 100; echo `+marker+`' & setsid sh -c 'sleep 100; echo `+marker+`' & echo > .git/running; wait`)
	if err := wend.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for the command to run: it writes "running" in the real .git (its
	// writes to the tree are captured until it ends).
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, ".git", "running")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = wend.Process.Kill()
			t.Fatal("the command never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(processesWith(marker)) == 0 {
		t.Fatal("the command's processes are not running")
	}
	_ = wend.Process.Kill() // SIGKILL: wend gets no chance to clean up
	_ = wend.Wait()
	// The kernel kills the sandbox asynchronously once wend is gone.
	deadline = time.Now().Add(10 * time.Second)
	for len(processesWith(marker)) > 0 {
		if time.Now().After(deadline) {
			pids := processesWith(marker)
			killPIDs(pids)
			t.Fatalf("processes outlived the killed wend: %v", pids)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRunCommandSandboxedKeepsExitCodesTimeoutsAndOutputCap(t *testing.T) {
	opt, _ := sandboxed(t)
	f := newFixture(t, nil, opt, func(c *Config) { c.MaxOutputBytes = 2000 })
	f.mustFail(ToolRunCommand, obj{"command": "echo failing; exit 3"}, "failing\n", "Exit code: 3")
	res := f.mustOK(ToolRunCommand, obj{"command": "seq 1 100000"})
	if !strings.HasPrefix(res.Output, "1\n2\n") || !strings.HasSuffix(res.Output, "100000\nExit code: 0") || len(res.Output) > 2100 {
		t.Errorf("output cap under the sandbox:\n%s", res.Output)
	}
	marker := fmt.Sprintf("wend-timeout-%d-%d", os.Getpid(), time.Now().UnixNano())
	f.mustFail(ToolRunCommand, obj{"command": "sh -c 'sleep 30; echo " + marker + "' & echo started; echo kept > timed.txt; wait", "timeout_seconds": 1},
		"started\n", "timed out after 1s")
	if pids := processesWith(marker); len(pids) > 0 {
		killPIDs(pids)
		t.Errorf("a timed-out command's child survived: %v", pids)
	}
	// Captured commands need no snapshot; what a timed-out one wrote still
	// reaches the tree (capture.go).
	if f.ws.afterCalls != 0 || f.reg.capture.Load() != captureWorks {
		t.Errorf("AfterCommand ran %d times for 3 captured commands (capture state %d)", f.ws.afterCalls, f.reg.capture.Load())
	}
	if got := f.read("timed.txt"); got != "kept\n" {
		t.Errorf("the timed-out command's write: timed.txt = %q", got)
	}
}

// Where the sandbox cannot be built, a command runs unsandboxed with a
// notice the first time, and approvals say so; with Required it does not run.
func TestRunCommandWithoutASandboxSaysSo(t *testing.T) {
	broken := &sandbox.Sandbox{InitPath: filepath.Join(t.TempDir(), "no-such-wend")}
	f := newFixture(t, nil, func(c *Config) { c.Sandbox = broken })
	res := f.mustOK(ToolRunCommand, obj{"command": "echo ran"})
	if !strings.Contains(res.Output, "NOT sandboxed") || !strings.Contains(res.Output, "ran\n") {
		t.Errorf("first unsandboxed command:\n%s", res.Output)
	}
	if res := f.mustOK(ToolRunCommand, obj{"command": "echo again"}); strings.Contains(res.Output, "NOT sandboxed") {
		t.Errorf("the notice is repeated:\n%s", res.Output)
	}
	if iso := f.reg.CommandIsolation(); !strings.Contains(iso, "NOT sandboxed") {
		t.Errorf("CommandIsolation() = %q", iso)
	}

	strict := &sandbox.Sandbox{InitPath: broken.InitPath, Required: true}
	g := newFixture(t, nil, func(c *Config) { c.Sandbox = strict })
	g.mustFail(ToolRunCommand, obj{"command": "echo ran > ran.txt"}, "requires")
	if _, err := os.Stat(filepath.Join(g.dir, "ran.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the command ran without the sandbox it requires")
	}
}

func TestCommandIsolationNamesTheLimits(t *testing.T) {
	opt, _ := sandboxed(t)
	f := newFixture(t, nil, opt)
	iso := f.reg.CommandIsolation()
	detail := f.reg.Describe(Call{Name: ToolRunCommand, Args: json.RawMessage(`{"command":"make test"}`)}).Detail
	for _, want := range []string{"runs sandboxed", "writes only in the repository", "no network", "~/.ssh", "~/.config/wend"} {
		if !strings.Contains(iso, want) {
			t.Errorf("CommandIsolation() = %q, missing %q", iso, want)
		}
		if !strings.Contains(detail, want) {
			t.Errorf("the approval request %q does not say %q", detail, want)
		}
	}
}

// processesWith lists host pids whose command line contains marker.
func processesWith(marker string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); err == nil && bytes.Contains(b, []byte(marker)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func killPIDs(pids []int) {
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}

func writeSecret(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
