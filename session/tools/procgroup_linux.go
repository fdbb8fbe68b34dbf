package tools

import (
	"os"
	"strconv"
	"syscall"

	"gitlab.com/wend/wend/internal/procstat"
)

// setParentDeath has the kernel kill the shell when wend dies, even by
// SIGKILL, when it gets no chance to stop the command. (The signal follows
// the thread that started the shell; wend locks no goroutine to a thread
// that could exit.)
func setParentDeath(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }

// descendants lists the processes below pid, from the parent ids in
// /proc/<pid>/stat.
func descendants(root int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := procstat.Parent(pid); ok {
			children[ppid] = append(children[ppid], pid)
		}
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}
