package rpc

import (
	"context"
	"errors"
	"net"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"gitlab.com/wend/wend/session"
)

// Options configure a Server.
type Options struct {
	// Session is the session's id, told to clients in Hello.
	Session string
	// Review serves the review port (session.Review: the proposals, one
	// file's content, the decisions); nil answers with no changes.
	Review session.Review
	// OnAttach runs when a client takes control; OnDetach when the
	// controlling client's connection closes. Both run outside the server's
	// lock and may call the Backend.
	OnAttach, OnDetach func()
	// Owner is the only uid allowed; the zero Options mean this process's.
	Owner *uint32
	// Record reads the session's recorded events by range (the store's
	// pager), so a client's transcript pages its far past instead of
	// holding it; nil answers that this host keeps none.
	Record Record
}

// Record is the session's event store as the server reads it.
type Record interface {
	EventRange(ctx context.Context, from, to int64) ([]session.Event, error)
}

// maxRange bounds one EventRange answer, whatever the client asked: one event
// message, like a batch of live events (maxBatch), so that a page of long tool
// outputs stays within what a client accepts (maxMessage).
const maxRange = maxBatch

// Server serves one session's Backend to clients on a socket.
type Server struct {
	be   session.Backend
	opts Options
	gs   *grpc.Server
	own  uint32

	mu         sync.Mutex
	controller uint64 // the controlling connection, 0 for none
	clients    map[uint64]bool
	changed    chan struct{} // closed and replaced when clients come or go
}

// NewServer makes a server for be.
func NewServer(be session.Backend, opts Options) *Server {
	s := &Server{be: be, opts: opts, own: ownUID(), clients: map[uint64]bool{}, changed: make(chan struct{})}
	if opts.Owner != nil {
		s.own = *opts.Owner
	}
	s.gs = grpc.NewServer(grpc.Creds(&peerCreds{owner: s.own, closed: s.gone}),
		grpc.MaxRecvMsgSize(maxMessage), grpc.InitialWindowSize(window), grpc.InitialConnWindowSize(window))
	s.gs.RegisterService(&serviceDesc, s)
	return s
}

// Serve answers clients on l until Close.
func (s *Server) Serve(l net.Listener) error {
	err := s.gs.Serve(l)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// Close ends every connection and stops serving.
func (s *Server) Close() { s.gs.Stop() }

// Clients reports how many connections have said hello and whether one of them
// controls the session.
func (s *Server) Clients() (n int, controlled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients), s.controller != 0
}

// Changed is closed the next time a client comes or goes.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// caller is the connection a call came on, checked against the owner.
func (s *Server) caller(ctx context.Context) (Peer, error) {
	pr, ok := peer.FromContext(ctx)
	if !ok {
		return Peer{}, status.Error(codes.PermissionDenied, "refused: no peer credentials")
	}
	p, ok := pr.AuthInfo.(Peer)
	if !ok {
		return Peer{}, status.Error(codes.PermissionDenied, "refused: no peer credentials")
	}
	if err := CheckPeer(s.own, p); err != nil {
		return Peer{}, status.Error(codes.PermissionDenied, err.Error())
	}
	return p, nil
}

// errReadOnly is what a watcher's control call gets.
const errReadOnly = "read-only: another terminal controls this session; quit wend there (or close that terminal) and attach again to take over"

// admit checks the caller and, for a control call, its role. A control call
// from a client when nobody controls (the controller detached) takes control.
func (s *Server) admit(ctx context.Context, control bool) error {
	p, err := s.caller(ctx)
	if err != nil {
		return err
	}
	if !control {
		return nil
	}
	s.mu.Lock()
	took := false
	switch s.controller {
	case p.conn:
	case 0:
		s.controller, took = p.conn, true
		s.clients[p.conn] = true
		s.notifyLocked()
	default:
		s.mu.Unlock()
		return status.Error(codes.FailedPrecondition, errReadOnly)
	}
	s.mu.Unlock()
	if took && s.opts.OnAttach != nil {
		s.opts.OnAttach()
	}
	return nil
}

func (s *Server) hello(ctx context.Context, in *helloRequest) (*helloReply, error) {
	p, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.clients[p.conn] = true
	role := RoleWatch
	took := false
	if in.Control && (s.controller == 0 || s.controller == p.conn) {
		took = s.controller == 0
		s.controller, role = p.conn, RoleControl
	}
	s.notifyLocked()
	s.mu.Unlock()
	if took && s.opts.OnAttach != nil {
		s.opts.OnAttach()
	}
	return &helloReply{Role: role, Session: s.opts.Session}, nil
}

// gone is called by the transport when a connection closes.
func (s *Server) gone(conn uint64) {
	s.mu.Lock()
	_, known := s.clients[conn]
	delete(s.clients, conn)
	detached := s.controller == conn
	if detached {
		s.controller = 0
	}
	if known {
		s.notifyLocked()
	}
	s.mu.Unlock()
	if detached && s.opts.OnDetach != nil {
		s.opts.OnDetach()
	}
}

func (s *Server) changes(ctx context.Context, _ *empty) (*changesReply, error) {
	if s.opts.Review == nil {
		return &changesReply{}, nil
	}
	files, err := s.opts.Review.Changes(ctx)
	return &changesReply{Files: files}, err
}

func (s *Server) content(ctx context.Context, in *contentRequest) (*contentReply, error) {
	if s.opts.Review == nil {
		return nil, status.Error(codes.NotFound, "this session has no proposed changes")
	}
	c, err := s.opts.Review.ChangeContent(ctx, in.Path)
	return &contentReply{Content: c}, err
}

func (s *Server) decide(ctx context.Context, in *resolveRequest) (*empty, error) {
	if s.opts.Review == nil {
		return nil, status.Error(codes.NotFound, "this session does not stage changes")
	}
	return &empty{}, s.opts.Review.Decide(ctx, in.Decision)
}

// eventRange answers a page of the recorded events.
func (s *Server) eventRange(ctx context.Context, in *rangeRequest) (*eventBatch, error) {
	if s.opts.Record == nil {
		return nil, status.Error(codes.Unimplemented, "this session's host keeps no record to page from")
	}
	from, to := max(in.From, 1), in.To
	if to-from >= maxRange {
		to = from + maxRange - 1
	}
	if to < from {
		return &eventBatch{}, nil
	}
	evs, err := s.opts.Record.EventRange(ctx, from, to)
	return &eventBatch{Events: evs}, err
}

// History is optionally implemented by a Backend whose log can be copied at
// once (session.Log's Snapshot): a reattaching client's history then goes out
// in full batches, without a channel hop per event.
type History interface {
	Snapshot(after int64) []session.Event
}

// events streams the log after in.After, in batches of what is ready at once.
func (s *Server) events(in *eventsRequest, stream grpc.ServerStream) error {
	ctx := stream.Context()
	after := in.After
	if h, ok := s.be.(History); ok {
		past := h.Snapshot(after)
		for len(past) > 0 {
			n := min(len(past), maxBatch)
			if err := stream.SendMsg(&eventBatch{Events: past[:n]}); err != nil {
				return err
			}
			after = past[n-1].Seq
			past = past[n:]
		}
	}
	ch := s.be.Events(ctx, after)
	batch := make([]session.Event, 0, maxBatch)
	for {
		var e session.Event
		var ok bool
		select {
		case e, ok = <-ch:
		case <-ctx.Done():
			return nil
		}
		if !ok {
			return nil
		}
		batch = append(batch[:0], e)
	more:
		for len(batch) < maxBatch {
			select {
			case e, ok := <-ch:
				if !ok {
					break more
				}
				batch = append(batch, e)
			default:
				break more
			}
		}
		if err := stream.SendMsg(&eventBatch{Events: batch}); err != nil {
			return err
		}
	}
}

// notPendingCode marks session.ErrNotPending on the wire so the client can
// return the same sentinel.
const notPendingCode = codes.Aborted

// toStatus turns a Backend error into a gRPC status the client maps back.
func toStatus(err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	if errors.Is(err, session.ErrNotPending) {
		return status.Error(notPendingCode, err.Error())
	}
	if errors.Is(err, context.Canceled) {
		return status.Error(codes.Canceled, err.Error())
	}
	return status.Error(codes.Unknown, err.Error())
}
