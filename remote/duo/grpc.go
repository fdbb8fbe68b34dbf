package duo

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"gitlab.com/wend/wend/remote/duo/contract"
)

// GRPCOptions configure the direct gRPC transport.
type GRPCOptions struct {
	// Access is the answer of Client.DirectAccess: address, token, headers, TLS.
	Access *DirectAccess
	// Metadata is added to (and overrides) the headers from Access, e.g.
	// x-gitlab-client-type.
	Metadata map[string]string
	// TLSConfig is used when Access says secure; nil means the system roots.
	TLSConfig *tls.Config
	// DialOptions are appended last (interceptors for auditing, test dialers).
	DialOptions       []grpc.DialOption
	HeartbeatInterval time.Duration // default DefaultHeartbeatInterval
}

// GRPCTransport opens ExecuteWorkflow streams straight to DWS. Upstream calls this
// path deprecated (Rails wants workflows routed through Workhorse) and, in it, DWS
// sends every GitLab API call as runHTTPRequest: answer those with DoHTTPRequest
// against Access.GitLabRails. Prefer the WebSocket transport.
type GRPCTransport struct {
	o    GRPCOptions
	md   metadata.MD
	cc   *grpc.ClientConn
	once sync.Once
}

// NewGRPCTransport prepares a client connection (gRPC connects lazily).
func NewGRPCTransport(o GRPCOptions) (*GRPCTransport, error) {
	if o.Access == nil || o.Access.Service.BaseURL == "" {
		return nil, errors.New("duo: gRPC transport: no direct access (service address)")
	}
	if o.HeartbeatInterval <= 0 {
		o.HeartbeatInterval = DefaultHeartbeatInterval
	}
	creds := insecure.NewCredentials()
	if o.Access.Service.Secure {
		cfg := o.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		creds = credentials.NewTLS(cfg)
	}
	opts := append([]grpc.DialOption{grpc.WithTransportCredentials(creds)}, o.DialOptions...)
	cc, err := grpc.NewClient(grpcTarget(o.Access.Service.BaseURL), opts...)
	if err != nil {
		return nil, fmt.Errorf("duo: gRPC transport: %w", err)
	}
	return &GRPCTransport{o: o, md: grpcMetadata(o.Access, o.Metadata), cc: cc}, nil
}

// grpcTarget strips a scheme, if Rails ever sends one, from host:port.
func grpcTarget(base string) string {
	for _, p := range []string{"grpcs://", "grpc://", "https://", "http://"} {
		base = strings.TrimPrefix(base, p)
	}
	return "dns:///" + strings.TrimRight(base, "/")
}

// grpcMetadata is what DWS's interceptors read (DUO-WORKFLOW.md §2.2): the
// cloud-connector headers from direct_access plus the bearer token.
func grpcMetadata(a *DirectAccess, extra map[string]string) metadata.MD {
	md := metadata.MD{}
	for k, v := range a.Service.Headers {
		md.Set(strings.ToLower(k), v)
	}
	md.Set("authorization", "Bearer "+a.Service.Token)
	md.Set("x-gitlab-authentication-type", "oidc")
	for k, v := range extra {
		md.Set(strings.ToLower(k), v)
	}
	return md
}

// Close releases the client connection; open streams fail afterwards.
func (t *GRPCTransport) Close() error { return t.cc.Close() }

// Open starts ExecuteWorkflow and sends start.
func (t *GRPCTransport) Open(ctx context.Context, start *contract.StartWorkflowRequest) (*Stream, error) {
	sctx, cancel := context.WithCancel(metadata.NewOutgoingContext(context.Background(), t.md.Copy()))
	stop := context.AfterFunc(ctx, cancel) // opening is bounded by ctx
	cs, err := contract.NewDuoWorkflowClient(t.cc).ExecuteWorkflow(sctx)
	if err == nil {
		err = cs.Send(&contract.ClientEvent{Response: &contract.ClientEvent_StartRequest{StartRequest: start}})
		if errors.Is(err, io.EOF) {
			// The server already ended the RPC (e.g. UNAUTHENTICATED); Recv has the status.
			if _, err = cs.Recv(); err == nil {
				err = status.Error(codes.Internal, "stream ended before the start request was sent")
			}
		}
	}
	if !stop() || err != nil {
		cancel()
		if err == nil {
			err = ctx.Err()
		}
		return nil, grpcError("open stream", err)
	}
	return newStream(start, &grpcConn{cs: cs, cancel: cancel}, keepalive{heartbeat: t.o.HeartbeatInterval}), nil
}

type grpcConn struct {
	cs     grpc.BidiStreamingClient[contract.ClientEvent, contract.Action]
	cancel context.CancelFunc
}

func (g *grpcConn) send(ctx context.Context, ev *contract.ClientEvent) error {
	// grpc-go's Send does not take a context; it blocks only on flow control.
	if err := g.cs.Send(ev); err != nil {
		if errors.Is(err, io.EOF) {
			// The real status comes from Recv; report the stream as gone.
			return &Error{Op: "send", Kind: KindUnavailable, Reason: "stream already ended"}
		}
		return grpcError("send", err)
	}
	return nil
}

func (g *grpcConn) recv() (*contract.Action, error) {
	a, err := g.cs.Recv()
	if err != nil {
		return nil, grpcError("recv", err)
	}
	return a, nil
}

func (g *grpcConn) ping(context.Context) error { return nil }

// close cancels the RPC. (CloseSend would race with a concurrent Send; DWS treats
// a half-close and a cancel alike: the workflow run is cancelled.)
func (g *grpcConn) close() error {
	g.cancel()
	return nil
}

// grpcError classifies a gRPC status the way DWS uses them (§1.5).
func grpcError(op string, err error) error {
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	st, ok := status.FromError(err)
	if !ok {
		return &Error{Op: op, Kind: KindUnavailable, Hint: hintDropped, Err: err}
	}
	e := &Error{Op: op, GRPCCode: st.Code(), Reason: st.Message()}
	switch st.Code() {
	case codes.OK:
		return io.EOF
	case codes.Canceled:
		return ErrStreamClosed
	case codes.Unavailable:
		e.Kind, e.Hint = KindUnavailable, "open a new stream on the same workflow"
		if m := st.Message(); strings.Contains(m, "x509") || strings.Contains(m, "certificate") || strings.Contains(m, "tls:") {
			// A handshake that fails on the certificate fails the same way next time.
			e.Kind, e.Hint = KindOther, "the DWS certificate is not trusted (GRPCOptions.TLSConfig)"
		}
	case codes.InvalidArgument, codes.FailedPrecondition:
		e.Kind = KindInvalid
	case codes.ResourceExhausted:
		if strings.Contains(strings.ToLower(st.Message()), "quota") {
			e.Kind, e.Hint = KindQuota, hintQuota
		} else {
			e.Kind, e.Hint = KindInvalid, "a message exceeded the service's 4 MiB limit"
		}
	case codes.Unauthenticated:
		e.Kind, e.Hint = KindUnauthorized, "DWS refused the token from direct_access; it may have expired: call DirectAccess again"
	case codes.PermissionDenied:
		e.Kind, e.Hint = KindForbidden, hintForbiddenGRPC
	case codes.NotFound, codes.Unimplemented:
		e.Kind = KindNotFound
	case codes.Internal, codes.Unknown, codes.DataLoss:
		e.Kind = KindServer
	default:
		e.Kind = KindOther
	}
	return e
}
