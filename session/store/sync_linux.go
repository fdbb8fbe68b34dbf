package store

import (
	"os"
	"syscall"
)

// syncData makes the file's new bytes durable. fdatasync skips the
// timestamps fsync also writes; the size an append changes is still synced.
func syncData(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
