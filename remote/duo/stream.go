package duo

import (
	"context"
	"errors"
	"sync"
	"time"

	"gitlab.com/wend/wend/remote/duo/contract"
)

// Transport opens one ExecuteWorkflow stream and sends start as its first event.
// The WebSocket (Client.WebSocket) and direct gRPC (NewGRPCTransport) transports
// both implement it, so executors and checkpoint handling do not care which is used.
// ctx bounds the opening only.
type Transport interface {
	Open(ctx context.Context, start *contract.StartWorkflowRequest) (*Stream, error)
}

// ErrStreamClosed is returned by Recv and Send after Close.
var ErrStreamClosed = errors.New("duo: stream closed")

// Default keepalive periods, matching gitlab-lsp (DUO-WORKFLOW.md §2.1).
const (
	DefaultHeartbeatInterval = 60 * time.Second
	DefaultPingInterval      = 45 * time.Second
)

// frameConn is one transport's connection. recv is called from a single goroutine;
// send is serialised by Stream.
type frameConn interface {
	send(ctx context.Context, ev *contract.ClientEvent) error
	// recv blocks for the next Action. It returns io.EOF when the service ended the
	// stream normally, a *Error otherwise; a *Error of KindMalformed is not fatal.
	recv() (*contract.Action, error)
	// ping checks liveness (WebSocket ping/pong); nil where the transport has none.
	ping(ctx context.Context) error
	close() error
}

type recvItem struct {
	a   *contract.Action
	err error
}

// Stream is one open ExecuteWorkflow stream. Recv is for one goroutine; Send and the
// Respond helpers may be called from any goroutine. A background reader keeps
// reading frames into an unbounded queue so that keepalive pings are answered while
// the executor is busy with a long action; a second goroutine sends JSON
// heartbeats (and WebSocket pings) until Close.
type Stream struct {
	// Workflow is set when Client.Start created the workflow.
	Workflow *Workflow

	start *contract.StartWorkflowRequest
	conn  frameConn

	sendMu sync.Mutex

	mu     sync.Mutex
	queue  []recvItem // a fatal error stays at the head once reached, so Recv repeats it
	notify chan struct{}
	ended  chan struct{} // closed when the reader stops; keepalives stop with it

	closeOnce sync.Once
	closed    chan struct{}
	done      sync.WaitGroup
}

type keepalive struct {
	heartbeat, ping time.Duration
}

func newStream(start *contract.StartWorkflowRequest, c frameConn, ka keepalive) *Stream {
	s := &Stream{start: start, conn: c, notify: make(chan struct{}, 1), closed: make(chan struct{}), ended: make(chan struct{})}
	s.done.Add(2)
	go s.readLoop()
	go s.keepaliveLoop(ka)
	return s
}

// WorkflowID is the workflow this stream runs.
func (s *Stream) WorkflowID() string { return s.start.GetWorkflowID() }

// StartRequest is the startRequest that opened the stream (for Reconnect). Do not
// modify it.
func (s *Stream) StartRequest() *contract.StartWorkflowRequest { return s.start }

func (s *Stream) readLoop() {
	defer s.done.Done()
	defer close(s.ended)
	for {
		a, err := s.conn.recv()
		s.mu.Lock()
		select {
		case <-s.closed:
			err = ErrStreamClosed
		default:
		}
		s.queue = append(s.queue, recvItem{a, err})
		fatal := err != nil && KindOf(err) != KindMalformed
		s.mu.Unlock()
		select {
		case s.notify <- struct{}{}:
		default:
		}
		if fatal {
			return
		}
	}
}

func (s *Stream) keepaliveLoop(ka keepalive) {
	defer s.done.Done()
	hb := time.NewTicker(ka.heartbeat)
	defer hb.Stop()
	var pingC <-chan time.Time
	if ka.ping > 0 {
		pt := time.NewTicker(ka.ping)
		defer pt.Stop()
		pingC = pt.C
	}
	for {
		select {
		case <-s.closed:
			return
		case <-s.ended:
			return
		case t := <-hb.C:
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_ = s.Send(ctx, &contract.ClientEvent{Response: &contract.ClientEvent_Heartbeat{
				Heartbeat: &contract.HeartbeatRequest{Timestamp: t.UnixMilli()}}})
			cancel()
		case <-pingC:
			// Workhorse drops a client after 30 s without a pong; hold ours to the same.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_ = s.conn.ping(ctx) // a failed ping drops the connection; the reader reports it
			cancel()
		}
	}
}

// Recv returns the next Action. It returns io.EOF when the service ended the
// stream normally (the turn is over: open a new stream for the next one), and a
// *Error when it ended otherwise; IsRetryable tells whether Reconnect may help. A
// KindMalformed error is reported for one bad frame; the stream goes on.
func (s *Stream) Recv(ctx context.Context) (*contract.Action, error) {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			it := s.queue[0]
			if it.err == nil || KindOf(it.err) == KindMalformed {
				s.queue = s.queue[1:]
			}
			s.mu.Unlock()
			return it.a, it.err
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.notify:
		case <-s.closed:
			s.mu.Lock()
			n := len(s.queue)
			s.mu.Unlock()
			if n == 0 {
				return nil, ErrStreamClosed
			}
		}
	}
}

// Send sends one ClientEvent.
func (s *Stream) Send(ctx context.Context, ev *contract.ClientEvent) error {
	select {
	case <-s.closed:
		return ErrStreamClosed
	default:
	}
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	return s.conn.send(ctx, ev)
}

// Respond answers an action with a plain-text result. A non-nil execErr makes the
// tool fail on the service side; text is still shown (e.g. command output).
func (s *Stream) Respond(ctx context.Context, requestID, text string, execErr error) error {
	r := &contract.PlainTextResponse{Response: text}
	if execErr != nil {
		r.Error = execErr.Error()
	}
	return s.Send(ctx, &contract.ClientEvent{Response: &contract.ClientEvent_ActionResponse{
		ActionResponse: &contract.ActionResponse{RequestID: requestID,
			ResponseType: &contract.ActionResponse_PlainTextResponse{PlainTextResponse: r}}}})
}

// RespondHTTP answers a runHTTPRequest action.
func (s *Stream) RespondHTTP(ctx context.Context, requestID string, r *contract.HttpResponse) error {
	return s.Send(ctx, &contract.ClientEvent{Response: &contract.ClientEvent_ActionResponse{
		ActionResponse: &contract.ActionResponse{RequestID: requestID,
			ResponseType: &contract.ActionResponse_HttpResponse{HttpResponse: r}}}})
}

// RespondNotification answers a scheduleNotification action.
func (s *Stream) RespondNotification(ctx context.Context, requestID string, r *contract.ScheduleNotificationResponse) error {
	return s.Send(ctx, &contract.ClientEvent{Response: &contract.ClientEvent_ActionResponse{
		ActionResponse: &contract.ActionResponse{RequestID: requestID,
			ResponseType: &contract.ActionResponse_ScheduleNotificationResponse{ScheduleNotificationResponse: r}}}})
}

// Stop asks the service to stop the workflow gracefully; keep calling Recv until
// io.EOF, then Close.
func (s *Stream) Stop(ctx context.Context, reason string) error {
	return s.Send(ctx, &contract.ClientEvent{Response: &contract.ClientEvent_StopWorkflow{
		StopWorkflow: &contract.StopWorkflowRequest{Reason: reason}}})
}

// Close ends the stream and waits for its goroutines. Closing before the service
// ended the turn stops the workflow (Workhorse relays a close as stopWorkflow).
func (s *Stream) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.mu.Lock()
		close(s.closed)
		s.mu.Unlock()
		err = s.conn.close()
		s.done.Wait()
	})
	return err
}
