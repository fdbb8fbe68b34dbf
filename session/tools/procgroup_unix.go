//go:build unix

package tools

import (
	"os"
	"os/exec"
	"syscall"
)

// setProcessGroup starts cmd as the leader of a new process group, so the
// command and everything it spawns can be killed together; where the system
// has it, the shell also dies with wend (setParentDeath).
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setParentDeath(cmd.SysProcAttr)
}

// killProcessGroup kills the command led by p: its process group, and every
// descendant of the shell, which a group kill misses when it left the group
// (`setsid daemon &`, `setpgid`). The descendants are stopped first, until a
// scan finds no new one, so none can fork a child the kill would miss.
// Processes already orphaned (their parent gone before this call) are not
// descendants any more; the sandbox, where it is available, reaches those too.
func killProcessGroup(p *os.Process) {
	var tree []int
	seen := map[int]bool{}
	// Only while the shell is not reaped: its pid cannot belong to another
	// process then (os.Process signals through a pidfd where it can, and
	// reports a reaped process as done).
	alive := p.Signal(syscall.Signal(0)) == nil
	for i := 0; alive && i < 10; i++ {
		added := false
		for _, pid := range descendants(p.Pid) {
			if !seen[pid] {
				seen[pid], added = true, true
				tree = append(tree, pid)
				_ = syscall.Kill(pid, syscall.SIGSTOP)
			}
		}
		if !added {
			break
		}
	}
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	for _, pid := range tree {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
