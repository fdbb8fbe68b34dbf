package audit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// A WebSocket upgrade through the audit transport succeeds: the 101 response's
// body stays the raw connection, and the upgrade is recorded once.
func TestWebSocketUpgradeThroughAudit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		_, msg, err := c.Read(r.Context())
		if err == nil {
			_ = c.Write(r.Context(), websocket.MessageText, msg)
		}
		_ = c.Close(websocket.StatusNormalClosure, "")
	}))
	defer srv.Close()
	sink := &memSink{}
	hc := &http.Client{Transport: Wrap(http.DefaultTransport.(*http.Transport).Clone(), sink, "s1")}
	ctx := context.Background()
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws?private_token=secret", &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		t.Fatalf("upgrade through the audit transport failed: %v", err)
	}
	defer c.CloseNow()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if err := c.Write(ctx, websocket.MessageText, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.Read(ctx); err != nil || string(msg) != "ping" {
		t.Fatalf("echo %q, %v", msg, err)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.recs) != 1 || sink.recs[0].Status != http.StatusSwitchingProtocols || sink.recs[0].Path != "/ws" {
		t.Fatalf("records %+v", sink.recs)
	}
	if strings.Contains(sink.recs[0].Query, "secret") {
		t.Fatalf("query not redacted: %q", sink.recs[0].Query)
	}
}
