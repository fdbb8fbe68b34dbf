package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gitlab.com/wend/wend/internal/sandbox"
	"gitlab.com/wend/wend/remote/llm/llmtest"
)

// TestHangupEndsTheRunningCommand: a headless wend whose agent runs a command
// that never ends (it appends to a file every 10 ms) gets SIGHUP, as when its
// terminal closes. Once wend has exited, the file must stop growing and no
// process of the command may remain, sandboxed (the namespace dies with its
// init) and with sandbox = "off" (the command's process group).
func TestHangupEndsTheRunningCommand(t *testing.T) {
	for _, mode := range []string{"sandboxed", "off"} {
		t.Run(mode, func(t *testing.T) {
			skipUnlessSandboxed(t, mode)
			dir := demoRepo(t)
			wendEnv(t, nil) // a private XDG config and state, inherited by the child
			marker, ticks, srv := appendingForever(t, mode, dir, os.Getenv("XDG_CONFIG_HOME"))
			c := startWendRun(t, "-C", dir, "run", "--provider", "openai", "--base-url", srv.URL, "--model", "m",
				"--approval", "full-auto", "keep appending")

			// The command runs: the file grows.
			first := waitFor(t, c, "the command to start appending", func() (int64, bool) {
				n := fileSize(ticks)
				return n, n > 0
			})
			waitFor(t, c, "the file to keep growing", func() (int64, bool) {
				n := fileSize(ticks)
				return n, n > first
			})
			c.cmd.Process.Signal(syscall.SIGHUP)
			select {
			case <-c.exited:
			case <-time.After(30 * time.Second):
				t.Fatal("wend did not exit within 30 s of SIGHUP")
			}
			// The one bounded wait of this test: nothing signals "nothing
			// appends any more", so the size is read 20 times, one
			// command cadence (10 ms) apart, and must not change.
			size := fileSize(ticks)
			for i := range 20 {
				time.Sleep(10 * time.Millisecond)
				if n := fileSize(ticks); n != size {
					killPIDs(processesWith(marker))
					t.Fatalf("after wend exited the file still grows: %d bytes, then %d at poll %d", size, n, i+1)
				}
			}
			if pids := processesWith(marker); len(pids) > 0 {
				killPIDs(pids)
				t.Fatalf("processes of the command outlived wend after SIGHUP: %v", pids)
			}
		})
	}
}

// startWendRun runs wend with args in a child process (TestWendChildProcess).
func startWendRun(t *testing.T, args ...string) *child {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestWendChildProcess$")
	cmd.Env = append(os.Environ(), "WEND_CHILD_ARGS="+string(raw), "OPENAI_API_KEY=k")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, exited: make(chan struct{})}
	go func() { c.err = cmd.Wait(); close(c.exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-c.exited
		if t.Failed() {
			t.Logf("child stderr: %s", stderr.String())
		}
	})
	return c
}

// waitFor polls cond until it holds, failing when wend exits first or after
// a minute (a stuck test, not a timing assertion).
func waitFor(t *testing.T, c *child, what string, cond func() (int64, bool)) int64 {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if v, ok := cond(); ok {
			return v
		}
		select {
		case <-c.exited:
			t.Fatalf("wend exited while waiting for %s: %v", what, c.err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// skipUnlessSandboxed skips a "sandboxed" case where the kernel cannot sandbox.
func skipUnlessSandboxed(t *testing.T, mode string) {
	t.Helper()
	if mode != "sandboxed" {
		return
	}
	if err := (&sandbox.Sandbox{}).Available(); err != nil {
		t.Skipf("this kernel cannot sandbox commands: %v", err)
	}
}

// appendingForever sets up a hangup case: with mode "off", a config in
// configHome that turns the sandbox off; a model whose one call runs a command
// in dir that appends a marker to .git/hangup-ticks forever, from itself, a
// background job and a setsid one, so the whole tree of processes must go.
// The file is in .git: a sandboxed command's writes to the working tree may be
// captured apart until it ends, its writes to .git are not. It returns the
// marker (in every such process's command line), the file and the model.
func appendingForever(t *testing.T, mode, dir, configHome string) (marker, ticks string, srv *llmtest.Server) {
	t.Helper()
	if mode == "off" {
		cfg := filepath.Join(configHome, "wend", "config.toml")
		os.MkdirAll(filepath.Dir(cfg), 0o700)
		if err := os.WriteFile(cfg, []byte("sandbox = \"off\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	marker = fmt.Sprintf("wend-hangup-%s-%d-%d", mode, os.Getpid(), time.Now().UnixNano())
	ticks = filepath.Join(dir, ".git", "hangup-ticks")
	loop := `while :; do echo ` + marker + ` >> .git/hangup-ticks; sleep 0.01; done`
	command := `(` + loop + `) & setsid sh -c '` + loop + `' & ` + loop
	args, _ := json.Marshal(map[string]string{"command": command})
	srv = llmtest.Start(t, llmtest.OpenAI, llmtest.Script{Turns: []llmtest.Turn{
		{ToolCalls: []llmtest.ToolCall{{Name: "run_command", Args: args}}},
	}})
	return marker, ticks, srv
}

// processesWith lists the processes whose command line contains marker.
func processesWith(marker string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(cmdline), marker) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func killPIDs(pids []int) {
	for _, p := range pids {
		syscall.Kill(p, syscall.SIGKILL)
	}
}
