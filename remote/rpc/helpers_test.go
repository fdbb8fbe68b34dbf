package rpc_test

import (
	"net"
	"os"
)

// listenOpen makes a socket anyone may connect to, which wend never does: the
// test needs it to reach the peer-credential check from another user.
func listenOpen(path string) (net.Listener, error) {
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	return l, os.Chmod(path, 0o777)
}
