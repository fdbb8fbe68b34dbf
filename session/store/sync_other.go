//go:build !linux

package store

import "os"

// syncData makes the file's new bytes durable.
func syncData(f *os.File) error { return f.Sync() }
