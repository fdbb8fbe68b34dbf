package gitlabtest

import (
	"net/http"

	"github.com/coder/websocket"
)

// ActionCable is a handler for /-/cable that upgrades to a WebSocket and sends
// ActionCable's welcome message, as GitLab does. Set it as Server.Cable.
func ActionCable() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"actioncable-v1-json"}})
		if err != nil {
			return
		}
		defer c.CloseNow()
		if err := c.Write(r.Context(), websocket.MessageText, []byte(`{"type":"welcome"}`)); err != nil {
			return
		}
		// Wait for the client to close.
		c.Read(r.Context())
	})
}
