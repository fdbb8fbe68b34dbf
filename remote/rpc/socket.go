package rpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// SocketName is the socket's file name in a session's directory
// (.git/wend/<id>/host.sock).
const SocketName = "host.sock"

// MaxSocketPath is what sockaddr_un holds on Linux, less the terminating NUL.
const MaxSocketPath = 107

// ErrServed is returned by Listen when a live server already answers on the path.
var ErrServed = errors.New("another wend already serves this session")

// Listen makes the session's socket at path: its directory is created or
// tightened to 0700 and must belong to this user, the socket itself is 0600,
// and a socket left by a dead host is replaced. A live one is not (ErrServed).
func Listen(path string) (net.Listener, error) {
	if len(path) > MaxSocketPath {
		return nil, fmt.Errorf("the session's socket path is %d bytes, more than the %d a Unix socket allows: %s (move the repository to a shorter path)", len(path), MaxSocketPath, path)
	}
	if err := privateDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	if _, err := os.Lstat(path); err == nil {
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
			return nil, ErrServed
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("removing the stale socket %s: %w", path, err)
		}
	}
	// The directory is 0700 already, so the moment before the chmod exposes
	// nothing (a umask would, process-wide, change files the agent writes).
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("making %s private: %w", path, err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(true)
	return l, nil
}

// privateDir makes dir (and its parents) and insists it is this user's and
// reachable by nobody else.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != ownUID() {
		return fmt.Errorf("%s belongs to uid %d, not to you (uid %d): wend will not put its socket there", dir, st.Uid, ownUID())
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("making %s private: %w", dir, err)
		}
	}
	return nil
}

// Served reports whether a server answers on path now (a quick connect, no
// hello): how `wend sessions` and plain `wend` find a running host.
func Served(ctx context.Context, path string) bool {
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
