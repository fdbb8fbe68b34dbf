package rpc

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"gitlab.com/wend/wend/session"
)

// Client is a session.Backend and a session.Review on the far side of a
// socket. Safe for concurrent use.
type Client struct {
	cc      *grpc.ClientConn
	role    Role
	session string
}

var (
	_ session.Backend = (*Client)(nil)
	_ session.Review  = (*Client)(nil)
)

// Dial connects to the session served at path and says hello: control asks to
// drive it (granted unless another client drives it already; see Role). It fails
// at once when nothing serves the socket.
func Dial(ctx context.Context, path string, control bool) (*Client, error) {
	c, err := connect(path)
	if err != nil {
		return nil, err
	}
	cc := c.cc
	var rep helloReply
	if err := c.invoke(ctx, "Hello", &helloRequest{Control: control}, &rep); err != nil {
		cc.Close()
		return nil, err
	}
	c.role, c.session = rep.Role, rep.Session
	return c, nil
}

func connect(path string) (*Client, error) {
	cc, err := grpc.NewClient("unix://"+path,
		grpc.WithTransportCredentials(&peerCreds{owner: ownUID()}),
		grpc.WithInitialWindowSize(window), grpc.WithInitialConnWindowSize(window),
		grpc.WithDefaultCallOptions(grpc.CallContentSubtype(codecName), grpc.MaxCallRecvMsgSize(maxMessage)))
	if err != nil {
		return nil, err
	}
	return &Client{cc: cc}, nil
}

// Probe asks the server at path how it stands, without attaching.
func Probe(ctx context.Context, path string) (Status, error) {
	var st Status
	c, err := connect(path)
	if err != nil {
		return st, err
	}
	defer c.Close()
	err = c.invoke(ctx, "Status", &empty{}, &st)
	return st, err
}

// Role is what the server granted at hello: RoleWatch when another client
// already controls the session.
func (c *Client) Role() Role { return c.role }

// Session is the id of the session served.
func (c *Client) Session() string { return c.session }

// Close drops the connection; for the server that is a detach.
func (c *Client) Close() error { return c.cc.Close() }

func (c *Client) invoke(ctx context.Context, name string, in, out any) error {
	return fromStatus(c.cc.Invoke(ctx, "/"+serviceName+"/"+name, in, out))
}

// fromStatus gives back the error the Backend returned, as far as it can be
// told: its message, and session.ErrNotPending itself.
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch st.Code() {
	case notPendingCode:
		return session.ErrNotPending
	case codes.Canceled:
		return context.Canceled
	case codes.DeadlineExceeded:
		return context.DeadlineExceeded
	case codes.Unavailable:
		return fmt.Errorf("the session's host is not answering (it may have ended; see wend sessions): %s", st.Message())
	}
	return errors.New(st.Message())
}

func (c *Client) Start(ctx context.Context, task session.Task) error {
	return c.invoke(ctx, "Start", &startRequest{Task: task}, &empty{})
}
func (c *Client) Pause(ctx context.Context) error { return c.invoke(ctx, "Pause", &empty{}, &empty{}) }
func (c *Client) Resume(ctx context.Context) error {
	return c.invoke(ctx, "Resume", &empty{}, &empty{})
}
func (c *Client) Stop(ctx context.Context) error { return c.invoke(ctx, "Stop", &empty{}, &empty{}) }
func (c *Client) EditPlan(ctx context.Context, e session.PlanEdit) error {
	return c.invoke(ctx, "EditPlan", &editPlanRequest{Edit: e}, &empty{})
}
func (c *Client) Adjust(ctx context.Context, text string) (string, error) {
	var rep adjustReply
	err := c.invoke(ctx, "Adjust", &adjustRequest{Text: text}, &rep)
	return rep.ID, err
}
func (c *Client) Withdraw(ctx context.Context, id string) error {
	return c.invoke(ctx, "Withdraw", &withdrawRequest{ID: id}, &empty{})
}
func (c *Client) Resolve(ctx context.Context, d session.Decision) error {
	return c.invoke(ctx, "Resolve", &resolveRequest{Decision: d}, &empty{})
}

// Changes is the session's proposed changes (the review's list).
func (c *Client) Changes(ctx context.Context) ([]session.FileChange, error) {
	var rep changesReply
	err := c.invoke(ctx, "Changes", &empty{}, &rep)
	return rep.Files, err
}

// ChangeContent is one file's proposed content ("modify in $EDITOR").
func (c *Client) ChangeContent(ctx context.Context, path string) (string, error) {
	var rep contentReply
	err := c.invoke(ctx, "Content", &contentRequest{Path: path}, &rep)
	return rep.Content, err
}

// Decide applies a review decision (accept, reject, modify, undo); only the
// controlling client may.
func (c *Client) Decide(ctx context.Context, d session.Decision) error {
	return c.invoke(ctx, "Decide", &resolveRequest{Decision: d}, &empty{})
}

// EventRange reads the session's recorded events from..to (at most 4,096 of
// them) from the host's store: the UI's transcript pages its far past with it
// (ui.History).
func (c *Client) EventRange(ctx context.Context, from, to int64) ([]session.Event, error) {
	var rep eventBatch
	err := c.invoke(ctx, "EventRange", &rangeRequest{From: from, To: to}, &rep)
	return rep.Events, err
}

// Events streams the session's log from after+1, then live events, until ctx
// ends or the connection is lost; the channel is closed then.
func (c *Client) Events(ctx context.Context, after int64) <-chan session.Event {
	out := make(chan session.Event, maxBatch)
	go func() {
		defer close(out)
		stream, err := c.cc.NewStream(ctx, &serviceDesc.Streams[0], "/"+serviceName+"/Events")
		if err != nil {
			return
		}
		if err := stream.SendMsg(&eventsRequest{After: after}); err != nil {
			return
		}
		if err := stream.CloseSend(); err != nil {
			return
		}
		for {
			var b eventBatch
			if err := stream.RecvMsg(&b); err != nil {
				return // the stream ended or the host went: the closed channel says so
			}
			for _, e := range b.Events {
				select {
				case out <- e:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}
