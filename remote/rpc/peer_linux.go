package rpc

import (
	"net"

	"golang.org/x/sys/unix"
)

func peerCred(c *net.UnixConn) Peer {
	raw, err := c.SyscallConn()
	if err != nil {
		return Peer{Err: err}
	}
	var cred *unix.Ucred
	var gerr error
	if err := raw.Control(func(fd uintptr) {
		cred, gerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return Peer{Err: err}
	}
	if gerr != nil {
		return Peer{Err: gerr}
	}
	return Peer{UID: cred.Uid, PID: cred.Pid}
}
