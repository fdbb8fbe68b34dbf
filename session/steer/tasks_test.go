package steer

import (
	"context"
	"testing"

	"gitlab.com/wend/wend/session"
)

// BeginTask begins the next task only once the previous one has ended, counts
// tasks from where a reopened session's log left off, and a task stopped while
// paused does not leave the next one paused at its first boundary.
func TestBeginTaskAfterAnEnd(t *testing.T) {
	log := session.NewLog(nil)
	c := New(Config{Log: log, Listener: "the model"})
	c.Restored(2)
	_, cancel := context.WithCancel(context.Background())
	if i, err := c.BeginTask(cancel, session.SessionStarted{Task: "third"}); err != nil || i != 2 {
		t.Fatalf("first task of a reopened session: %d %v", i, err)
	}
	if _, err := c.BeginTask(cancel, session.SessionStarted{Task: "too soon"}); err == nil {
		t.Fatal("a task began while another runs")
	}
	if _, err := c.Pause("user"); err != nil {
		t.Fatal(err)
	}
	c.Stop()
	c.Finish(session.StateStopped, "", nil, session.Plan{})
	_, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	if i, err := c.BeginTask(cancel2, session.SessionStarted{Task: "fourth"}); err != nil || i != 3 {
		t.Fatalf("after a stop: %d %v", i, err)
	}
	if s := c.State(); s != session.StateRunning {
		t.Fatalf("state %s", s)
	}
	// Pausing it pauses it: it did not begin paused (its Gate would block).
	if paused, err := c.Pause("user"); !paused || err != nil {
		t.Fatalf("the new task began paused: %v %v", paused, err)
	}
	var idx []int
	for _, e := range log.Snapshot(0) {
		if s, ok := e.Payload.(session.SessionStarted); ok {
			idx = append(idx, s.TaskIndex)
		}
	}
	if len(idx) != 2 || idx[0] != 2 || idx[1] != 3 {
		t.Fatalf("task indexes %v", idx)
	}
}
