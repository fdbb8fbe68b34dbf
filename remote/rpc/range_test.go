package rpc_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/rpc"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/store"
	"gitlab.com/wend/wend/ui/uitest"
)

// A client pages the host's stored record over the socket: exactly the
// store's events for the range, a watcher as well as the controller, a huge
// range cut to a bounded answer, and a host with no record says so.
func TestEventRangeCrossesThePort(t *testing.T) {
	st := store.Open(t.TempDir())
	w, err := st.Create("s1")
	if err != nil {
		t.Fatal(err)
	}
	log := session.NewLog(func(e session.Event) { w.Append(e) })
	log.Append(session.SessionStarted{SessionID: "s1", Task: "the first task"})
	for i := 0; i < 5000; i++ {
		log.Append(session.TextDelta{Text: fmt.Sprint("delta ", i, " ")})
	}
	p, err := w.Pager()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	defer w.Close()
	path, _ := serve(t, uitest.NewBackend(), rpc.Options{Session: "s1", Record: p})
	ctx := context.Background()
	for _, control := range []bool{true, false} {
		c := dial(t, path, control)
		evs, err := c.EventRange(ctx, 1, 3)
		if err != nil || len(evs) != 3 || evs[0].Payload.(session.SessionStarted).Task != "the first task" ||
			evs[2].Seq != 3 || evs[2].Payload.(session.TextDelta).Text != "delta 1 " {
			t.Fatalf("control=%v: events 1-3: %+v %v", control, evs, err)
		}
		want, _ := p.EventRange(ctx, 4000, 4100)
		got, err := c.EventRange(ctx, 4000, 4100)
		if err != nil || len(got) != len(want) || got[100].Seq != 4100 || got[100].Payload != want[100].Payload {
			t.Fatalf("control=%v: events 4000-4100: %d events, %v", control, len(got), err)
		}
		if huge, err := c.EventRange(ctx, 1, 1<<50); err != nil || len(huge) != 1024 { // one event message (maxBatch)
			t.Fatalf("a huge range: %d events, %v", len(huge), err)
		}
		if none, err := c.EventRange(ctx, 9000, 9100); err != nil || len(none) != 0 {
			t.Fatalf("past the end: %d events, %v", len(none), err)
		}
	}
	bare, _ := serve(t, uitest.NewBackend(), rpc.Options{Session: "s2"})
	if _, err := dial(t, bare, true).EventRange(ctx, 1, 10); err == nil || !strings.Contains(err.Error(), "no record") {
		t.Fatalf("a host with no record: %v", err)
	}
}
