package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHangupEndsTheTUIsRunningCommand is TestHangupEndsTheRunningCommand for
// the TUI in a real terminal (tmux): the agent's command appends to a file
// forever (with a background and a setsid child); wend gets SIGHUP, as when
// the terminal window closes. wend must exit, and then nothing of the command
// may run or write.
func TestHangupEndsTheTUIsRunningCommand(t *testing.T) {
	for _, tc := range []struct{ mode, host string }{
		{"sandboxed", "in-process"}, {"off", "in-process"}, {"sandboxed", "host"}, {"off", "host"},
	} {
		mode := tc.mode
		t.Run(mode+"/"+tc.host, func(t *testing.T) {
			skipUnlessSandboxed(t, mode)
			bin := wendBinary(t)
			dir := notesRepo(t)
			if tc.host == "host" {
				// The host's socket path must fit a Unix socket address: the
				// test's own temporary directory is too long a name.
				short, err := os.MkdirTemp("", "wh")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.RemoveAll(short) })
				if err := os.Rename(dir, filepath.Join(short, "r")); err != nil {
					t.Fatal(err)
				}
				dir = filepath.Join(short, "r")
			}
			home := t.TempDir()
			marker, ticks, srv := appendingForever(t, mode, dir, home)
			p := newPane(t, 140, 30, []string{"HOME=" + home, "XDG_STATE_HOME=" + home, "XDG_CONFIG_HOME=" + home, "OPENAI_API_KEY=k", "TERM=xterm-256color", "WEND_HOST=" + map[bool]string{true: "1", false: "0"}[tc.host == "host"]},
				bin, "-C", dir, "--provider", "openai", "--base-url", srv.URL, "--model", "m", "--approval", "full-auto")
			t.Cleanup(func() { killPIDs(processesWith(marker)) })
			p.waitFor("Describe a task")
			p.typeText("keep appending")
			p.keys("Enter")

			first := pollSize(t, "the command to start appending", func(n int64) bool { return n > 0 }, ticks)
			pollSize(t, "the file to keep growing", func(n int64) bool { return n > first }, ticks)

			// `env` execs wend, so the pane's process is wend itself.
			out, err := exec.Command("tmux", "display-message", "-p", "-t", p.name, "#{pane_pid}").Output()
			if err != nil {
				t.Fatal(err)
			}
			pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
			if err != nil {
				t.Fatalf("pane pid %q: %v", out, err)
			}
			if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); !strings.Contains(string(cmdline), "wend") {
				t.Fatalf("the pane's process %d is not wend: %q", pid, cmdline)
			}
			syscall.Kill(pid, syscall.SIGHUP)
			// tmux reaps wend (remain-on-exit keeps the pane, not the process).
			deadline := time.Now().Add(30 * time.Second)
			for processRuns(pid) {
				if time.Now().After(deadline) {
					t.Fatalf("wend (pid %d) did not exit within 30 s of SIGHUP:\n%s", pid, p.screen())
				}
				time.Sleep(10 * time.Millisecond)
			}
			if tc.host == "host" {
				// The session outlives the terminal (README: Sessions outlive
				// your terminal): the command goes on in the host. Ending the
				// host must take the command with it: sandboxed, even SIGKILL
				// (the command's PID namespace dies with its init, which dies
				// with the host); with sandbox = "off", SIGTERM (the session
				// stops cleanly). A SIGKILLed host without the sandbox ends
				// the command's shell (parent-death signal), but a background
				// child of it that left its process group can outlive it: a
				// known limit, in README.
				hostPID := ownerPID(t, dir)
				if hostPID == pid || !processRuns(hostPID) {
					t.Fatalf("no session host runs after the client's SIGHUP (owner pid %d, client %d)", hostPID, pid)
				}
				now := fileSize(ticks)
				pollSize(t, "the detached command to go on", func(n int64) bool { return n > now }, ticks)
				sig := map[string]syscall.Signal{"sandboxed": syscall.SIGKILL, "off": syscall.SIGTERM}[mode]
				syscall.Kill(hostPID, sig)
				for deadline := time.Now().Add(30 * time.Second); processRuns(hostPID); time.Sleep(10 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("the host (pid %d) survived %v for 30 s", hostPID, sig)
					}
				}
				if sig == syscall.SIGKILL {
					// A killed host cannot wait for its command: the kernel
					// ends the command's namespace after the host is gone,
					// asynchronously. Give it a bounded moment, then no
					// process of the command may remain and nothing may write.
					for deadline := time.Now().Add(5 * time.Second); len(processesWith(marker)) > 0; time.Sleep(10 * time.Millisecond) {
						if time.Now().After(deadline) {
							t.Fatalf("the command's processes outlived the SIGKILLed host by 5 s: %v", processesWith(marker))
						}
					}
				}
			}
			// As in the headless test: one command cadence apart, 20 reads of
			// the size must agree (nothing signals "nothing appends any more").
			size := fileSize(ticks)
			for i := range 20 {
				time.Sleep(10 * time.Millisecond)
				if n := fileSize(ticks); n != size {
					t.Fatalf("after wend exited the file still grows: %d bytes, then %d at poll %d", size, n, i+1)
				}
			}
			if pids := processesWith(marker); len(pids) > 0 {
				t.Fatalf("processes of the command outlived the TUI after SIGHUP: %v", pids)
			}
		})
	}
}

// pollSize waits (up to a minute: a stuck test, not a timing assertion) until
// cond holds for the size of path, and returns that size.
func pollSize(t *testing.T, what string, cond func(int64) bool, path string) int64 {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if n := fileSize(path); cond(n) {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// processRuns reports whether pid exists and is not a zombie.
func processRuns(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// ownerPID is the pid recorded as the owner of the repository's only session.
func ownerPID(t *testing.T, dir string) int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, ".git", "wend", "*", "owner.json"))
	if len(files) != 1 {
		all, _ := filepath.Glob(filepath.Join(dir, ".git", "wend", "*", "*"))
		logs, _ := filepath.Glob(filepath.Join(dir, ".git", "wend", "*", "host.log"))
		var hl []byte
		if len(logs) > 0 {
			hl, _ = os.ReadFile(logs[0])
		}
		t.Fatalf("owner records: %v; files: %v; host.log:\n%s", files, all, hl)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var o struct{ PID int }
	if err := json.Unmarshal(data, &o); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	return o.PID
}
