// Package procenv takes wend's own secrets out of its process environment once
// they have been read, so that no child process can see them: not through the
// environment it inherits, and not through /proc/<wend's pid>/environ, which
// shows the environment block the process started with whatever os.Unsetenv
// does later (security finding 4: `cat /proc/$PPID/environ` from run_command).
package procenv

import "os"

// Scrub returns the non-empty values of the named variables, then removes them
// from the process: os.Unsetenv for the environment Go passes to children, and,
// on Linux, overwriting their values in the initial environment block that
// /proc/self/environ reads. Call it once, as early as possible and before any
// goroutine reads those variables; afterwards only the returned map has them.
//
// The error reports only the second step (the block could not be rewritten, as
// under some hardened kernels); the variables are unset and returned anyway.
func Scrub(names ...string) (map[string]string, error) {
	got := map[string]string{}
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			got[n] = v
		}
		os.Unsetenv(n)
	}
	return got, scrubInitial(names)
}
