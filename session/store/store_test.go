package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/session"
)

func TestAppendLoadListAndTornLine(t *testing.T) {
	st := Open(t.TempDir())
	w, err := st.Create("s1")
	if err != nil {
		t.Fatal(err)
	}
	log := session.NewLog(func(e session.Event) {
		if err := w.Append(e); err != nil {
			t.Error(err)
		}
	})
	log.Append(session.SessionStarted{SessionID: "s1", Task: "fix it"})
	plan := session.Plan{}
	plan.ReplacePending([]string{"read", "fix"})
	log.Append(session.PlanProposed{Plan: plan})
	log.Append(session.StepStarted{StepID: "1"})
	log.Append(session.TextDelta{Text: "hello "})
	log.Append(session.TextDelta{Text: "world"})
	log.Append(session.StepFinished{StepID: "1", Status: session.StepDone})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// A crash mid-write leaves half a line behind.
	f, err := os.OpenFile(filepath.Join(st.Dir(), "s1", "events.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"seq":7,"time":"2026-11-23T00:00:00Z","type":"text_del`)
	f.Close()

	events, err := st.Load("s1")
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 6 {
		t.Fatalf("want 6 events, got %d", len(events))
	}
	if d, ok := events[4].Payload.(session.TextDelta); !ok || d.Text != "world" || events[4].Seq != 5 {
		t.Fatalf("event 5 = %+v", events[4])
	}
	list, err := st.List()
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	if s := list[0]; s.Task != "fix it" || s.Done != 1 || s.Steps != 2 || s.State != session.StateInterrupted {
		// Closed without a SessionFinished: no process runs it any more.
		t.Fatalf("summary %+v", s)
	}
}

func TestLoadMissingSessionSaysWhatToDo(t *testing.T) {
	_, err := Open(t.TempDir()).Load("nope")
	if err == nil || !strings.Contains(err.Error(), "wend sessions") {
		t.Fatalf("got %v", err)
	}
}

func TestLiveWhileOpenNotAfterClose(t *testing.T) {
	st := Open(t.TempDir())
	w, err := st.Create("s1")
	if err != nil {
		t.Fatal(err)
	}
	// The owner is this process, which is never "another" live owner.
	if _, live := st.Live("s1"); live {
		t.Fatal("this process's own session reported live")
	}
	// Pretend another running process (pid 1 is always alive) owns it.
	host, _ := os.Hostname()
	os.WriteFile(ownerPath(filepath.Join(st.Dir(), "s1")), []byte(`{"pid":1,"host":"`+host+`"}`), 0o600)
	if pid, live := st.Live("s1"); !live || pid != 1 {
		t.Fatalf("live %v pid %d", live, pid)
	}
	// A dead owner (a crash) counts as closed.
	os.WriteFile(ownerPath(filepath.Join(st.Dir(), "s1")), []byte(`{"pid":999999999,"host":"`+host+`"}`), 0o600)
	if _, live := st.Live("s1"); live {
		t.Fatal("a dead owner reported live")
	}
	w.Close()
	if _, err := os.Stat(ownerPath(filepath.Join(st.Dir(), "s1"))); !os.IsNotExist(err) {
		t.Fatal("close left the owner file")
	}
}
