//go:build linux

package procenv

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// scrubInitial overwrites the values of the named variables with NUL bytes in
// the environment block the kernel set up at exec, which /proc/<pid>/environ
// reads. The Go runtime copied every string of that block into its own heap
// before main (runtime.goenvs), so nothing in the program reads the block
// again and overwriting it is safe; the entry stays as "NAME=" so a reader sees
// the variable was scrubbed rather than never set.
//
// Why in place rather than re-executing wend with the secrets passed through a
// pipe: no second process start, the pid stays the same (session ownership
// records it), and signals, the terminal and exit codes need no relaying.
// prctl(PR_SET_MM_ENV_START) could point /proc at a fresh block, but needs
// CAP_SYS_RESOURCE.
func scrubInitial(names []string) error {
	start, end, err := envRange()
	if err != nil {
		return err
	}
	if end <= start {
		return nil
	}
	mem, err := os.OpenFile("/proc/self/mem", os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("procenv: %w", err)
	}
	defer mem.Close()
	block := make([]byte, end-start)
	if _, err := mem.ReadAt(block, int64(start)); err != nil {
		return fmt.Errorf("procenv: reading the environment block: %w", err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for off := 0; off < len(block); {
		n := bytes.IndexByte(block[off:], 0)
		if n < 0 {
			n = len(block) - off
		}
		entry := block[off : off+n]
		if eq := bytes.IndexByte(entry, '='); eq > 0 && want[string(entry[:eq])] && eq+1 < len(entry) {
			zeros := make([]byte, len(entry)-eq-1)
			if _, err := mem.WriteAt(zeros, int64(start)+int64(off+eq+1)); err != nil {
				return fmt.Errorf("procenv: clearing %s in the environment block: %w", entry[:eq], err)
			}
		}
		off += n + 1
	}
	return nil
}

// envRange reads env_start and env_end, fields 50 and 51 of /proc/self/stat
// (proc(5), Linux 3.5 and later).
func envRange() (start, end uint64, err error) {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("procenv: %w", err)
	}
	// Field 2, the command name in parentheses, may contain spaces and ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("procenv: unexpected /proc/self/stat")
	}
	fields := strings.Fields(string(stat[i+1:])) // fields[0] is field 3
	const envStart = 50 - 3
	if len(fields) <= envStart+1 {
		return 0, 0, fmt.Errorf("procenv: /proc/self/stat has no env_start (kernel older than 3.5)")
	}
	if start, err = strconv.ParseUint(fields[envStart], 10, 64); err == nil {
		end, err = strconv.ParseUint(fields[envStart+1], 10, 64)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("procenv: env_start/env_end: %w", err)
	}
	return start, end, nil
}
