//go:build unix

package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunCommandOutputAndExitCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"a.txt": "a\n"})
	res := f.mustOK(ToolRunCommand, obj{"command": "echo out; echo err >&2; pwd"})
	real, _ := filepath.EvalSymlinks(f.dir)
	if want := "out\nerr\n" + real + "\nExit code: 0"; res.Output != want {
		t.Errorf("output %q, want %q", res.Output, want)
	}
	if res.Summary != "ran echo out; echo err >&2; pwd: exit 0" {
		t.Errorf("summary %q", res.Summary)
	}
	if f.ws.afterCalls != 1 {
		t.Errorf("AfterCommand called %d times", f.ws.afterCalls)
	}

	res = f.mustFail(ToolRunCommand, obj{"command": "echo failing; exit 3"}, "failing\n", "Exit code: 3")
	if !strings.Contains(res.Summary, "exit 3") {
		t.Errorf("summary %q", res.Summary)
	}
	// stdin is /dev/null: cat ends at once instead of waiting for input.
	res = f.mustOK(ToolRunCommand, obj{"command": "cat", "timeout_seconds": 5})
	if res.Output != "(no output)\nExit code: 0" {
		t.Errorf("cat: %q", res.Output)
	}
	f.mustFail(ToolRunCommand, obj{"command": "  "}, "command is empty")
}

func TestRunCommandReportsChangedPaths(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.ws.afterChanged = []string{"gen.go", "go.sum"}
	res := f.mustOK(ToolRunCommand, obj{"command": "true"})
	if !reflect.DeepEqual(res.Changed, []string{"gen.go", "go.sum"}) || !strings.Contains(res.Output, "Files changed by the command: gen.go, go.sum") {
		t.Errorf("changed %v, output %q", res.Changed, res.Output)
	}
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no /proc: trust kill(0)
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) == 0 || fields[0] != "Z"
}

func readPIDs(t *testing.T, dir string, names ...string) []int {
	t.Helper()
	var pids []int
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatalf("pid file %s: %v", n, err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	return pids
}

func waitDead(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for _, pid := range pids {
		for alive(pid) {
			if time.Now().After(deadline) {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("process %d outlived the command", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func TestRunCommandTimeoutKillsTheWholeProcessGroup(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	pidDir := t.TempDir()
	cmd := fmt.Sprintf("sleep 30 & echo $! > %[1]s/p1; sh -c 'sleep 30' & echo $! > %[1]s/p2; echo started; wait", pidDir)
	start := time.Now()
	res := f.mustFail(ToolRunCommand, obj{"command": cmd, "timeout_seconds": 1},
		"started\n", "timed out after 1s", "every process it started were killed")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %s for a 1s timeout", took)
	}
	if !strings.Contains(res.Summary, "timed out") {
		t.Errorf("summary %q", res.Summary)
	}
	waitDead(t, readPIDs(t, pidDir, "p1", "p2"))
}

func TestRunCommandKillsBackgroundLeftovers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	pidDir := t.TempDir()
	start := time.Now()
	f.mustOK(ToolRunCommand, obj{"command": fmt.Sprintf("sleep 30 & echo $! > %s/p; echo done", pidDir)})
	if took := time.Since(start); took > drainGrace+time.Second {
		t.Errorf("a background job held the call for %s", took)
	}
	waitDead(t, readPIDs(t, pidDir, "p"))
}

func TestRunCommandCancelKillsGroup(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	pidDir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	args, _ := json.Marshal(obj{"command": fmt.Sprintf("sleep 30 & echo $! > %s/p; wait", pidDir)})
	res := f.reg.Execute(ctx, Call{Name: ToolRunCommand, Args: args})
	if !res.IsError || !strings.Contains(res.Output, "stopped by the user") {
		t.Fatalf("cancelled command: %+v", res)
	}
	waitDead(t, readPIDs(t, pidDir, "p"))
}

func TestRunCommandCapsOutputKeepingHeadAndTail(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, func(c *Config) { c.MaxOutputBytes = 2000 })
	res := f.mustOK(ToolRunCommand, obj{"command": "seq 1 100000"})
	if len(res.Output) > 2100 {
		t.Errorf("output %d bytes with a 2000 cap", len(res.Output))
	}
	if !strings.HasPrefix(res.Output, "1\n2\n3\n") || !strings.HasSuffix(res.Output, "99999\n100000\nExit code: 0") {
		t.Errorf("head or tail lost:\n%s", res.Output)
	}
	if !strings.Contains(res.Output, "bytes (") || !strings.Contains(res.Output, "lines) cut from the middle") {
		t.Errorf("no note of what was cut:\n%s", res.Output)
	}
	// The note's numbers add up: kept lines + cut lines = all lines.
	var cutBytes, cutLines int
	i := strings.Index(res.Output, "[… ")
	fmt.Sscanf(res.Output[i:], "[… %d bytes (%d lines)", &cutBytes, &cutLines)
	body := strings.TrimSuffix(res.Output, "Exit code: 0")
	kept := strings.Count(body, "\n") - 1 // minus the note's own newline
	if kept+cutLines != 100000 {
		t.Errorf("kept %d + cut %d lines != 100000", kept, cutLines)
	}
}

func TestRunCommandClampsTimeout(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, func(c *Config) { c.MaxTimeout = 2 * time.Second })
	res := f.mustOK(ToolRunCommand, obj{"command": "true", "timeout_seconds": 999})
	if !strings.Contains(res.Output, "timeout_seconds 999 exceeds the maximum; used 2s") {
		t.Errorf("output %q", res.Output)
	}
}

func TestRunCommandEnvironment(t *testing.T) {
	t.Setenv("GITLAB_TOKEN", "glpat-secret")
	t.Setenv("WEND_TEST_KEEP", "kept")
	f := newFixture(t, nil, func(c *Config) { c.Env = []string{"EXTRA=1"} })
	res := f.mustOK(ToolRunCommand, obj{"command": "echo \"tok=$GITLAB_TOKEN keep=$WEND_TEST_KEEP extra=$EXTRA pager=$GIT_PAGER\""})
	if !strings.HasPrefix(res.Output, "tok= keep=kept extra=1 pager=cat\n") {
		t.Errorf("environment: %q", res.Output)
	}
}
