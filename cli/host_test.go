package cli

import (
	"strings"
	"testing"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/uitest"
)

// What a host does when its terminal goes: with a task running, on_detach =
// "pause" pauses it at its next boundary and says so in the transcript;
// "continue" only says so; with no task running there is nothing to do.
func TestHostOnDetach(t *testing.T) {
	for _, c := range []struct {
		mode       string
		running    bool
		wantPause  bool
		wantNotice string
	}{
		{"pause", true, true, `pauses at its next boundary (on_detach = "pause")`},
		{"continue", true, false, `the session goes on (on_detach = "continue")`},
		{"pause", false, false, ""},
	} {
		be := uitest.NewBackend()
		log := session.NewLog(nil)
		h := &host{log: log, be: be, onDetach: c.mode, busy: c.running}
		h.detached()
		if got := len(be.CallsOf("Pause")) == 1; got != c.wantPause {
			t.Errorf("%s, running %v: paused %v", c.mode, c.running, got)
		}
		var notices []string
		for _, e := range log.Snapshot(0) {
			if n, ok := e.Payload.(session.Notice); ok {
				notices = append(notices, n.Text)
			}
		}
		if c.wantNotice == "" && len(notices) > 0 || c.wantNotice != "" && (len(notices) != 1 || !strings.Contains(notices[0], c.wantNotice)) {
			t.Errorf("%s, running %v: notices %q", c.mode, c.running, notices)
		}
	}
}
