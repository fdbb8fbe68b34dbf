package duotest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coder/websocket"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"gitlab.com/wend/wend/remote/duo/contract"
)

// ResponseTimeout is how long the fake waits for an action's response. An
// action may be the sample's `go test`, which took 14-16 s on a loaded 2-core
// CI machine; the fake is there to catch a response that never comes, not a
// slow one.
var ResponseTimeout = 90 * time.Second

// Workhorse's codecs (DUO-WORKFLOW.md §2.1).
var (
	whMarshal   = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}
	whUnmarshal = protojson.UnmarshalOptions{DiscardUnknown: true}
)

// serverConn is one transport's side of a stream.
type serverConn interface {
	transport() string
	recv() (*contract.ClientEvent, []byte, error)
	send(a *contract.Action) error
	sendRaw(text string) error
	fail(f Fault) error // ends the stream abnormally
	end() error         // ends the stream normally
}

type inbound struct {
	ev  *contract.ClientEvent
	raw []byte
}

// serve plays the next StreamScript over c. It returns when the stream is over.
func (s *Server) serve(c serverConn) error {
	first, raw, err := c.recv()
	if err != nil {
		return err
	}
	start := first.GetStartRequest()
	s.mu.Lock()
	s.nextStream++
	n := s.nextStream
	s.received = append(s.received, Received{Stream: n, Transport: c.transport(), Event: first, Raw: raw})
	var sc *StreamScript
	if n <= len(s.script.Streams) {
		sc = &s.script.Streams[n-1]
	}
	var wf *workflow
	if start != nil {
		s.starts = append(s.starts, start)
		wf = s.workflows[start.GetWorkflowID()]
	}
	s.mu.Unlock()

	switch {
	case start == nil:
		s.failf("stream %d: first event is not a startRequest: %v", n, first)
		return c.fail(Fault{Close: 4400, Reason: "first message must be startRequest"})
	case wf == nil:
		s.failf("stream %d: unknown workflow id %q", n, start.GetWorkflowID())
		return c.fail(Fault{Close: 4400, Reason: "invalid workflow ID: " + start.GetWorkflowID()})
	case sc == nil:
		s.failf("stream %d: not in the script (it has %d)", n, len(s.script.Streams))
		return c.fail(Fault{Close: 4400, Reason: "no more scripted streams"})
	}
	s.checkStart(n, sc.ExpectStart, start)
	s.setStatus(wf, "running")

	in := make(chan inbound, 256)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(in)
		for {
			ev, raw, err := c.recv()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.received = append(s.received, Received{Stream: n, Transport: c.transport(), Event: ev, Raw: raw})
			s.mu.Unlock()
			select {
			case in <- inbound{ev, raw}:
			case <-done:
				return
			}
		}
	}()

	st := &streamState{s: s, n: n, wf: wf, incremental: slices.Contains(start.GetClientCapabilities(), "incremental_streaming"), in: in}
	for i, step := range sc.Steps {
		where := fmt.Sprintf("stream %d step %d", n, i+1)
		switch {
		case step.Fault != nil:
			return c.fail(*step.Fault)
		case step.Checkpoint != nil:
			if err := c.send(st.checkpoint(step.Checkpoint)); err != nil {
				return err
			}
		case step.RawAction != "":
			if c.transport() == "grpc" {
				var a contract.Action
				if err := whUnmarshal.Unmarshal([]byte(step.RawAction), &a); err != nil {
					s.failf("%s: raw_action cannot go over gRPC: %v", where, err)
					continue
				}
				if err := c.send(&a); err != nil {
					return err
				}
			} else if err := c.sendRaw(step.RawAction); err != nil {
				return err
			}
			var a contract.Action
			if whUnmarshal.Unmarshal([]byte(step.RawAction), &a) == nil && needsResponse(&a) {
				if !st.await(where, a.GetRequestID(), step.Expect) {
					return c.end()
				}
			}
		default:
			var a contract.Action
			if err := whUnmarshal.Unmarshal(step.Action, &a); err != nil {
				s.failf("%s: bad scripted action: %v", where, err)
				continue
			}
			if a.RequestID == "" {
				a.RequestID = fmt.Sprintf("req-%d-%d", n, i+1)
			}
			if err := c.send(&a); err != nil {
				return err
			}
			if needsResponse(&a) && !st.await(where, a.RequestID, step.Expect) {
				return c.end()
			}
		}
		if st.stopped || st.drainStop() {
			s.setStatus(wf, "stopped")
			return c.end()
		}
	}
	return c.end()
}

func needsResponse(a *contract.Action) bool {
	return a.GetAction() != nil && a.GetNewCheckpoint() == nil
}

func (s *Server) checkStart(n int, want *ExpectStart, got *contract.StartWorkflowRequest) {
	if want == nil {
		return
	}
	if want.Goal != nil && got.GetGoal() != *want.Goal {
		s.failf("stream %d: goal %q, want %q", n, got.GetGoal(), *want.Goal)
	}
	ap := got.GetApproval()
	var have string
	switch {
	case ap == nil:
		have = "none"
	case ap.GetApproval() != nil:
		have = "approved"
	case ap.GetRejection() != nil:
		have = "rejected"
	}
	if want.Approval != "" && have != want.Approval {
		s.failf("stream %d: approval %s, want %s", n, have, want.Approval)
	}
	for _, c := range want.Capabilities {
		if !slices.Contains(got.GetClientCapabilities(), c) {
			s.failf("stream %d: capability %q not declared", n, c)
		}
	}
}

func (s *Server) setStatus(wf *workflow, st string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	wf.entity["status"] = st
}

type streamState struct {
	s           *Server
	n           int
	wf          *workflow
	incremental bool
	lastSent    string // message_id of the last chat entry sent on this stream
	stopped     bool
	in          chan inbound
	cps         int
}

// await waits for the response to requestID, checking it against e. It returns
// false when the stream should end (stop requested, client gone, timeout).
func (st *streamState) await(where, requestID string, e *Expect) bool {
	timer := time.NewTimer(ResponseTimeout)
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
			st.s.failf("%s: no response to %s within %v", where, requestID, ResponseTimeout)
			return false
		case m, ok := <-st.in:
			if !ok {
				st.s.failf("%s: client went away before answering %s", where, requestID)
				return false
			}
			switch {
			case m.ev.GetStopWorkflow() != nil:
				st.stopped = true
				return false
			case m.ev.GetActionResponse() != nil:
				r := m.ev.GetActionResponse()
				if r.GetRequestID() != requestID {
					// DWS drops responses to unknown ids; record it.
					st.s.failf("%s: response for request %q while waiting for %q", where, r.GetRequestID(), requestID)
					continue
				}
				st.s.check(where, r, e)
				return true
			case m.ev.GetStartRequest() != nil:
				st.s.failf("%s: second startRequest on one stream", where)
			}
		}
	}
}

// drainStop consumes queued events without blocking and reports a stop request.
func (st *streamState) drainStop() bool {
	for {
		select {
		case m, ok := <-st.in:
			if !ok {
				return false
			}
			if m.ev.GetStopWorkflow() != nil {
				st.stopped = true
				return true
			}
			if r := m.ev.GetActionResponse(); r != nil {
				st.s.failf("stream %d: unexpected response for request %q", st.n, r.GetRequestID())
			}
		default:
			return false
		}
	}
}

func (s *Server) check(where string, r *contract.ActionResponse, e *Expect) {
	if e == nil {
		return
	}
	var text, errText string
	switch {
	case e.HTTP:
		h := r.GetHttpResponse()
		if h == nil {
			s.failf("%s: want an httpResponse, got %v", where, r)
			return
		}
		text, errText = h.GetBody(), h.GetError()
	default:
		p := r.GetPlainTextResponse()
		if p == nil {
			s.failf("%s: want a plainTextResponse, got %v", where, r)
			return
		}
		text, errText = p.GetResponse(), p.GetError()
	}
	if e.Contains != "" && !strings.Contains(text, e.Contains) {
		s.failf("%s: response %q does not contain %q", where, text, e.Contains)
	}
	if e.Error != nil && *e.Error != (errText != "") {
		s.failf("%s: error %q, want error=%v", where, errText, *e.Error)
	}
}

// checkpoint builds a newCheckpoint from the workflow's chat state, as DWS's
// notifier does (§1.4).
func (st *streamState) checkpoint(cp *Checkpoint) *contract.Action {
	s := st.s
	s.mu.Lock()
	for _, e := range cp.UIChatLog {
		id, _ := e["message_id"].(string)
		i := -1
		if id != "" {
			i = slices.IndexFunc(st.wf.log, func(x map[string]any) bool { return x["message_id"] == id })
		}
		if i >= 0 {
			st.wf.log[i] = e
		} else {
			st.wf.log = append(st.wf.log, e)
		}
	}
	if cp.PlanSteps != nil {
		st.wf.plan = cp.PlanSteps
	}
	send := st.wf.log
	if st.incremental && st.lastSent != "" {
		if i := slices.IndexFunc(send, func(x map[string]any) bool { return x["message_id"] == st.lastSent }); i >= 0 {
			send = send[i:]
		}
	}
	if len(st.wf.log) > 0 {
		st.lastSent, _ = st.wf.log[len(st.wf.log)-1]["message_id"].(string)
	}
	plan := st.wf.plan
	if plan == nil {
		plan = []map[string]any{}
	}
	cv := map[string]any{"ui_chat_log": send, "plan": map[string]any{"steps": plan}}
	for k, v := range cp.Extra {
		cv[k] = v
	}
	if rs := statusOf(cp.Status); rs != "" {
		st.wf.entity["status"] = rs
	}
	s.mu.Unlock()
	body, _ := json.Marshal(map[string]any{"channel_values": cv})
	st.cps++
	nc := &contract.NewCheckpoint{Status: cp.Status, Checkpoint: string(body), Goal: cp.Goal, Errors: cp.Errors}
	if len(cp.Usage) > 0 {
		nc.AgentContextUsage = map[string]*contract.TokenBreakdown{}
		for k, v := range cp.Usage {
			nc.AgentContextUsage[k] = &contract.TokenBreakdown{TotalTokens: v[0], MaxTokens: v[1]}
		}
	}
	return &contract.Action{RequestID: fmt.Sprintf("cp-%d-%d", st.n, st.cps), Action: &contract.Action_NewCheckpoint{NewCheckpoint: nc}}
}

// statusOf maps a checkpoint status to the Rails status name.
func statusOf(cp string) string { return strings.ToLower(cp) }

// ---- WebSocket (Workhorse) ----

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	// Workhorse's upgrader requires Origin to match the host.
	if o := r.Header.Get("Origin"); o != "http://"+r.Host {
		writeJSON(w, http.StatusForbidden, map[string]any{"message": "request origin not allowed by Upgrader.CheckOrigin"})
		return
	}
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	conn.SetReadLimit(64 << 20)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	_ = s.serve(&wsServerConn{ctx: ctx, c: conn})
}

type wsServerConn struct {
	ctx context.Context
	c   *websocket.Conn
}

func (w *wsServerConn) transport() string { return "websocket" }

func (w *wsServerConn) recv() (*contract.ClientEvent, []byte, error) {
	for {
		_, data, err := w.c.Read(w.ctx)
		if err != nil {
			return nil, nil, err
		}
		var ev contract.ClientEvent
		if err := whUnmarshal.Unmarshal(data, &ev); err != nil {
			continue // Workhorse logs and skips undecodable frames
		}
		return &ev, data, nil
	}
}

func (w *wsServerConn) send(a *contract.Action) error {
	b, err := whMarshal.Marshal(a)
	if err != nil {
		return err
	}
	return w.c.Write(w.ctx, websocket.MessageBinary, b)
}

func (w *wsServerConn) sendRaw(text string) error {
	return w.c.Write(w.ctx, websocket.MessageBinary, []byte(text))
}

func (w *wsServerConn) fail(f Fault) error {
	if f.Drop {
		return w.c.CloseNow()
	}
	return w.c.Close(websocket.StatusCode(f.Close), f.Reason)
}

func (w *wsServerConn) end() error { return w.c.Close(websocket.StatusNormalClosure, "") }

// ---- gRPC (DWS) ----

type grpcService struct {
	contract.UnimplementedDuoWorkflowServer
	s *Server
}

func (g *grpcService) ExecuteWorkflow(stream grpc.BidiStreamingServer[contract.ClientEvent, contract.Action]) error {
	md, _ := metadata.FromIncomingContext(stream.Context())
	g.s.mu.Lock()
	g.s.grpcMD = append(g.s.grpcMD, md.Copy())
	g.s.mu.Unlock()
	if v := md.Get("authorization"); len(v) != 1 || v[0] != "Bearer "+g.s.ServiceToken {
		return status.Error(codes.Unauthenticated, "invalid or missing token")
	}
	c := &grpcServerConn{stream: stream}
	err := g.s.serve(c)
	if c.status != nil {
		return c.status
	}
	return err
}

type grpcServerConn struct {
	stream grpc.BidiStreamingServer[contract.ClientEvent, contract.Action]
	status error
}

func (g *grpcServerConn) transport() string { return "grpc" }

func (g *grpcServerConn) recv() (*contract.ClientEvent, []byte, error) {
	ev, err := g.stream.Recv()
	if err != nil {
		return nil, nil, err
	}
	return ev, nil, nil
}

func (g *grpcServerConn) send(a *contract.Action) error { return g.stream.Send(proto.CloneOf(a)) }

func (g *grpcServerConn) sendRaw(string) error { return errors.New("raw frames need the WebSocket") }

func (g *grpcServerConn) fail(f Fault) error {
	switch {
	case f.Drop:
		g.status = status.Error(codes.Unavailable, "connection dropped")
	case f.Close == 1001:
		g.status = status.Error(codes.Unavailable, f.Reason)
	case f.Close == 4400:
		g.status = status.Error(codes.InvalidArgument, f.Reason)
	case f.Close == 1008:
		g.status = status.Error(codes.ResourceExhausted, f.Reason)
	default:
		g.status = status.Error(codes.Internal, f.Reason)
	}
	return nil
}

func (g *grpcServerConn) end() error { return nil }
