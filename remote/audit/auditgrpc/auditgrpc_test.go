package auditgrpc

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	"gitlab.com/wend/wend/remote/audit"
)

type sink struct {
	mu   sync.Mutex
	recs []audit.Record
}

func (s *sink) Write(r audit.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = append(s.recs, r)
	return nil
}

func (s *sink) all() []audit.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]audit.Record(nil), s.recs...)
}

func TestInterceptorsRecordCallsWithoutMetadata(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	go srv.Serve(ln)
	defer srv.Stop()

	rec := &sink{}
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUnaryInterceptor(UnaryClientInterceptor(rec, "s0")), grpc.WithStreamInterceptor(StreamClientInterceptor(rec, "s0")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)
	ctx := metadata.AppendToOutgoingContext(audit.WithSession(context.Background(), "s1"), "authorization", "Bearer glpat-SECRETSECRETSECRET")
	if _, err := client.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Check(context.Background(), &healthpb.HealthCheckRequest{Service: "nope"}); err == nil {
		t.Fatal("unknown service answered")
	}
	wctx, cancel := context.WithCancel(ctx)
	w, err := client.Watch(wctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Recv(); err != nil {
		t.Fatal(err)
	}
	cancel()
	w.Recv()

	recs := rec.all()
	if len(recs) != 3 {
		t.Fatalf("records %+v", recs)
	}
	ok, notFound, watch := recs[0], recs[1], recs[2]
	if ok.Session != "s1" || ok.Method != Method || ok.Path != "/grpc.health.v1.Health/Check" || ok.Status != 0 || ok.Bytes == 0 {
		t.Errorf("unary ok: %+v", ok)
	}
	if notFound.Session != "s0" || notFound.Error != "NotFound" || notFound.Status != 5 {
		t.Errorf("unary error: %+v", notFound)
	}
	if watch.Path != "/grpc.health.v1.Health/Watch" || watch.Error != "Canceled" || watch.Bytes == 0 {
		t.Errorf("stream: %+v", watch)
	}
	for _, r := range recs {
		if strings.Contains(r.Path+r.Host+r.Error+r.Query, "SECRET") {
			t.Errorf("secret in %+v", r)
		}
	}
}
