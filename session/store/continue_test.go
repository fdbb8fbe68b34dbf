package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/session"
)

// A session of several tasks is summarised by its latest: that task's text
// and plan, and running again (not the earlier task's finished) until the
// new task records its own end; it started when its first task did.
func TestSummaryFollowsTheLatestTask(t *testing.T) {
	log := session.NewLog(nil)
	log.Append(session.SessionStarted{SessionID: "s1", Task: "fix Add"})
	plan := session.Plan{}
	plan.ReplacePending([]string{"fix"})
	plan.Steps[0].Status = session.StepDone
	log.Append(session.SessionFinished{State: session.StateFinished, Plan: plan})
	log.Append(session.SessionStarted{SessionID: "s1", Task: "add Median", TaskIndex: 1})
	events := log.Snapshot(0)
	sum := Summarize("s1", events)
	if sum.Task != "add Median" || sum.State != session.StateRunning || sum.Steps != 0 || sum.Tasks != 2 {
		t.Fatalf("summary %+v", sum)
	}
	if !sum.Started.Equal(events[0].Time) {
		t.Fatalf("started %v, want the first task's %v", sum.Started, events[0].Time)
	}
}

// The conversation is kept beside the events, one message a line, synced as
// it is written; a line torn by a crash comes back as it is, for the agent to
// drop.
func TestConversationAppendAndLoad(t *testing.T) {
	st := Open(t.TempDir())
	if recs, err := st.LoadConversation("s1"); err != nil || len(recs) != 0 {
		t.Fatalf("a session without a conversation: %q %v", recs, err)
	}
	c, err := st.OpenConversation("s1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := c.Append(fmt.Appendf(nil, `{"role":"user","content":[{"type":"text","text":"m%d"}]}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	recs, err := st.LoadConversation("s1")
	if err != nil || len(recs) != 3 || !strings.Contains(string(recs[2]), "m2") {
		t.Fatalf("records %q %v", recs, err)
	}
	if err := c.Append([]byte(`{}`)); err == nil {
		t.Fatal("append after close succeeded")
	}
}

// Reopening a session for another task is refused while a live process has it
// open, and allowed once that process is gone; the reopened log goes on with
// the next sequence number.
func TestReopenRefusesALiveOwner(t *testing.T) {
	st := Open(t.TempDir())
	w, err := st.Create("s1")
	if err != nil {
		t.Fatal(err)
	}
	log := session.NewLog(func(e session.Event) { w.Append(e) })
	log.Append(session.SessionStarted{SessionID: "s1", Task: "t"})
	host, _ := os.Hostname()
	// pid 1 lives (start time 0: not compared).
	os.WriteFile(ownerPath(filepath.Join(st.Dir(), "s1")), fmt.Appendf(nil, `{"pid":1,"host":%q}`, host), 0o600)
	if _, _, err := st.Reopen("s1"); err == nil || !strings.Contains(err.Error(), "pid 1") {
		t.Fatalf("reopening a live session: %v", err)
	}
	w.Close() // the owner closed it (removes owner.json)
	w2, events, err := st.Reopen("s1")
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if len(events) != 1 {
		t.Fatalf("events %d", len(events))
	}
	if _, _, err := st.Reopen("nope"); err == nil {
		t.Fatal("reopened a session that does not exist")
	}
}
