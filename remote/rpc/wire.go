package rpc

import (
	"context"
	"os"

	"google.golang.org/grpc"

	"gitlab.com/wend/wend/session"
)

// The messages of the service: plain structs, JSON on the wire (codec.go).
type (
	helloRequest struct {
		// Control asks to drive the session; false watches read-only.
		Control bool `json:"control,omitempty"`
	}
	helloReply struct {
		Role    Role   `json:"role"`
		Session string `json:"session,omitempty"`
	}
	empty        struct{}
	startRequest struct {
		Task session.Task `json:"task"`
	}
	editPlanRequest struct {
		Edit session.PlanEdit `json:"edit"`
	}
	adjustRequest struct {
		Text string `json:"text"`
	}
	adjustReply struct {
		ID string `json:"id"`
	}
	withdrawRequest struct {
		ID string `json:"id"`
	}
	resolveRequest struct {
		Decision session.Decision `json:"decision"`
	}
	changesReply struct {
		Files []session.FileChange `json:"files"`
	}
	contentRequest struct {
		Path string `json:"path"`
	}
	contentReply struct {
		Content string `json:"content"`
	}
	// Status is what `wend sessions` asks a host, without saying hello (so
	// the question is no client).
	Status struct {
		Session string `json:"session"`
		// Clients is how many clients are connected; Controlled whether
		// one of them drives the session (none: it is detached).
		Clients    int  `json:"clients"`
		Controlled bool `json:"controlled"`
		PID        int  `json:"pid"`
	}
	eventsRequest struct {
		// After is the last sequence number the client holds: the stream
		// starts at After+1 with the whole history, then goes on live.
		After int64 `json:"after"`
	}
	// rangeRequest asks for the recorded events from From to To
	// (inclusive): a client's transcript pages its far past.
	rangeRequest struct {
		From int64 `json:"from"`
		To   int64 `json:"to"`
	}
	// eventBatch carries what was ready at once: a reattaching client gets
	// the history in a few hundred messages, not one per event.
	eventBatch struct {
		Events []session.Event `json:"events"`
	}
)

// Role is what a client may do.
type Role string

const (
	// RoleControl drives the session: every Backend call.
	RoleControl Role = "control"
	// RoleWatch sees everything and may change nothing.
	RoleWatch Role = "watch"
)

const serviceName = "wend.rpc.Session"

// maxBatch bounds one event message; maxMessage is what a client accepts (a
// tool's output is capped well below it).
// window is HTTP/2's flow-control window per stream and connection: large, so
// a reattaching client's history streams without waiting for window updates
// (each one a round trip through two schedulers on a busy machine).
const (
	maxBatch   = 1024
	maxMessage = 64 << 20
	window     = 16 << 20
)

// method builds a unary method whose handler checks the caller before f runs.
// control marks the calls a watcher may not make.
func method[Req, Rep any](name string, control bool, f func(s *Server, ctx context.Context, in *Req) (*Rep, error)) grpc.MethodDesc {
	return grpc.MethodDesc{MethodName: name, Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
		in := new(Req)
		if err := dec(in); err != nil {
			return nil, err
		}
		s := srv.(*Server)
		if err := s.admit(ctx, control); err != nil {
			return nil, err
		}
		out, err := f(s, ctx, in)
		if err != nil {
			return nil, toStatus(err)
		}
		return out, nil
	}}
}

var serviceDesc = grpc.ServiceDesc{
	ServiceName: serviceName,
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{
		method("Hello", false, (*Server).hello),
		method("Start", true, func(s *Server, ctx context.Context, in *startRequest) (*empty, error) {
			// The task outlives the call that started it.
			return &empty{}, s.be.Start(context.WithoutCancel(ctx), in.Task)
		}),
		method("Pause", true, func(s *Server, ctx context.Context, _ *empty) (*empty, error) {
			return &empty{}, s.be.Pause(ctx)
		}),
		method("Resume", true, func(s *Server, ctx context.Context, _ *empty) (*empty, error) {
			return &empty{}, s.be.Resume(ctx)
		}),
		method("Stop", true, func(s *Server, ctx context.Context, _ *empty) (*empty, error) {
			return &empty{}, s.be.Stop(ctx)
		}),
		method("EditPlan", true, func(s *Server, ctx context.Context, in *editPlanRequest) (*empty, error) {
			return &empty{}, s.be.EditPlan(ctx, in.Edit)
		}),
		method("Adjust", true, func(s *Server, ctx context.Context, in *adjustRequest) (*adjustReply, error) {
			id, err := s.be.Adjust(ctx, in.Text)
			return &adjustReply{ID: id}, err
		}),
		method("Withdraw", true, func(s *Server, ctx context.Context, in *withdrawRequest) (*empty, error) {
			return &empty{}, s.be.Withdraw(ctx, in.ID)
		}),
		method("Resolve", true, func(s *Server, ctx context.Context, in *resolveRequest) (*empty, error) {
			return &empty{}, s.be.Resolve(ctx, in.Decision)
		}),
		method("Status", false, func(s *Server, _ context.Context, _ *empty) (*Status, error) {
			n, controlled := s.Clients()
			return &Status{Session: s.opts.Session, Clients: n, Controlled: controlled, PID: os.Getpid()}, nil
		}),
		method("Changes", false, (*Server).changes),
		method("Content", false, (*Server).content),
		method("Decide", true, (*Server).decide),
		method("EventRange", false, (*Server).eventRange),
	},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Events",
		ServerStreams: true,
		Handler: func(srv any, stream grpc.ServerStream) error {
			s := srv.(*Server)
			if err := s.admit(stream.Context(), false); err != nil {
				return err
			}
			in := new(eventsRequest)
			if err := stream.RecvMsg(in); err != nil {
				return err
			}
			return s.events(in, stream)
		},
	}},
}
