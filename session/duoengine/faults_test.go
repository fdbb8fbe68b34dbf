package duoengine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/wend/wend/session"
)

func deny(reasons map[string]string) func(session.Payload) *session.Decision {
	return func(p session.Payload) *session.Decision {
		a, ok := p.(session.ApprovalRequested)
		if !ok {
			return nil
		}
		for key, reason := range reasons {
			if strings.Contains(a.Request.Command+a.Request.Detail, key) {
				return &session.Decision{Kind: session.DecideApproval, RequestID: a.Request.ID, Approve: false, Reason: reason}
			}
		}
		return nil
	}
}

// A denied command answers the action with the user's reason in error; a
// rejected tool approval reaches the service as rejection{message}.
func TestDuoRejections(t *testing.T) {
	r := newRig(t, "../../testdata/duo/reject.json", rigOptions{policy: session.PolicyAsk, interactive: true})
	r.answer = deny(map[string]string{"make deploy": "not on a Friday", "rm -rf build": "keep the build"})
	r.start("Deploy the site")
	fin := r.wait()
	r.noFailures()
	if fin.State != session.StateFinished || fin.Summary != "Left the build alone." {
		t.Fatalf("finished %+v", fin)
	}
	p := r.responses()["req-1-2"].GetPlainTextResponse()
	if p == nil || !strings.Contains(p.GetError(), "not on a Friday") {
		t.Fatalf("denied command answered %v", p)
	}
	starts := r.srv.Starts()
	if len(starts) != 2 || starts[1].GetApproval().GetRejection().GetMessage() != "keep the build" {
		t.Fatalf("second start %v", starts)
	}
	resolved := ofType[session.ApprovalResolved](r.all())
	if len(resolved) != 2 || resolved[0].Approved || resolved[1].Reason != "keep the build" {
		t.Fatalf("resolved %+v", resolved)
	}
}

// Headless with the ask policy: the command is denied with advice, and the tool
// approval stop is rejected with the same advice instead of waiting forever.
func TestDuoHeadlessDeniesAskWithAdvice(t *testing.T) {
	r := newRig(t, "../../testdata/duo/reject.json", rigOptions{policy: session.PolicyAsk})
	r.start("Deploy the site")
	fin := r.wait()
	r.noFailures()
	if fin.State != session.StateFinished {
		t.Fatalf("finished %+v", fin)
	}
	if e := r.responses()["req-1-2"].GetPlainTextResponse().GetError(); !strings.Contains(e, "--approval full-auto") {
		t.Fatalf("error %q has no advice", e)
	}
	if m := r.srv.Starts()[1].GetApproval().GetRejection().GetMessage(); !strings.Contains(m, "headless") {
		t.Fatalf("rejection %q", m)
	}
	if n := len(ofType[session.ApprovalRequested](r.all())); n != 0 {
		t.Fatalf("%d approval requests in a headless run", n)
	}
}

// Stop during a long command: the command is killed, its action answered with
// an error, stopWorkflow sent, and the run ends stopped.
func TestDuoStopMidAction(t *testing.T) {
	r := newRig(t, "../../testdata/duo/stop.json", rigOptions{policy: session.PolicyFullAuto})
	r.answer = func(p session.Payload) *session.Decision {
		if c, ok := p.(session.ToolCalled); ok && c.Tool == "run_command" {
			go func() {
				time.Sleep(200 * time.Millisecond)
				_ = r.eng.Stop(context.Background())
			}()
		}
		return nil
	}
	begin := time.Now()
	r.start("Wait a bit")
	fin := r.wait()
	if fin.State != session.StateStopped {
		t.Fatalf("state %s", fin.State)
	}
	if d := time.Since(begin); d > 15*time.Second {
		t.Fatalf("stopping took %s", d)
	}
	stopped := false
	for _, rc := range r.srv.Received() {
		if rc.Event.GetStopWorkflow() != nil {
			stopped = true
		}
	}
	if !stopped {
		t.Fatal("no stopWorkflow reached the service")
	}
	p := r.responses()["req-1-1"].GetPlainTextResponse()
	if p == nil || !strings.Contains(p.GetError(), "stopped") {
		t.Fatalf("the stopped command was answered %v", p)
	}
}

// A 1001 close or a dropped connection mid-turn reconnects to the same workflow
// with the same goal.
func TestDuoReconnectAfterGoingAway(t *testing.T) {
	for _, tc := range []struct{ script, transport string }{
		{"reconnect", "websocket"}, {"reconnect", "grpc"}, {"drop", "websocket"}, {"drop", "grpc"},
	} {
		t.Run(tc.script+"/"+tc.transport, func(t *testing.T) {
			r := newRig(t, "../../testdata/duo/"+tc.script+".json", rigOptions{transport: tc.transport, policy: session.PolicyAsk})
			r.start("Fix the typo in the greeting")
			fin := r.wait()
			r.noFailures()
			if fin.State != session.StateFinished {
				t.Fatalf("state %s: %s", fin.State, fin.Error)
			}
			starts := r.srv.Starts()
			if len(starts) != 2 || starts[1].GetWorkflowID() != starts[0].GetWorkflowID() {
				t.Fatalf("starts %v", starts)
			}
			if !hasNotice(r.all(), "reconnecting…") {
				t.Fatal("no reconnecting notice")
			}
			if r.responses()["req-2-1"] == nil {
				t.Fatal("the action after the reconnect was not answered")
			}
		})
	}
}

func hasNotice(evs []session.Event, text string) bool {
	for _, n := range ofType[session.Notice](evs) {
		if strings.Contains(n.Text, text) {
			return true
		}
	}
	return false
}

// Faults that end the run: 4400 with the service's reason (not retried), 1008
// as a quota message, and a 403 from the workflows API with its hint.
func TestDuoFatalFaults(t *testing.T) {
	for _, tc := range []struct {
		script, want string
		streams      int
	}{
		{"invalid", "goal is required when resuming a workflow", 1},
		{"quota", "quota", 1},
		{"forbidden", "possible causes", 0},
	} {
		t.Run(tc.script, func(t *testing.T) {
			r := newRig(t, "../../testdata/duo/"+tc.script+".json", rigOptions{policy: session.PolicyAsk})
			r.start("Fix the typo in the greeting")
			fin := r.wait()
			if fin.State != session.StateFailed || !strings.Contains(fin.Error, tc.want) {
				t.Fatalf("finished %s: %q, want an error with %q", fin.State, fin.Error, tc.want)
			}
			if n := r.srv.StreamsServed(); n != tc.streams {
				t.Fatalf("%d streams served, want %d", n, tc.streams)
			}
		})
	}
}

// A frame that is not JSON becomes a notice, and the next action is answered.
func TestDuoMalformedFrame(t *testing.T) {
	r := newRig(t, "../../testdata/duo/malformed.json", rigOptions{policy: session.PolicyAsk})
	r.start("Read it")
	fin := r.wait()
	r.noFailures()
	if fin.State != session.StateFinished {
		t.Fatalf("state %s: %s", fin.State, fin.Error)
	}
	if !hasNotice(r.all(), "could not read") {
		t.Fatal("no notice for the bad frame")
	}
	if r.responses()["req-1-2"] == nil {
		t.Fatal("the action after the bad frame was not answered")
	}
}

// A question: headless ends waiting; interactive sends the answer as the next
// stream's goal, and an adjustment queued meanwhile reaches the service as a
// message event at that boundary. The second stream also covers mkdir (inside
// and outside the repository), a refused MCP tool and runHTTPRequest on the
// direct path (gitlab_rails token).
func TestDuoInputRequired(t *testing.T) {
	t.Run("headless", func(t *testing.T) {
		r := newRig(t, "../../testdata/duo/input.json", rigOptions{policy: session.PolicyAutoEdit})
		r.start("Tidy up")
		fin := r.wait()
		if fin.State != session.StateWaiting || fin.Summary != "Which directory should I tidy?" {
			t.Fatalf("finished %+v", fin)
		}
		if q := ofType[session.InputRequested](r.all()); len(q) != 1 || q[0].Question != fin.Summary {
			t.Fatalf("input requested %+v", q)
		}
	})
	t.Run("interactive", func(t *testing.T) {
		r := newRig(t, "../../testdata/duo/input.json", rigOptions{transport: "grpc", policy: session.PolicyAutoEdit, interactive: true})
		r.answer = func(p session.Payload) *session.Decision {
			if q, ok := p.(session.InputRequested); ok {
				id, err := r.eng.Adjust(context.Background(), "delete everything")
				if err != nil {
					t.Error(err)
				} else if err := r.eng.Withdraw(context.Background(), id); err != nil {
					t.Error(err)
				}
				if _, err := r.eng.Adjust(context.Background(), "leave README alone"); err != nil {
					t.Error(err)
				}
				return &session.Decision{Kind: session.DecideInput, RequestID: q.RequestID, Answer: "only docs/"}
			}
			return nil
		}
		r.start("Tidy up")
		fin := r.wait()
		r.noFailures()
		if fin.State != session.StateFinished {
			t.Fatalf("state %s: %s", fin.State, fin.Error)
		}
		if fi, err := os.Stat(filepath.Join(r.dir, "docs", "old")); err != nil || !fi.IsDir() {
			t.Fatalf("docs/old not created: %v", err)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(r.dir), "outside")); err == nil {
			t.Fatal("mkdir escaped the repository")
		}
		evs := r.all()
		if len(ofType[session.AdjustDelivered](evs)) != 1 || len(ofType[session.AdjustWithdrawn](evs)) != 1 {
			t.Fatalf("adjustment not delivered: %s", r.eventTypes())
		}
		id := r.eng.WorkflowID()
		var msgs []string
		for _, ev := range r.srv.Events(id) {
			msgs = append(msgs, ev["event_type"].(string)+": "+ev["message"].(string))
		}
		if len(msgs) != 1 || !strings.Contains(msgs[0], "message: [The user, while you work] leave README alone") {
			t.Fatalf("workflow events %v", msgs)
		}
		h := r.responses()["req-2-4"].GetHttpResponse()
		if h == nil || h.GetStatusCode() != 200 || !strings.Contains(h.GetBody(), "/api/v4/projects/42") {
			t.Fatalf("http response %v", h)
		}
		if e := r.responses()["req-2-3"].GetPlainTextResponse().GetError(); !strings.Contains(e, "MCP") {
			t.Fatalf("mcp answered %q", e)
		}
	})
}

// Plan approval: the plan is shown for approval, the approval goes to the
// service as a resume event, and the next stream resumes with the goal.
func TestDuoPlanApproval(t *testing.T) {
	r := newRig(t, "../../testdata/duo/plan.json", rigOptions{policy: session.PolicyAsk, interactive: true})
	ctx := context.Background()
	r.answer = func(p session.Payload) *session.Decision {
		if _, ok := p.(session.ApprovalRequested); ok {
			// While the plan waits: an edit the service must hear about, one that
			// cannot apply, and a pause and resume.
			if err := r.eng.EditPlan(ctx, session.PlanEdit{Op: session.EditReword, StepID: "2", Title: "Add --verbose and -v"}); err != nil {
				t.Errorf("edit plan: %v", err)
			}
			if err := r.eng.EditPlan(ctx, session.PlanEdit{Op: session.EditDelete, StepID: "7"}); err == nil {
				t.Error("deleting a step that does not exist was accepted")
			}
			if err := r.eng.Pause(ctx); err != nil {
				t.Error(err)
			}
			if err := r.eng.Resume(ctx); err != nil {
				t.Error(err)
			}
		}
		return approveAll(p)
	}
	if err := r.eng.EditPlan(ctx, session.PlanEdit{Op: session.EditSkip, StepID: "1"}); err == nil {
		t.Error("a plan edit before the session started was accepted")
	}
	r.start("Add a --verbose flag")
	fin := r.wait()
	r.noFailures()
	if fin.State != session.StateFinished {
		t.Fatalf("state %s: %s", fin.State, fin.Error)
	}
	evs := r.all()
	asks := ofType[session.ApprovalRequested](evs)
	if len(asks) != 1 || asks[0].Request.Kind != session.ApprovePlan {
		t.Fatalf("approval requests %+v", asks)
	}
	var awaiting bool
	for _, p := range ofType[session.PlanProposed](evs) {
		awaiting = awaiting || p.AwaitingApproval
	}
	if !awaiting {
		t.Fatal("no plan awaiting approval")
	}
	var got []string
	for _, ev := range r.srv.Events(r.eng.WorkflowID()) {
		msg, _ := ev["message"].(string)
		got = append(got, strings.TrimSpace(ev["event_type"].(string)+" "+msg))
	}
	want := []string{
		`message The user reworded step 2 from "Add the flag" to "Add --verbose and -v". Update your plan accordingly.`,
		"pause", "resume",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("workflow events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !hasNotice(evs, "not known to act on it") {
		t.Error("no notice saying what the service does with a pause")
	}
	if len(ofType[session.Paused](evs)) != 1 || len(ofType[session.Resumed](evs)) != 1 {
		t.Errorf("pause/resume events: %s", r.eventTypes())
	}
	if done, total := fin.Plan.Done(); done != 2 || total != 2 || fin.Plan.Steps[1].ID != "2" {
		t.Fatalf("plan %+v", fin.Plan)
	}
}

// On the WebSocket path a GitLab write through runHTTPRequest would carry the
// user's own token, so it is judged like a command: headless with the ask
// policy it is refused with advice and never sent.
func TestDuoHTTPWriteNeedsApproval(t *testing.T) {
	r := newRig(t, "../../testdata/duo/http.json", rigOptions{policy: session.PolicyAsk})
	r.start("File an issue")
	fin := r.wait()
	r.noFailures()
	if fin.State != session.StateFinished {
		t.Fatalf("state %s: %s", fin.State, fin.Error)
	}
	h := r.responses()["req-1-1"].GetHttpResponse()
	if h == nil || h.GetStatusCode() != 403 || !strings.Contains(h.GetError(), "--approval full-auto") {
		t.Fatalf("http response %v", h)
	}
	for _, req := range r.srv.Requests() {
		if strings.HasSuffix(req.Path, "/issues") {
			t.Fatalf("the refused write reached GitLab: %s %s", req.Method, req.Path)
		}
	}
}
