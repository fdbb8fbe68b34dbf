package gitops

// crashHook is nil outside tests. Tests set it (in a re-executed test binary,
// see crash_test.go) to kill the process at a chosen write boundary, to prove
// that Open brings the index, the working tree and the journal back into
// agreement whatever the moment of the crash.
var crashHook func(point string)

// crashPoint marks a write boundary: a place where a crash leaves some of an
// operation's writes done and the rest not. Besides the process-wide
// crashHook, a repository's own hook (repo.crash, set by in-process tests
// that run many sessions at once) is called: it never returns when it
// "crashes" (it parks the goroutine, see random_crash_test.go), so nothing
// after the boundary runs, deferred cleanups included, as in a killed process.
func (r *repo) crashPoint(point string) {
	if crashHook != nil {
		crashHook(point)
	}
	if r.crash != nil {
		r.crash(point)
	}
}
