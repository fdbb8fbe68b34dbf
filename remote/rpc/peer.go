package rpc

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc/credentials"
)

// Peer is who is at the other end of a connection, from the kernel
// (SO_PEERCRED), not from anything the peer says.
type Peer struct {
	UID uint32
	PID int32
	// Err is set when the credentials could not be read: such a peer is
	// refused like a stranger.
	Err error
	// conn numbers the connection, so the server knows which one controls.
	conn uint64
}

// AuthType names the mechanism for gRPC.
func (Peer) AuthType() string { return "peercred" }

// CheckPeer is the one rule for who may use a session's socket: a process of
// the same uid as the session's owner. A failed credential read is a refusal.
func CheckPeer(owner uint32, p Peer) error {
	if p.Err != nil {
		return fmt.Errorf("refused: cannot tell who is connecting (%v)", p.Err)
	}
	if p.UID != owner {
		return fmt.Errorf("refused: this session belongs to uid %d; a client running as uid %d may not attach to it", owner, p.UID)
	}
	return nil
}

// peerCreds is the transport "security" of the socket: no encryption (the
// kernel carries the bytes between two processes), only the peer's uid, read
// on both sides. The server records it for every call to check; the client
// refuses at once a server run by someone else.
type peerCreds struct {
	owner uint32
	// closed, on the server, hears which connection went away.
	closed func(conn uint64)
}

var connIDs atomic.Uint64

func (c *peerCreds) ServerHandshake(raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	p := readPeer(raw)
	p.conn = connIDs.Add(1)
	return &trackedConn{Conn: raw, gone: func() {
		if c.closed != nil {
			c.closed(p.conn)
		}
	}}, p, nil
}

func (c *peerCreds) ClientHandshake(_ context.Context, _ string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	p := readPeer(raw)
	if err := CheckPeer(c.owner, p); err != nil {
		raw.Close()
		return nil, nil, fmt.Errorf("the session's socket is served by another user: %w", err)
	}
	return raw, p, nil
}

func (c *peerCreds) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "peercred"}
}
func (c *peerCreds) Clone() credentials.TransportCredentials { cp := *c; return &cp }

// OverrideServerName is part of gRPC's interface; there is no name to check.
func (c *peerCreds) OverrideServerName(string) error { return nil }

// readPeer asks the kernel who holds the other end of a Unix socket.
func readPeer(c net.Conn) Peer {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Peer{Err: fmt.Errorf("not a Unix socket (%T)", c)}
	}
	return peerCred(uc)
}

// trackedConn tells the server when gRPC closes a connection, which happens as
// soon as the other process goes (the socket reads EOF).
type trackedConn struct {
	net.Conn
	once sync.Once
	gone func()
}

func (c *trackedConn) Close() error {
	c.once.Do(c.gone)
	return c.Conn.Close()
}

// owner is the uid a session belongs to: the one running this process.
func ownUID() uint32 { return uint32(os.Geteuid()) }
