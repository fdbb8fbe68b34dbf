package procstat

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
)

func TestStartAndParentOfRealProcesses(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	if ppid, ok := Parent(cmd.Process.Pid); !ok || ppid != os.Getpid() {
		t.Errorf("Parent(child) = %d, %v; want %d", ppid, ok, os.Getpid())
	}
	self, ok := Start(os.Getpid())
	child, ok2 := Start(cmd.Process.Pid)
	if !ok || !ok2 || child < self {
		t.Errorf("start times: self %d (%v), child %d (%v); a child cannot start before its parent", self, ok, child, ok2)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, ok := Start(cmd.Process.Pid); ok {
		t.Errorf("a reaped process still has a start time")
	}
}
