//go:build !linux

package procenv

// scrubInitial does nothing outside Linux, where there is no /proc to read and
// no documented way to rewrite the initial block. os.Unsetenv still keeps the
// secrets from every child; what remains is macOS's `ps -E` (KERN_PROCARGS2),
// which shows a process's initial environment to processes of the same user.
func scrubInitial([]string) error { return nil }
