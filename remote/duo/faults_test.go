package duo_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/duo"
	"gitlab.com/wend/wend/remote/duo/contract"
	"gitlab.com/wend/wend/remote/duo/duotest"
)

func cp(status string) duotest.Step {
	return duotest.Step{Checkpoint: &duotest.Checkpoint{Status: status}}
}

func readStep(expect string) duotest.Step {
	return duotest.Step{Action: []byte(`{"runReadFile":{"filepath":"main.go"}}`), Expect: &duotest.Expect{Contains: expect}}
}

// startOn creates a workflow and opens a stream over the named transport.
func startOn(t *testing.T, srv *duotest.Server, transport string) (*duo.Client, duo.Transport, *duo.Stream, *contract.StartWorkflowRequest) {
	t.Helper()
	c := newClient(t, srv)
	var tr duo.Transport
	for _, tc := range transports {
		if tc.name == transport {
			tr = tc.make(t, c)
		}
	}
	wf, err := c.CreateWorkflow(context.Background(), duo.CreateWorkflowOptions{ProjectID: "7", Goal: "g"})
	if err != nil {
		t.Fatal(err)
	}
	start := c.StartRequest(duo.StartOptions{WorkflowID: itoa(wf.ID), Goal: "g"})
	s, err := tr.Open(context.Background(), start)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return c, tr, s, start
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestGoingAwayThenReconnect(t *testing.T) {
	for _, tc := range []struct {
		name, transport string
		fault           duotest.Fault
	}{
		{"websocket 1001", "websocket", duotest.Fault{Close: 1001, Reason: "server shutdown"}},
		{"websocket dropped", "websocket", duotest.Fault{Drop: true}},
		{"grpc unavailable", "grpc", duotest.Fault{Close: 1001, Reason: "WORKHORSE_SERVER_SHUTDOWN"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := duotest.New(t, &duotest.Script{Streams: []duotest.StreamScript{
				{Steps: []duotest.Step{cp("RUNNING"), readStep("package main"), {Fault: &tc.fault}}},
				{ExpectStart: &duotest.ExpectStart{Goal: duotest.String("g")}, Steps: []duotest.Step{readStep("package main"), cp("FINISHED")}},
			}})
			_, tr, s, start := startOn(t, srv, tc.transport)
			tracker := &duo.Tracker{Incremental: true}
			t1 := runTurn(t, s, tracker)
			t.Log(t1.end)
			if !duo.IsRetryable(t1.end) || duo.KindOf(t1.end) != duo.KindUnavailable {
				t.Fatalf("stream ended with %v (kind %v), want a retryable unavailable error", t1.end, duo.KindOf(t1.end))
			}
			if tc.fault.Reason != "" && !strings.Contains(t1.end.Error(), tc.fault.Reason) {
				t.Errorf("error %q does not carry the reason %q", t1.end, tc.fault.Reason)
			}
			_ = s.Close()

			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if s.StartRequest() != start {
				t.Fatal("StartRequest is not the request that opened the stream")
			}
			s2, err := duo.Reconnect(ctx, tr, s.StartRequest(), duo.Backoff{Initial: 10 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			t2 := runTurn(t, s2, tracker)
			if !errors.Is(t2.end, io.EOF) || tracker.Status != duo.StatusFinished {
				t.Fatalf("second stream ended with %v, status %q", t2.end, tracker.Status)
			}
			starts := srv.Starts()
			if len(starts) != 2 || starts[1].GetWorkflowID() != starts[0].GetWorkflowID() {
				t.Errorf("reconnect did not resume the same workflow: %v", starts)
			}
			if f := srv.Failures(); len(f) > 0 {
				t.Errorf("fake failures: %v", f)
			}
		})
	}
}

func TestInvalidRequestIsNotRetried(t *testing.T) {
	const reason = "workflow execution failure: goal is required when resuming"
	for _, transport := range []string{"websocket", "grpc"} {
		t.Run(transport, func(t *testing.T) {
			srv := duotest.New(t, &duotest.Script{Streams: []duotest.StreamScript{
				{Steps: []duotest.Step{{Fault: &duotest.Fault{Close: 4400, Reason: reason}}}},
			}})
			_, _, s, _ := startOn(t, srv, transport)
			_, err := s.Recv(context.Background())
			t.Log(err)
			var e *duo.Error
			if !errors.As(err, &e) || e.Kind != duo.KindInvalid || e.Retryable() {
				t.Fatalf("got %v, want a non-retryable invalid-request error", err)
			}
			if !strings.Contains(err.Error(), reason) {
				t.Errorf("error %q does not show the service's reason", err)
			}
			if transport == "websocket" && e.CloseCode != 4400 {
				t.Errorf("close code %d", e.CloseCode)
			}
			// Reconnect gives up at once on a non-retryable error.
			if _, err2 := s.Recv(context.Background()); !errors.Is(err2, err) {
				t.Errorf("Recv after the end: %v, want the same error", err2)
			}
		})
	}
}

func TestUnknownWorkflow(t *testing.T) {
	for _, transport := range []string{"websocket", "grpc"} {
		t.Run(transport, func(t *testing.T) {
			srv := duotest.New(t, &duotest.Script{Streams: []duotest.StreamScript{{}}})
			c := newClient(t, srv)
			var tr duo.Transport
			for _, tc := range transports {
				if tc.name == transport {
					tr = tc.make(t, c)
				}
			}
			s, err := c.Start(context.Background(), duo.StartOptions{WorkflowID: "424242", Goal: "g", Transport: tr})
			if err == nil {
				_, err = s.Recv(context.Background())
				s.Close()
			}
			if duo.KindOf(err) != duo.KindInvalid || !strings.Contains(err.Error(), "invalid workflow ID: 424242") {
				t.Errorf("got %v", err)
			}
		})
	}
}

func TestReconnectStopsOnPermanentError(t *testing.T) {
	srv := duotest.New(t, &duotest.Script{})
	c := newClient(t, srv)
	tr := c.WebSocket(duo.WebSocketOptions{})
	srv.FailHTTP("GET", "/api/v4/ai/duo_workflows/ws", http.StatusUnauthorized, "401 Unauthorized")
	_, err := duo.Reconnect(context.Background(), tr, &contract.StartWorkflowRequest{WorkflowID: "1"}, duo.Backoff{Initial: time.Millisecond})
	if duo.KindOf(err) != duo.KindUnauthorized {
		t.Fatalf("got %v", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}

	srv.ClearHTTPFaults()
	srv.FailHTTP("GET", "/api/v4/ai/duo_workflows/ws", http.StatusServiceUnavailable, "")
	_, err = duo.Reconnect(context.Background(), tr, &contract.StartWorkflowRequest{WorkflowID: "1"}, duo.Backoff{Attempts: 3, Initial: time.Millisecond})
	if !duo.IsRetryable(err) {
		t.Fatalf("got %v", err)
	}
	if n := len(srv.Requests()); n != 1+3 {
		t.Errorf("%d requests, want 1+3 attempts", n)
	}
}

func TestQuotaExceeded(t *testing.T) {
	for _, transport := range []string{"websocket", "grpc"} {
		t.Run(transport, func(t *testing.T) {
			srv := duotest.New(t, &duotest.Script{Streams: []duotest.StreamScript{
				{Steps: []duotest.Step{cp("RUNNING"), {Fault: &duotest.Fault{Close: 1008, Reason: "USAGE_QUOTA_EXCEEDED"}}}},
			}})
			_, _, s, _ := startOn(t, srv, transport)
			turn := runTurn(t, s, &duo.Tracker{})
			if duo.KindOf(turn.end) != duo.KindQuota || duo.IsRetryable(turn.end) {
				t.Fatalf("got %v, want a quota error", turn.end)
			}
			if !strings.Contains(turn.end.Error(), "quota") {
				t.Errorf("message %q", turn.end)
			}
		})
	}
}

func TestUnknownFieldsAccepted(t *testing.T) {
	for _, transport := range []string{"websocket", "grpc"} {
		t.Run(transport, func(t *testing.T) {
			srv := duotest.New(t, &duotest.Script{Streams: []duotest.StreamScript{{Steps: []duotest.Step{
				{RawAction: `{"requestID":"r-new","runReadFile":{"filepath":"main.go","future_option":true},"brandNewTopLevel":{"x":1}}`,
					Expect: &duotest.Expect{Contains: "package main"}},
				{Checkpoint: &duotest.Checkpoint{Status: "FINISHED",
					UIChatLog: []map[string]any{{"message_id": "a", "message_type": "agent", "content": 42, "new_key": []int{1}, "tool_info": map[string]any{"name": "x", "args": map[string]any{}, "later": 1}}},
					Extra:     map[string]any{"node_events": []any{map[string]any{"k": "v"}}, "future_channel": "x"}}},
			}}}})
			_, _, s, _ := startOn(t, srv, transport)
			tracker := &duo.Tracker{Incremental: true}
			turn := runTurn(t, s, tracker)
			if !errors.Is(turn.end, io.EOF) {
				t.Fatalf("ended with %v", turn.end)
			}
			if len(turn.actions) != 2 || turn.actions[0].GetRequestID() != "r-new" || turn.actions[0].GetRunReadFile().GetFilepath() != "main.go" {
				t.Errorf("actions %v", turn.actions)
			}
			if es := tracker.Log.Entries(); len(es) != 1 || es[0].Content != "42" || es[0].ToolInfo.Name != "x" {
				t.Errorf("log %+v", es)
			}
			if f := srv.Failures(); len(f) > 0 {
				t.Errorf("fake failures: %v", f)
			}
		})
	}
}

func TestNonJSONFrame(t *testing.T) {
	srv := duotest.New(t, &duotest.Script{Streams: []duotest.StreamScript{{Steps: []duotest.Step{
		{RawAction: "<html><body>502 Bad Gateway</body></html>"},
		cp("FINISHED"),
	}}}})
	_, _, s, _ := startOn(t, srv, "websocket")
	_, err := s.Recv(context.Background())
	t.Log(err)
	if duo.KindOf(err) != duo.KindMalformed {
		t.Fatalf("got %v, want a malformed-frame error", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "not JSON") || !strings.Contains(msg, "<html><body>502") {
		t.Errorf("message %q should say the frame is not JSON and show its first bytes", msg)
	}
	// One bad frame does not end the stream.
	a, err := s.Recv(context.Background())
	if err != nil || a.GetNewCheckpoint().GetStatus() != "FINISHED" {
		t.Fatalf("after the bad frame: %v, %v", a, err)
	}
	if _, err := s.Recv(context.Background()); !errors.Is(err, io.EOF) {
		t.Errorf("end: %v", err)
	}
}

func TestStop(t *testing.T) {
	srv := duotest.New(t, &duotest.Script{Streams: []duotest.StreamScript{{Steps: []duotest.Step{
		cp("RUNNING"), readStep(""), cp("RUNNING"), readStep(""),
	}}}})
	_, _, s, _ := startOn(t, srv, "websocket")
	ctx := context.Background()
	if a, err := s.Recv(ctx); err != nil || a.GetNewCheckpoint() == nil {
		t.Fatal(a, err)
	}
	a, err := s.Recv(ctx)
	if err != nil || a.GetRunReadFile() == nil {
		t.Fatal(a, err)
	}
	if err := s.Stop(ctx, "user stopped"); err != nil {
		t.Fatal(err)
	}
	for err == nil {
		_, err = s.Recv(ctx)
	}
	if !errors.Is(err, io.EOF) {
		t.Fatalf("after stop: %v", err)
	}
	var stop *contract.StopWorkflowRequest
	for _, r := range srv.Received() {
		if r.Event.GetStopWorkflow() != nil {
			stop = r.Event.GetStopWorkflow()
		}
	}
	if stop.GetReason() != "user stopped" {
		t.Errorf("stop received: %v", stop)
	}
	if err := s.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if _, err := s.Recv(ctx); !errors.Is(err, io.EOF) && !errors.Is(err, duo.ErrStreamClosed) {
		t.Errorf("Recv after Close: %v", err)
	}
	if err := s.Respond(ctx, "x", "", nil); !errors.Is(err, duo.ErrStreamClosed) {
		t.Errorf("Send after Close: %v", err)
	}
}

func TestHTTPErrors(t *testing.T) {
	const create = "/api/v4/ai/duo_workflows/workflows"
	const ws = "/api/v4/ai/duo_workflows/ws"
	for _, tc := range []struct {
		name       string
		path       string
		status     int
		message    string
		kind       duo.Kind
		wantInText []string
	}{
		{"create 401", create, 401, "401 Unauthorized", duo.KindUnauthorized, []string{"HTTP 401", "401 Unauthorized", "api scope"}},
		{"create 403", create, 403, "403 Forbidden", duo.KindForbidden, []string{"HTTP 403", "ai_workflows-only", "not enabled"}},
		{"create 404", create, 404, "404 Not Found", duo.KindNotFound, []string{"HTTP 404", "Duo Agent Platform", "18.7"}},
		{"ws 401", ws, 401, "401 Unauthorized", duo.KindUnauthorized, []string{"open websocket", "HTTP 401", "expired"}},
		{"ws 403", ws, 403, "request origin not allowed by Upgrader.CheckOrigin", duo.KindForbidden, []string{"open websocket", "CheckOrigin", "Origin matches"}},
		{"ws 404", ws, 404, "404 Not Found", duo.KindNotFound, []string{"open websocket", "Duo Agent Platform"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := duotest.New(t, &duotest.Script{HTTPFaults: []duotest.HTTPFault{{Path: tc.path, Status: tc.status, Message: tc.message}}})
			c := newClient(t, srv)
			var err error
			if tc.path == create {
				_, err = c.Start(context.Background(), duo.StartOptions{ProjectID: "1", Goal: "g"})
			} else {
				_, err = c.Start(context.Background(), duo.StartOptions{WorkflowID: "1", Goal: "g"})
			}
			t.Log(err)
			var e *duo.Error
			if !errors.As(err, &e) || e.Kind != tc.kind || e.HTTPStatus != tc.status || e.Retryable() {
				t.Fatalf("got %v, want kind %v", err, tc.kind)
			}
			for _, w := range tc.wantInText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not mention %q", err, w)
				}
			}
		})
	}

	t.Run("wrong token", func(t *testing.T) {
		srv := duotest.New(t, nil)
		c, err := duo.New(duo.Options{BaseURL: srv.URL, Token: "nope"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateWorkflow(context.Background(), duo.CreateWorkflowOptions{ProjectID: "1"}); duo.KindOf(err) != duo.KindUnauthorized {
			t.Errorf("got %v", err)
		}
	})
	t.Run("grpc unauthenticated", func(t *testing.T) {
		srv := duotest.New(t, nil)
		c := newClient(t, srv)
		da, err := c.DirectAccess(context.Background(), duo.DirectAccessOptions{})
		if err != nil {
			t.Fatal(err)
		}
		da.Service.Token = "expired"
		tr, err := duo.NewGRPCTransport(duo.GRPCOptions{Access: da})
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		s, err := tr.Open(context.Background(), &contract.StartWorkflowRequest{WorkflowID: "1"})
		if err == nil {
			_, err = s.Recv(context.Background())
			s.Close()
		}
		if duo.KindOf(err) != duo.KindUnauthorized || !strings.Contains(err.Error(), "DirectAccess again") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("direct_access 429", func(t *testing.T) {
		srv := duotest.New(t, &duotest.Script{HTTPFaults: []duotest.HTTPFault{{Path: "/api/v4/ai/duo_workflows/direct_access", Status: 429}}})
		_, err := newClient(t, srv).DirectAccess(context.Background(), duo.DirectAccessOptions{})
		if duo.KindOf(err) != duo.KindRateLimited || !duo.IsRetryable(err) {
			t.Errorf("got %v", err)
		}
	})
}

func TestGRPCOverTLS(t *testing.T) {
	srv := duotest.New(t, &duotest.Script{Streams: []duotest.StreamScript{{Steps: []duotest.Step{readStep("package main"), cp("FINISHED")}}}},
		duotest.WithGRPCTLS())
	c := newClient(t, srv)
	ctx := context.Background()
	da, err := c.DirectAccess(ctx, duo.DirectAccessOptions{})
	if err != nil || !da.Service.Secure {
		t.Fatalf("direct access %+v, %v", da, err)
	}
	// Without trusting the fake's certificate the handshake fails.
	untrusted, err := duo.NewGRPCTransport(duo.GRPCOptions{Access: da})
	if err != nil {
		t.Fatal(err)
	}
	defer untrusted.Close()
	s, err := c.Start(ctx, duo.StartOptions{ProjectID: "1", Goal: "g", Transport: untrusted})
	if err == nil {
		_, err = s.Recv(ctx)
		s.Close()
	}
	t.Log(err)
	if err == nil || errors.Is(err, io.EOF) || duo.IsRetryable(err) || !strings.Contains(err.Error(), "not trusted") {
		t.Fatalf("untrusted certificate: got %v, want a non-retryable TLS error", err)
	}
	tr, err := duo.NewGRPCTransport(duo.GRPCOptions{Access: da, TLSConfig: &tls.Config{RootCAs: srv.GRPCRootCAs, MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	s, err = c.Start(ctx, duo.StartOptions{ProjectID: "1", Goal: "g", Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tracker := &duo.Tracker{Incremental: true}
	if turn := runTurn(t, s, tracker); !errors.Is(turn.end, io.EOF) || tracker.Status != duo.StatusFinished {
		t.Fatalf("over TLS: %v, %q", turn.end, tracker.Status)
	}
	if f := srv.Failures(); len(f) > 0 {
		t.Errorf("fake failures: %v", f)
	}
}
