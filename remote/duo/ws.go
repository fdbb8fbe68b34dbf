package duo

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"google.golang.org/protobuf/encoding/protojson"

	"gitlab.com/wend/wend/remote/duo/contract"
)

const opOpenWS = "open websocket"

// Close codes Workhorse uses (DUO-WORKFLOW.md §2.1).
const (
	CloseNormal         = 1000
	CloseGoingAway      = 1001 // server shutdown or DWS unavailable: reconnect
	ClosePolicy         = 1008 // usage quota exceeded
	CloseInvalidRequest = 4400 // DWS rejected the request; the reason says why
)

// Codecs. Workhorse emits proto field names and accepts either spelling; sending
// proto names keeps us independent of json_name differences between versions.
var (
	marshalOpts   = protojson.MarshalOptions{UseProtoNames: true}
	unmarshalOpts = protojson.UnmarshalOptions{DiscardUnknown: true}
)

// WebSocketOptions configure the Workhorse transport. The ids become query
// parameters of /api/v4/ai/duo_workflows/ws; empty ones are left out.
type WebSocketOptions struct {
	ProjectID              string
	NamespaceID            string
	RootNamespaceID        string
	WorkflowDefinition     string
	UserSelectedModel      string // user_selected_model_identifier
	AICatalogItemVersionID string
	FeatureSettingName     string // X-Gitlab-Agent-Platform-Feature-Setting-Name
	LanguageServerVersion  string // X-Gitlab-Language-Server-Version
	Header                 http.Header
	HeartbeatInterval      time.Duration // JSON heartbeat; default DefaultHeartbeatInterval
	PingInterval           time.Duration // WebSocket ping; default DefaultPingInterval
	ReadLimit              int64         // largest frame accepted; default 64 MiB
}

// WebSocket returns the Workhorse transport. It reuses the Client's HTTP client,
// token and headers, and sends Origin: the instance, as Workhorse requires. A
// RoundTripper wrapped around that client (auditing) must hand a 101 response's
// body back unwrapped: the upgrade needs it to stay an io.ReadWriteCloser.
func (c *Client) WebSocket(o WebSocketOptions) Transport {
	if o.HeartbeatInterval <= 0 {
		o.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if o.PingInterval <= 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.ReadLimit <= 0 {
		o.ReadLimit = 64 << 20
	}
	return &wsTransport{c: c, o: o}
}

type wsTransport struct {
	c *Client
	o WebSocketOptions
}

func (t *wsTransport) endpoint(workflowID string) string {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("project_id", t.o.ProjectID)
	set("namespace_id", t.o.NamespaceID)
	set("root_namespace_id", t.o.RootNamespaceID)
	set("workflow_definition", t.o.WorkflowDefinition)
	set("user_selected_model_identifier", t.o.UserSelectedModel)
	set("client_type", t.c.opts.ClientType)
	set("ai_catalog_item_version_id", t.o.AICatalogItemVersionID)
	set("workflow_id", workflowID)
	u := t.c.url(apiPrefix + "/ws")
	u = "ws" + strings.TrimPrefix(u, "http") // http→ws, https→wss
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

func (t *wsTransport) Open(ctx context.Context, start *contract.StartWorkflowRequest) (*Stream, error) {
	h := http.Header{}
	t.c.setHeaders(h)
	for k, vs := range t.o.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	h.Set("Origin", t.c.Origin())
	if t.o.FeatureSettingName != "" {
		h.Set("X-Gitlab-Agent-Platform-Feature-Setting-Name", t.o.FeatureSettingName)
	}
	if t.o.LanguageServerVersion != "" {
		h.Set("X-Gitlab-Language-Server-Version", t.o.LanguageServerVersion)
	}
	conn, resp, err := websocket.Dial(ctx, t.endpoint(start.GetWorkflowID()), &websocket.DialOptions{
		HTTPClient: t.c.hc,
		HTTPHeader: h,
	})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			var body []byte
			if resp.Body != nil {
				body, _ = io.ReadAll(io.LimitReader(resp.Body, 1024))
			}
			// The dial error only repeats the status; the body says more.
			return nil, httpError(opOpenWS, resp.StatusCode, body)
		}
		return nil, &Error{Op: opOpenWS, Kind: KindUnavailable, Err: err}
	}
	conn.SetReadLimit(t.o.ReadLimit)
	wc := &wsConn{conn: conn}
	wc.ctx, wc.cancel = context.WithCancel(context.Background())
	first := &contract.ClientEvent{Response: &contract.ClientEvent_StartRequest{StartRequest: start}}
	if err := wc.send(ctx, first); err != nil {
		_ = wc.close()
		return nil, err
	}
	return newStream(start, wc, keepalive{heartbeat: t.o.HeartbeatInterval, ping: t.o.PingInterval}), nil
}

type wsConn struct {
	conn     *websocket.Conn
	ctx      context.Context // lives until close; bounds reads
	cancel   context.CancelFunc
	pingLost atomic.Bool
}

func (w *wsConn) send(ctx context.Context, ev *contract.ClientEvent) error {
	b, err := marshalOpts.Marshal(ev)
	if err != nil {
		return &Error{Op: "send", Kind: KindOther, Err: err}
	}
	if err := w.conn.Write(ctx, websocket.MessageText, b); err != nil {
		return wsError("send", err)
	}
	return nil
}

func (w *wsConn) recv() (*contract.Action, error) {
	_, data, err := w.conn.Read(w.ctx)
	if err != nil {
		if w.pingLost.Load() {
			return nil, &Error{Op: "recv", Kind: KindUnavailable, Reason: "no pong to a keepalive ping", Hint: hintDropped, Err: err}
		}
		return nil, wsError("recv", err)
	}
	return decodeAction(data)
}

// decodeAction parses one frame. Unknown fields are dropped: newer services add
// fields older clients do not know.
func decodeAction(data []byte) (*contract.Action, error) {
	if !json.Valid(data) {
		return nil, &Error{Op: "recv", Kind: KindMalformed, Reason: "frame is not JSON; it starts with " + firstBytes(data)}
	}
	var a contract.Action
	if err := unmarshalOpts.Unmarshal(data, &a); err != nil {
		return nil, &Error{Op: "recv", Kind: KindMalformed, Reason: "frame is not an Action: " + firstBytes(data), Err: err}
	}
	return &a, nil
}

// ping sends a ping and waits for the pong (answered while the reader runs). On
// failure it drops the connection without a close frame: a close with 1000 would
// make Workhorse stop the workflow, while a drop lets the caller reconnect.
func (w *wsConn) ping(ctx context.Context) error {
	err := w.conn.Ping(ctx)
	if errors.Is(err, context.DeadlineExceeded) && w.ctx.Err() == nil {
		w.pingLost.Store(true)
		_ = w.conn.CloseNow()
	}
	return err
}

func (w *wsConn) close() error {
	err := w.conn.Close(websocket.StatusNormalClosure, "")
	w.cancel()
	if err != nil && !errors.Is(err, net.ErrClosed) && websocket.CloseStatus(err) == -1 {
		return err
	}
	return nil
}

// wsError classifies a read or write failure by the close code.
func wsError(op string, err error) error {
	var ce websocket.CloseError
	if !errors.As(err, &ce) {
		if errors.Is(err, context.Canceled) || errors.Is(err, net.ErrClosed) {
			return ErrStreamClosed
		}
		return &Error{Op: op, Kind: KindUnavailable, Hint: hintDropped, Err: err}
	}
	e := &Error{Op: op, CloseCode: int(ce.Code), Reason: ce.Reason}
	switch int(ce.Code) {
	case CloseNormal:
		return io.EOF
	case CloseGoingAway, 1012, 1013: // going away, service restart, try again later
		e.Kind, e.Hint = KindUnavailable, "open a new stream on the same workflow"
	case CloseInvalidRequest:
		e.Kind, e.Hint = KindInvalid, "the service rejected the request; retrying it unchanged fails the same way"
	case ClosePolicy:
		e.Kind, e.Hint = KindQuota, hintQuota
	case 1011:
		e.Kind = KindServer
	default:
		e.Kind = KindOther
	}
	return e
}
