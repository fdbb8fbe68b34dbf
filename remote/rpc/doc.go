// Package rpc carries a session across a process boundary: the session.Backend
// port (and the review's plain-data reads) as gRPC on a Unix socket that only the
// user who owns the session may use.
//
// Encoding: a JSON codec, not protobuf. Every value that crosses the port is
// already JSON with a stable shape (session.Event's flat wire form is what the
// store writes and `wend run --json` prints), so one encoding serves the disk, the
// scripts and the socket; a .proto would restate ~25 event payloads, the plan and
// the change types, and every new field would need the two kept in step. The cost
// is a slower encoder than protobuf's, measured in the benchmarks (a few
// microseconds per event, far under the model's own pace).
//
// Trust: the socket lives in a 0700 directory under the repository's git
// directory, and every connection's peer credentials (SO_PEERCRED) are read in the
// handshake: a process of another uid gets PermissionDenied on every call, and a
// client refuses a server of another uid the same way.
//
// Roles: the first client to ask for control holds it while its connection lives;
// others watch read-only (their control calls fail with a clear error). When the
// controlling connection closes (the terminal closed, SSH dropped) the server
// reports a detach, and the next client to ask takes control.
package rpc
