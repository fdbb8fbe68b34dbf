package gittest

import (
	"os"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// StartSwapper makes dir flip between itself (a real directory) and a symlink
// to target, atomically (renameat2 RENAME_EXCHANGE with a twin beside it), as
// fast as it can until the returned stop is called (also at cleanup, which
// leaves the real directory in place). dir is never missing, and the twin
// lies beside dir, so a test racing writes or reads against the swap learns
// whether the code under test follows a link planted after its check.
func StartSwapper(t testing.TB, dir, target string) (stop func()) {
	t.Helper()
	twin := dir + ".swap"
	if err := os.Symlink(target, twin); err != nil {
		t.Fatal(err)
	}
	exchange := func() error {
		return unix.Renameat2(unix.AT_FDCWD, dir, unix.AT_FDCWD, twin, unix.RENAME_EXCHANGE)
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			default:
			}
			if err := exchange(); err != nil {
				t.Errorf("swap %s: %v", dir, err)
				return
			}
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			close(done)
			<-finished
			if fi, err := os.Lstat(dir); err == nil && fi.Mode()&os.ModeSymlink != 0 {
				if err := exchange(); err != nil {
					t.Errorf("swap %s back: %v", dir, err)
				}
			}
		})
	}
	t.Cleanup(stop)
	return stop
}
