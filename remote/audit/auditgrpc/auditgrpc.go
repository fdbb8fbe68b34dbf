// Package auditgrpc writes audit records for outgoing gRPC calls (Duo Workflow
// Service, `wend serve` clients), as remote/audit does for HTTP. It is apart
// from remote/audit so that HTTP-only users do not link gRPC.
package auditgrpc

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"gitlab.com/wend/wend/remote/audit"
)

// Method is the Record.Method of gRPC calls; Record.Path is the full method
// ("/pkg.Service/Call") and Record.Status the gRPC status code (0 is OK).
const Method = "GRPC"

// UnaryClientInterceptor records each unary call: bytes are the marshalled
// sizes of request and response. No metadata (which carries tokens) is kept.
func UnaryClientInterceptor(sink audit.Sink, session string) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		start := time.Now()
		err := invoker(ctx, method, req, reply, cc, opts...)
		n := size(req)
		if err == nil {
			n += size(reply)
		}
		write(sink, record(ctx, session, cc.Target(), method, start, n, err))
		return err
	}
}

// StreamClientInterceptor records each stream once, when it ends (the server
// closes it, it fails, or the caller cancels it), with the bytes of all
// messages sent and received.
func StreamClientInterceptor(sink audit.Sink, session string) grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		start := time.Now()
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			write(sink, record(ctx, session, cc.Target(), method, start, 0, err))
			return nil, err
		}
		s := &stream{ClientStream: cs}
		s.done = func(err error) {
			write(sink, record(ctx, session, cc.Target(), method, start, s.bytes, err))
		}
		go func() {
			// A stream the caller abandons ends with its context.
			<-cs.Context().Done()
			s.finish(cs.Context().Err())
		}()
		return s, nil
	}
}

type stream struct {
	grpc.ClientStream
	mu    sync.Mutex
	bytes int64
	once  sync.Once
	done  func(error)
}

func (s *stream) SendMsg(m any) error {
	err := s.ClientStream.SendMsg(m)
	s.add(m)
	if err != nil && !errors.Is(err, io.EOF) {
		s.finish(err)
	}
	return err
}

func (s *stream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	switch {
	case err == nil:
		s.add(m)
	case errors.Is(err, io.EOF):
		s.finish(nil)
	default:
		s.finish(err)
	}
	return err
}

func (s *stream) add(m any) {
	s.mu.Lock()
	s.bytes += size(m)
	s.mu.Unlock()
}

func (s *stream) finish(err error) {
	s.once.Do(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.done(err)
	})
}

func size(m any) int64 {
	if pm, ok := m.(proto.Message); ok {
		return int64(proto.Size(pm))
	}
	return 0
}

func record(ctx context.Context, session, target, method string, start time.Time, n int64, err error) audit.Record {
	r := audit.Record{Time: start.UTC(), Session: session, Method: Method, Host: target, Path: method, Bytes: n,
		Duration: float64(time.Since(start).Microseconds()) / 1000}
	if id := audit.SessionOf(ctx); id != "" {
		r.Session = id
	}
	if err != nil {
		st, _ := status.FromError(err)
		r.Status, r.Error = int(st.Code()), st.Code().String()
	}
	return r
}

func write(sink audit.Sink, r audit.Record) {
	if sink != nil {
		sink.Write(r)
	}
}
