//go:build linux

package sandbox

import (
	"bufio"
	"bytes"
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
)

// TestMain makes the test binary its own sandbox init (Sandbox.InitPath) and
// gives it two helper modes the sandboxed scripts and tests call:
//
//	__dial ADDR           exit 0 when a TCP connection to ADDR succeeds
//	__loopback            listen on 127.0.0.1 and dial it; exit 0 when it works
//	__parent ROOT SCRIPT  start SCRIPT (sandboxed unless ROOT is "-bare"),
//	                      print "ready" once the command said so, then wait
func TestMain(m *testing.M) {
	Main()
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "__dial":
			c, err := net.DialTimeout("tcp", os.Args[2], 5*time.Second)
			if err != nil {
				fmt.Println("dial:", err)
				os.Exit(1)
			}
			c.Close()
			os.Exit(0)
		case "__loopback":
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				fmt.Println("listen:", err)
				os.Exit(1)
			}
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				fmt.Println("dial:", err)
				os.Exit(1)
			}
			c.Close()
			os.Exit(0)
		case "__parent":
			os.Exit(parentMode(os.Args[2], os.Args[3]))
		}
	}
	os.Exit(m.Run())
}

// parentMode plays wend for TestParentDeathKillsTheSandbox: it starts a
// command and blocks, so the test can SIGKILL it mid-command.
func parentMode(root, script string) int {
	exe, _ := os.Executable()
	pr, pw, _ := os.Pipe()
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir, cmd.Stdout, cmd.Stderr = root, pw, os.Stderr
	if root == "-bare" {
		cmd.Dir = "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			fmt.Println("start:", err)
			return 1
		}
	} else {
		sb := &Sandbox{InitPath: exe}
		if _, err := sb.Start(cmd, Options{Root: root}); err != nil {
			fmt.Println("start:", err)
			return 1
		}
	}
	pw.Close()
	line, _ := bufio.NewReader(pr).ReadString('\n')
	fmt.Print(line) // "ready\n"
	_ = cmd.Wait()
	return 0
}

// testSandbox is a Sandbox whose init is this test binary, with a fake home.
func testSandbox(t *testing.T) (sb *Sandbox, home string) {
	t.Helper()
	home = t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("XDG_STATE_HOME", "")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &Sandbox{InitPath: exe}, home
}

// newRoot is a directory laid out like a repository (a .git with config and hooks).
func newRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{".git/hooks", "src"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, ".git/config"), []byte("[core]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// run runs script with sh in root, sandboxed by sb or, when sb is nil, bare:
// the bare run is the control that shows each attack works without the sandbox.
func run(t *testing.T, sb *Sandbox, root, script string, opt Options) (string, int) {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir, cmd.Stdout, cmd.Stderr = root, &out, &out
	cmd.Env = append(os.Environ(), "TESTBIN="+os.Args[0])
	if sb == nil {
		if err := cmd.Run(); err != nil && cmd.ProcessState == nil {
			t.Fatal(err)
		}
		return out.String(), cmd.ProcessState.ExitCode()
	}
	opt.Root = root
	cleanup, err := sb.Start(cmd, opt)
	if errors.Is(err, ErrUnavailable) {
		t.Skipf("this kernel cannot build the sandbox (user, mount, pid and net namespaces): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	cleanup()
	return out.String(), cmd.ProcessState.ExitCode()
}

func TestDeniedPathsAreHidden(t *testing.T) {
	sb, home := testSandbox(t)
	root := newRoot(t)
	secrets := t.TempDir()
	writeFile(t, filepath.Join(home, ".ssh/id_ed25519"), "SSH-KEY-SECRET")
	writeFile(t, filepath.Join(home, ".config/wend/config.toml"), "WEND-CONFIG-SECRET")
	writeFile(t, filepath.Join(secrets, "gitlab-token"), "TOKEN-FILE-SECRET")
	sb.DenyRead = []string{filepath.Join(secrets, "gitlab-token")}
	script := `cat ~/.ssh/id_ed25519 ~/.config/wend/config.toml ` + filepath.Join(secrets, "gitlab-token") + `; ls -a ~/.ssh`

	bare, _ := run(t, nil, root, script, Options{})
	for _, s := range []string{"SSH-KEY-SECRET", "WEND-CONFIG-SECRET", "TOKEN-FILE-SECRET"} {
		if !strings.Contains(bare, s) {
			t.Fatalf("control: the unsandboxed command did not read %s:\n%s", s, bare)
		}
	}
	out, _ := run(t, sb, root, script, Options{})
	for _, s := range []string{"SSH-KEY-SECRET", "WEND-CONFIG-SECRET", "TOKEN-FILE-SECRET", "\nid_ed25519\n"} {
		if strings.Contains(out, s) {
			t.Errorf("the sandboxed command read %s:\n%s", s, out)
		}
	}
	// Hidden, not destroyed: the files are intact outside.
	if b, _ := os.ReadFile(filepath.Join(home, ".ssh/id_ed25519")); string(b) != "SSH-KEY-SECRET" {
		t.Errorf("the key changed outside the sandbox: %q", b)
	}
}

func TestWritesOnlyInTheRootAndTmpdir(t *testing.T) {
	sb, home := testSandbox(t)
	root := newRoot(t)
	outside := t.TempDir()
	script := fmt.Sprintf(`touch %[1]s/outside-x; echo escaped >> %[2]s/.profile; echo '[alias]' >> .git/config; touch .git/hooks/pre-commit
touch src/inside && echo inside-ok; touch "$TMPDIR/t" && echo tmp-ok; case "$TMPDIR" in %[3]s*) echo tmpdir-private;; esac`, outside, home, os.TempDir()+"/wend-cmd-")

	bare, _ := run(t, nil, root, script, Options{})
	if _, err := os.Stat(filepath.Join(outside, "outside-x")); err != nil {
		t.Fatalf("control: the unsandboxed command could not write outside: %v\n%s", err, bare)
	}
	os.Remove(filepath.Join(outside, "outside-x"))
	os.Remove(filepath.Join(home, ".profile"))
	os.Remove(filepath.Join(root, ".git/hooks/pre-commit"))
	writeFile(t, filepath.Join(root, ".git/config"), "[core]\n")
	os.Remove(filepath.Join(root, "src/inside"))

	out, _ := run(t, sb, root, script, Options{})
	for _, p := range []string{filepath.Join(outside, "outside-x"), filepath.Join(home, ".profile"), filepath.Join(root, ".git/hooks/pre-commit")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("the sandboxed command wrote %s:\n%s", p, out)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(root, ".git/config")); string(b) != "[core]\n" {
		t.Errorf("the sandboxed command changed .git/config (git would run what it says outside): %q", b)
	}
	for _, want := range []string{"inside-ok", "tmp-ok", "tmpdir-private"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q: writing in the repository and $TMPDIR must work:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "src/inside")); err != nil {
		t.Errorf("the write in the repository did not reach it: %v", err)
	}
}

func TestNetworkIsOffButLoopbackWorks(t *testing.T) {
	sb, _ := testSandbox(t)
	root := newRoot(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	script := `"$TESTBIN" __dial ` + ln.Addr().String() + ` && echo CONNECTED; "$TESTBIN" __loopback && echo LOOPBACK-OK`

	if bare, _ := run(t, nil, root, script, Options{}); !strings.Contains(bare, "CONNECTED") {
		t.Fatalf("control: the unsandboxed command could not connect:\n%s", bare)
	}
	out, _ := run(t, sb, root, script, Options{})
	if strings.Contains(out, "CONNECTED") {
		t.Errorf("the sandboxed command reached a listener on the host:\n%s", out)
	}
	if !strings.Contains(out, "LOOPBACK-OK") {
		t.Errorf("loopback inside the sandbox does not work:\n%s", out)
	}
	// An approval can grant the network for one command.
	if out, _ := run(t, sb, root, script, Options{Network: true}); !strings.Contains(out, "CONNECTED") {
		t.Errorf("with Network granted the command could not connect:\n%s", out)
	}
}

func TestProcShowsOnlyTheSandbox(t *testing.T) {
	sb, _ := testSandbox(t)
	root := newRoot(t)
	script := fmt.Sprintf(`cat /proc/%d/environ >/dev/null && echo READ-WEND-ENVIRON; echo "ppid=$PPID"; cat /proc/$PPID/environ | tr '\0' '\n' | grep -c . ; ls /proc | grep -c '^[0-9]'`, os.Getpid())

	if bare, _ := run(t, nil, root, script, Options{}); !strings.Contains(bare, "READ-WEND-ENVIRON") {
		t.Fatalf("control: the unsandboxed command could not read the test process's environ:\n%s", bare)
	}
	out, _ := run(t, sb, root, script, Options{})
	if strings.Contains(out, "READ-WEND-ENVIRON") {
		t.Errorf("the sandboxed command read its host parent's environment:\n%s", out)
	}
	if !strings.Contains(out, "ppid=1\n") {
		t.Errorf("the command's parent should be the sandbox init (pid 1):\n%s", out)
	}
}

func TestSetsidDaemonDiesWithTheCommand(t *testing.T) {
	sb, _ := testSandbox(t)
	root := newRoot(t)
	marker := fmt.Sprintf("wend-daemon-%d-%d", os.Getpid(), time.Now().UnixNano())
	script := `setsid sh -c 'echo up > daemon-ready; sleep 100; echo ` + marker + `' >/dev/null 2>&1 &
while [ ! -f daemon-ready ]; do :; done; echo started`

	out, _ := run(t, nil, root, script, Options{})
	if pids := processesWith(marker); len(pids) == 0 {
		t.Fatalf("control: the unsandboxed daemon did not outlive its command:\n%s", out)
	} else {
		killAll(pids)
	}
	os.Remove(filepath.Join(root, "daemon-ready"))
	out, _ = run(t, sb, root, script, Options{})
	if !strings.Contains(out, "started") {
		t.Fatalf("the daemon did not start:\n%s", out)
	}
	if pids := processesWith(marker); len(pids) > 0 {
		killAll(pids)
		t.Errorf("the setsid daemon outlived the sandboxed command: %v", pids)
	}
}

func TestParentDeathKillsTheSandbox(t *testing.T) {
	testSandbox(t)
	root := newRoot(t)
	for _, tc := range []struct {
		name, root string
		survives   bool
	}{{"control-unsandboxed", "-bare", true}, {"sandboxed", root, false}} {
		t.Run(tc.name, func(t *testing.T) {
			marker := fmt.Sprintf("wend-orphan-%d-%d", os.Getpid(), time.Now().UnixNano())
			script := `sh -c 'sleep 100; echo ` + marker + `' & sleep 100 & echo ready; wait`
			parent := exec.Command(os.Args[0], "__parent", tc.root, script)
			stdout, _ := parent.StdoutPipe()
			parent.Stderr = os.Stderr
			if err := parent.Start(); err != nil {
				t.Fatal(err)
			}
			line, _ := bufio.NewReader(stdout).ReadString('\n')
			if strings.HasPrefix(line, "start:") && strings.Contains(line, "namespaces") {
				t.Skipf("this kernel cannot build the sandbox: %s", line)
			}
			if line != "ready\n" {
				t.Fatalf("the parent said %q", line)
			}
			if len(processesWith(marker)) == 0 {
				t.Fatal("the command is not running")
			}
			_ = parent.Process.Kill() // wend dies without a chance to clean up
			_ = parent.Wait()
			if tc.survives {
				if pids := processesWith(marker); len(pids) == 0 {
					t.Fatal("control: the unsandboxed command died with its parent; the test cannot tell")
				} else {
					killAll(pids)
				}
				return
			}
			// The kernel kills the namespace asynchronously after the parent
			// died: wait for that, with a generous bound for a loaded machine.
			deadline := time.Now().Add(10 * time.Second)
			for len(processesWith(marker)) > 0 {
				if time.Now().After(deadline) {
					pids := processesWith(marker)
					killAll(pids)
					t.Fatalf("processes outlived the killed parent: %v", pids)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

func TestLimitsNamesWhatIsDenied(t *testing.T) {
	sb, _ := testSandbox(t)
	got := sb.Limits()
	for _, want := range []string{"writes only in the repository", "no network", "~/.ssh"} {
		if !strings.Contains(got, want) {
			t.Errorf("Limits() = %q, missing %q", got, want)
		}
	}
	sb.Network = true
	if strings.Contains(sb.Limits(), "no network") {
		t.Errorf("Limits() with the network on: %q", sb.Limits())
	}
}

// processesWith lists the host pids whose command line contains marker
// (zombies have an empty command line and are not counted).
func processesWith(marker string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(b, []byte(marker)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killAll kills the processes and their process groups (the unsandboxed
// controls leave jobs without the marker behind, holding the test's output).
func killAll(pids []int) {
	self := syscall.Getpgrp()
	for _, p := range pids {
		if g, err := syscall.Getpgid(p); err == nil && g != self {
			_ = syscall.Kill(-g, syscall.SIGKILL)
		}
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestProbeReportsNamespaces(t *testing.T) {
	sb, _ := testSandbox(t)
	sup := sb.Probe()
	if sup.Namespaces != nil {
		t.Skipf("no namespaces here: %v", sup.Namespaces)
	}
	if s := sup.String(); !strings.HasPrefix(s, "namespaces ok (user, mount, pid, net); landlock: ") || !strings.Contains(s, "bubblewrap: ") {
		t.Errorf("String() = %q", s)
	}
	broken := &Sandbox{InitPath: filepath.Join(t.TempDir(), "missing")}
	if sup := broken.Probe(); sup.Namespaces == nil || !strings.HasPrefix(sup.String(), "namespaces unavailable: ") {
		t.Errorf("a sandbox that cannot start: %v / %s", sup.Namespaces, sup.String())
	}
}

// BenchmarkCommand measures what the sandbox adds to one short command (the
// re-exec'd init, namespaces and mounts) against running it bare.
func BenchmarkCommand(b *testing.B) {
	exe, _ := os.Executable()
	root := b.TempDir()
	for _, bc := range []struct {
		name string
		sb   *Sandbox
	}{{"bare", nil}, {"sandboxed", &Sandbox{InitPath: exe}}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				cmd := exec.Command("/bin/sh", "-c", "true")
				cmd.Dir = root
				if bc.sb == nil {
					if err := cmd.Run(); err != nil {
						b.Fatal(err)
					}
					continue
				}
				cleanup, err := bc.sb.Start(cmd, Options{Root: root})
				if err != nil {
					b.Skip(err)
				}
				if err := cmd.Wait(); err != nil {
					b.Fatal(err)
				}
				cleanup()
			}
		})
	}
}
