// Package procstat reads the few fields of /proc/<pid>/stat that wend needs to
// tell a live process from a dead one whose pid was reused: the parent pid and
// the start time. Linux only; elsewhere every read reports false.
package procstat

import (
	"bytes"
	"os"
	"strconv"
)

// fields returns the fields of /proc/<pid>/stat after the command name. The
// name (field 2) may hold spaces and parentheses, so counting starts after
// its last ')': fields[0] is field 3 (state).
func fields(pid int) ([][]byte, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, false
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return nil, false
	}
	return bytes.Fields(data[i+1:]), true
}

// Start is a process's start time (field 22, clock ticks since boot). With the
// pid it names one process for good: a reused pid has another start time.
func Start(pid int) (uint64, bool) {
	f, ok := fields(pid)
	if !ok || len(f) < 20 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(f[19]), 10, 64)
	return v, err == nil
}

// Parent is a process's parent pid (field 4).
func Parent(pid int) (int, bool) {
	f, ok := fields(pid)
	if !ok || len(f) < 2 {
		return 0, false
	}
	v, err := strconv.Atoi(string(f[1]))
	return v, err == nil
}
