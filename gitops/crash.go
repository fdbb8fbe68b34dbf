package gitops

// crashHook is nil outside tests. Tests set it (in a re-executed test binary,
// see crash_test.go) to kill the process at a chosen write boundary, to prove
// that Open brings the index, the working tree and the journal back into
// agreement whatever the moment of the crash.
var crashHook func(point string)

// crashPoint marks a write boundary: a place where a crash leaves some of an
// operation's writes done and the rest not.
func crashPoint(point string) {
	if crashHook != nil {
		crashHook(point)
	}
}
