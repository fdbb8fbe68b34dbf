package steer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gitlab.com/wend/wend/session"
)

func newControls(t *testing.T, cfg Config) (*Controls, *session.Log) {
	t.Helper()
	log := session.NewLog(nil)
	cfg.Log = log
	if cfg.Listener == "" {
		cfg.Listener = "the model"
	}
	c := New(cfg)
	if s := c.State(); s != session.StateStarting {
		t.Fatalf("new controls in state %s", s)
	}
	if err := c.Stop(); err == nil || err.Error() != "the session has not started" {
		t.Fatalf("stop before begin: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := c.Begin(cancel, session.SessionStarted{SessionID: "s1"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Begin(cancel, session.SessionStarted{SessionID: "s2"}); err == nil || err.Error() != "the session has already started" {
		t.Fatalf("second begin: %v", err)
	}
	if s := c.State(); s != session.StateRunning {
		t.Fatalf("state %s after begin", s)
	}
	if err := c.Stop(); err != nil || ctx.Err() == nil {
		t.Fatalf("stop must cancel the run: %v", err)
	}
	if evs := log.Snapshot(0); len(evs) != 1 || evs[0].Payload.(session.SessionStarted).SessionID != "s1" {
		t.Fatalf("begin appends SessionStarted once: %v", evs)
	}
	return c, log
}

// events renders the log after Begin's SessionStarted as "type payload" lines,
// for exact comparisons.
func events(log *session.Log) []string {
	var out []string
	for _, e := range log.Snapshot(1) {
		out = append(out, fmt.Sprintf("%s %+v", e.Payload.Type(), e.Payload))
	}
	return out
}

func wantEvents(t *testing.T, log *session.Log, want ...string) {
	t.Helper()
	got := events(log)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// waitState polls until the state is s.
func waitState(t *testing.T, c *Controls, s session.State) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for c.State() != s {
		if time.Now().After(deadline) {
			t.Fatalf("state %s, want %s", c.State(), s)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPauseGateBlocksUntilResume(t *testing.T) {
	c, log := newControls(t, Config{})
	ctx := context.Background()
	if err := c.Gate(ctx); err != nil {
		t.Fatalf("gate while running: %v", err)
	}
	if ok, err := c.Pause("user"); !ok || err != nil {
		t.Fatalf("pause: %v %v", ok, err)
	}
	if ok, err := c.Pause("user"); ok || err != nil {
		t.Fatalf("second pause must do nothing: %v %v", ok, err)
	}
	if s := c.State(); s != session.StatePaused {
		t.Fatalf("state %s after pause", s)
	}
	passed := make(chan error, 1)
	go func() { passed <- c.Gate(ctx) }()
	select {
	case err := <-passed:
		t.Fatalf("gate passed while paused: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	if !c.Resume() {
		t.Fatal("resume reported nothing to resume")
	}
	select {
	case err := <-passed:
		if err != nil {
			t.Fatalf("gate after resume: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("gate still blocked after resume")
	}
	if c.Resume() {
		t.Fatal("a second resume must do nothing")
	}
	if s := c.State(); s != session.StateRunning {
		t.Fatalf("state %s after resume", s)
	}
	wantEvents(t, log, "paused {Reason:user}", "resumed {}")
}

func TestGateWhilePausedEndsWithContext(t *testing.T) {
	c, _ := newControls(t, Config{})
	_, _ = c.Pause("user")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Gate(ctx) }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("gate: %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("gate ignored the cancelled context")
	}
}

func TestEndedSessionRefusesPauseAndAdjust(t *testing.T) {
	c, log := newControls(t, Config{})
	c.Finish(session.StateStopped, "stopped by the user", errors.New("boom"), session.Plan{})
	if s := c.State(); s != session.StateStopped {
		t.Fatalf("state %s after finish", s)
	}
	if _, err := c.Pause("user"); err == nil || err.Error() != "the session has ended" {
		t.Fatalf("pause after the end: %v", err)
	}
	if _, err := c.Adjust("more"); err == nil || err.Error() != "the session has ended" {
		t.Fatalf("adjust after the end: %v", err)
	}
	if _, err := c.Adjust(""); err == nil || err.Error() != "nothing to send" {
		t.Fatalf("empty adjust: %v", err)
	}
	wantEvents(t, log, "session_finished "+fmt.Sprintf("%+v", session.SessionFinished{State: session.StateStopped, Summary: "stopped by the user", Error: "boom"}))
}

func TestSetStateUnlessPausedKeepsThePause(t *testing.T) {
	c, _ := newControls(t, Config{})
	_, _ = c.Pause("user")
	c.SetStateUnlessPaused(session.StateRunning)
	if s := c.State(); s != session.StatePaused {
		t.Fatalf("state %s, want paused", s)
	}
	c.SetStateUnlessPaused(session.StateFinished)
	if s := c.State(); s != session.StateFinished {
		t.Fatalf("state %s, want finished", s)
	}
}

func TestWithdrawBeforeAndAfterDelivery(t *testing.T) {
	c, log := newControls(t, Config{Listener: "GitLab Duo"})
	id1, _ := c.Adjust("use tabs")
	c.Queue("step 2 was skipped")
	id2, _ := c.Adjust("also the README")
	if id1 != "a1" || id2 != "a2" {
		t.Fatalf("ids %s %s, want a1 a2", id1, id2)
	}
	if err := c.Withdraw(id1); err != nil {
		t.Fatalf("withdraw before delivery: %v", err)
	}
	if err := c.Withdraw(id1); err == nil {
		t.Fatal("withdrawing twice must fail")
	}
	notes := c.Take()
	want := []Note{{Text: "step 2 was skipped"}, {AdjustID: "a2", Text: "also the README"}}
	if fmt.Sprint(notes) != fmt.Sprint(want) {
		t.Fatalf("took %v, want %v", notes, want)
	}
	if notes[0].Adjustment() || !notes[1].Adjustment() {
		t.Fatal("only the user's sentence is an adjustment")
	}
	if len(c.Take()) != 0 {
		t.Fatal("take must empty the queue")
	}
	err := c.Withdraw(id2)
	if err == nil || err.Error() != "adjustment a2 was already sent to GitLab Duo or does not exist" {
		t.Fatalf("withdraw after take: %v", err)
	}
	// Undelivered notes go back in front, withdrawable again.
	id3, _ := c.Adjust("and the changelog")
	c.Requeue(notes[1:])
	if err := c.Withdraw(id2); err != nil {
		t.Fatalf("withdraw after requeue: %v", err)
	}
	c.Requeue(notes[1:])
	notes = c.Take()
	if len(notes) != 2 || notes[0].AdjustID != "a2" || notes[1].AdjustID != id3 {
		t.Fatalf("requeued order: %v", notes)
	}
	for _, n := range notes {
		c.Delivered(n)
	}
	c.Delivered(Note{Text: "an engine note has no event"})
	wantEvents(t, log,
		"adjust_queued {ID:a1 Text:use tabs}",
		"adjust_queued {ID:a2 Text:also the README}",
		"adjust_withdrawn {ID:a1}",
		"adjust_queued {ID:a3 Text:and the changelog}",
		"adjust_withdrawn {ID:a2}",
		"adjust_delivered {ID:a2}",
		"adjust_delivered {ID:a3}",
	)
}

func TestResolveTwiceIsNotPending(t *testing.T) {
	c, log := newControls(t, Config{Interactive: true})
	id := c.NextRequestID("q-")
	if id != "q-1" {
		t.Fatalf("id %s", id)
	}
	got := make(chan session.Decision, 1)
	go func() {
		d, err := c.Ask(context.Background(), session.InputRequested{RequestID: id, Question: "which?"}, id)
		if err != nil {
			t.Errorf("ask: %v", err)
		}
		got <- d
	}()
	waitState(t, c, session.StateWaiting)
	if err := c.Resolve(context.Background(), session.Decision{Kind: session.DecideInput, RequestID: id, Answer: "the first"}); err != nil {
		t.Fatalf("first resolve: %v", err)
	}
	err := c.Resolve(context.Background(), session.Decision{Kind: session.DecideInput, RequestID: id, Answer: "the second"})
	if !errors.Is(err, session.ErrNotPending) {
		t.Fatalf("second resolve: %v, want ErrNotPending", err)
	}
	if d := <-got; d.Answer != "the first" {
		t.Fatalf("answer %q", d.Answer)
	}
	waitState(t, c, session.StateRunning)
	if next := c.NextRequestID("ap-"); next != "ap-2" {
		t.Fatalf("the counter is shared by all prefixes: %s", next)
	}
	wantEvents(t, log, "input_requested {RequestID:q-1 Question:which?}")
}

func TestAskEndsWithContextAndForgetsTheRequest(t *testing.T) {
	c, _ := newControls(t, Config{Interactive: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Ask(ctx, session.InputRequested{RequestID: "q-9"}, "q-9")
		done <- err
	}()
	waitState(t, c, session.StateWaiting)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("ask: %v", err)
	}
	if err := c.Resolve(context.Background(), session.Decision{RequestID: "q-9"}); !errors.Is(err, session.ErrNotPending) {
		t.Fatalf("resolve after the ask ended: %v", err)
	}
	if s := c.State(); s != session.StateRunning {
		t.Fatalf("state %s, want running restored", s)
	}
}

func TestGrantsPerStepAndPrefix(t *testing.T) {
	c, _ := newControls(t, Config{})
	cmd := session.ApprovalRequest{Kind: session.ApproveCommand, Prefix: "go test"}
	write := session.ApprovalRequest{Kind: session.ApproveWrite, Path: "main.go"}
	other := session.ApprovalRequest{Kind: session.ApproveCommand, Prefix: "rm"}

	c.Remember(write, "", session.ScopeStep) // outside a step: nothing to remember
	c.Remember(cmd, "1", session.ScopeOnce)
	if c.Granted(write, "") || c.Granted(cmd, "1") {
		t.Fatal("no grant was given yet")
	}
	c.Remember(write, "2", session.ScopeStep)
	if !c.Granted(write, "2") {
		t.Fatal("a step grant covers its step")
	}
	if c.Granted(write, "3") || c.Granted(other, "2") || c.Granted(write, "") {
		t.Fatal("a step grant covers only its step and its kind")
	}
	c.Remember(cmd, "2", session.ScopePrefix)
	if !c.Granted(cmd, "") || !c.Granted(cmd, "7") {
		t.Fatal("a prefix grant covers the prefix in any step")
	}
	if c.Granted(other, "7") {
		t.Fatal("a prefix grant covers only its prefix")
	}
	c.Remember(session.ApprovalRequest{Kind: session.ApproveCommand}, "4", session.ScopePrefix)
	if c.Granted(session.ApprovalRequest{Kind: session.ApproveCommand}, "5") {
		t.Fatal("a request without a prefix grants no prefix")
	}
}

func TestApproveDialogRemembersThePrefix(t *testing.T) {
	c, log := newControls(t, Config{Policy: session.PolicyAsk, Interactive: true})
	described := 0
	call := Call{Tool: "run_command", Effect: session.EffectCommand,
		Describe: func() (session.ApprovalRequest, string) {
			described++
			return session.ApprovalRequest{Command: "go test ./...", Prefix: "go test"}, "1"
		}}
	if ap := c.Approve(context.Background(), Call{Tool: "read_file", Effect: session.EffectRead}); !ap.OK {
		t.Fatalf("a read is allowed without asking: %+v", ap)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		waitState(t, c, session.StateWaiting)
		if err := c.Resolve(context.Background(), session.Decision{Kind: session.DecideApproval, RequestID: "ap-1", Approve: true, Scope: session.ScopePrefix}); err != nil {
			t.Errorf("resolve: %v", err)
		}
	}()
	ap := c.Approve(context.Background(), call)
	wg.Wait()
	if !ap.OK || ap.Scope != session.ScopePrefix {
		t.Fatalf("approved call: %+v", ap)
	}
	if ap := c.Approve(context.Background(), call); !ap.OK {
		t.Fatalf("the remembered prefix must let the call run: %+v", ap)
	}
	if described != 2 {
		t.Fatalf("describe ran %d times, want 2 (never for a read)", described)
	}
	wantEvents(t, log,
		"approval_requested "+fmt.Sprintf("%+v", session.ApprovalRequested{Request: session.ApprovalRequest{
			ID: "ap-1", Kind: session.ApproveCommand, Tool: "run_command", StepID: "1", Command: "go test ./...", Prefix: "go test"}}),
		"approval_resolved {RequestID:ap-1 Approved:true Scope:prefix Reason:}",
	)
}

func TestApproveRefusals(t *testing.T) {
	ro, _ := newControls(t, Config{Policy: session.PolicyReadOnly})
	ap := ro.Approve(context.Background(), Call{Tool: "edit_file", Effect: session.EffectWrite})
	if ap.OK || ap.Summary != "edit_file: not allowed (read-only)" {
		t.Fatalf("read-only: %+v", ap)
	}
	headless, log := newControls(t, Config{Policy: session.PolicyAsk})
	ap = headless.Approve(context.Background(), Call{Tool: "run_command", Effect: session.EffectCommand,
		Describe: func() (session.ApprovalRequest, string) { return session.ApprovalRequest{Prefix: "make"}, "" }})
	if ap.OK || ap.Output != HeadlessAdvice("run_command", session.PolicyAsk) || !strings.Contains(ap.Output, "--approval full-auto") {
		t.Fatalf("headless: %+v", ap)
	}
	if len(events(log)) != 0 {
		t.Fatalf("a headless refusal asks nobody: %v", events(log))
	}
	c, _ := newControls(t, Config{Policy: session.PolicyAsk, Interactive: true})
	go func() {
		waitState(t, c, session.StateWaiting)
		_ = c.Resolve(context.Background(), session.Decision{RequestID: "ap-1", Reason: " "})
	}()
	ap = c.Approve(context.Background(), Call{Tool: "create_file", Effect: session.EffectWrite,
		Describe: func() (session.ApprovalRequest, string) { return session.ApprovalRequest{}, "" }})
	if ap.OK || ap.Output != "The user denied this call. Their reason: (none given)" {
		t.Fatalf("denied: %+v", ap)
	}
}

type reviewer struct {
	feedback string
	acked    *int // counts Feedback.Delivered calls
}

func (r reviewer) Decide(ctx context.Context, d session.Decision) (Feedback, error) {
	if d.Reason == "fail" {
		return Feedback{}, errors.New("no such hunk")
	}
	fb := Feedback{Text: r.feedback}
	if r.acked != nil {
		fb.Delivered = func() { *r.acked++ }
	}
	return fb, nil
}

func TestReviewFeedbackIsQueuedForTheBoundary(t *testing.T) {
	c, _ := newControls(t, Config{})
	if err := c.Resolve(context.Background(), session.Decision{Kind: session.DecideReview}); err == nil || err.Error() != "this session does not stage changes" {
		t.Fatalf("review without a reviewer: %v", err)
	}
	c, log := newControls(t, Config{Review: reviewer{feedback: "The user rejected main.go."}})
	if err := c.Resolve(context.Background(), session.Decision{Kind: session.DecideReview, Action: session.ReviewReject, Reason: "fail"}); err == nil {
		t.Fatal("the reviewer's error must come back")
	}
	if err := c.Resolve(context.Background(), session.Decision{Kind: session.DecideReview, Action: session.ReviewReject, Targets: []string{"main.go"}}); err != nil {
		t.Fatal(err)
	}
	if notes := c.Take(); len(notes) != 1 || notes[0].Text != "The user rejected main.go." || notes[0].Adjustment() {
		t.Fatalf("queued %v", notes)
	}
	wantEvents(t, log, "review_decided "+fmt.Sprintf("%+v", session.ReviewDecided{Action: session.ReviewReject, Targets: []string{"main.go"}}))
}

// Review feedback is acknowledged to the reviewer only when the engine reports
// it delivered, not when the decision is made or the note is taken: a session
// that ends in between must leave it undelivered.
func TestReviewFeedbackIsAckedOnlyOnDelivery(t *testing.T) {
	acked := 0
	c, _ := newControls(t, Config{Review: reviewer{feedback: "The user rejected main.go. Reason: too slow", acked: &acked}})
	if err := c.Resolve(context.Background(), session.Decision{Kind: session.DecideReview, Action: session.ReviewReject, Targets: []string{"main.go"}}); err != nil {
		t.Fatal(err)
	}
	notes := c.Take()
	if len(notes) != 1 || acked != 0 {
		t.Fatalf("notes %v, acked %d before delivery", notes, acked)
	}
	c.Requeue(notes) // the request failed
	notes = c.Take()
	if acked != 0 {
		t.Fatal("acked by a failed delivery")
	}
	c.Delivered(notes[0])
	if acked != 1 {
		t.Fatalf("acked %d after delivery", acked)
	}
}

// Feedback queued from outside a decision (what an earlier session left
// undelivered) is acknowledged only through Delivered, never by Take or a
// Requeue, and empty feedback queues nothing.
func TestQueueFeedbackAcknowledgesOnlyOnDelivery(t *testing.T) {
	c, _ := newControls(t, Config{})
	acks := 0
	c.QueueFeedback(Feedback{})
	c.QueueFeedback(Feedback{Text: "earlier: keep row two", Delivered: func() { acks++ }})
	notes := c.Take()
	if len(notes) != 1 || notes[0].Text != "earlier: keep row two" || notes[0].Adjustment() {
		t.Fatalf("took %v", notes)
	}
	c.Requeue(notes) // the request failed
	if acks != 0 {
		t.Fatal("acknowledged before delivery")
	}
	for _, n := range c.Take() {
		c.Delivered(n)
	}
	if acks != 1 {
		t.Fatalf("acknowledged %d times after delivery", acks)
	}
}
