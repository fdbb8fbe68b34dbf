package agent

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/session"
)

var calcFiles = map[string]string{
	"calc.go": "package calc\n\nfunc Add(a, b int) int { return a - b }\n",
}

func TestPlanEditRunFinish(t *testing.T) {
	model := newScripted(
		reply("Let me plan.", "set_plan", `{"steps":["Read calc.go","Fix Add"]}`),
		reply("", "update_step", `{"step":"1","status":"in_progress"}`, "read_file", `{"path":"calc.go"}`),
		reply("", "update_step", `{"step":1,"status":"done"}`, "update_step", `{"step":"2","status":"in_progress"}`,
			"edit_file", `{"path":"calc.go","old_string":"a - b","new_string":"a + b"}`),
		reply("", "update_step", `{"step":"2","status":"done"}`, "finish", `{"summary":"Add adds now."}`),
	)
	h := newHarness(t, calcFiles, model, nil)
	h.start("fix Add")
	fin := h.wait()
	if fin.State != session.StateFinished || fin.Summary != "Add adds now." {
		t.Fatalf("finished %+v\n%s", fin, h.dump())
	}
	data, _ := os.ReadFile(filepath.Join(h.dir, "calc.go"))
	if !strings.Contains(string(data), "a + b") {
		t.Fatalf("calc.go not fixed: %s", data)
	}
	for i, s := range fin.Plan.Steps {
		if s.Status != session.StepDone {
			t.Errorf("step %d is %s", i+1, s.Status)
		}
	}
	want := []string{"session_started", "text_finished", "tool_called", "plan_proposed", "tool_finished"}
	if got := h.types()[:5]; !slices.Equal(got, want) {
		t.Fatalf("first events %v, want %v", got, want)
	}
	// The read result reached the model as numbered lines.
	res := toolResults(model.request(2))
	if len(res) != 2 || !strings.Contains(res[1].Content, "a - b") {
		t.Fatalf("read result: %+v", res)
	}
	// First request: the task and the repository facts, after a constant system prompt.
	first := model.request(0)
	if first.System != systemPrompt || !strings.Contains(lastUserText(first), "fix Add") || !strings.Contains(lastUserText(first), "# Repository") {
		t.Fatalf("first request: %+v", first)
	}
}

func TestPauseStopsBeforeNextToolAndResumeContinuesExactly(t *testing.T) {
	release := make(chan struct{})
	model := newScripted(
		reply("", "set_plan", `{"steps":["look"]}`),
		blockUntil(release, "", "read_file", `{"path":"calc.go"}`, "list_dir", `{"path":"."}`),
		reply("", "finish", `{"summary":"done"}`),
	)
	h := newHarness(t, calcFiles, model, nil)
	h.start("look around")
	<-model.calls
	<-model.calls // the second call is in flight
	if err := h.engine.Pause(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := h.count("tool_called")
	close(release)
	h.waitFor("paused")
	// The model's answer arrived, but no tool of it may start while paused.
	for i := 0; i < 400 && h.count("usage_reported") < 2; i++ {
		waitABit()
	}
	waitABit()
	if got := h.count("tool_called"); got != before {
		t.Fatalf("a tool started while paused: %d tool calls, had %d\n%s", got, before, h.dump())
	}
	if h.engine.State() != session.StatePaused {
		t.Fatalf("state %s", h.engine.State())
	}
	if err := h.engine.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	fin := h.wait()
	if fin.State != session.StateFinished {
		t.Fatalf("%+v", fin)
	}
	// Each tool of the paused turn ran exactly once and both results were sent.
	res := toolResults(model.request(2))
	if len(res) != 2 || res[0].ToolUseID != "toolu_3_0" || res[1].ToolUseID != "toolu_3_1" {
		t.Fatalf("results after resume: %+v", res)
	}
	if n := h.count("tool_called"); n != 4 {
		t.Fatalf("want 4 tool calls in all (set_plan, read, list, finish), got %d", n)
	}
}

func TestAdjustReachesNextRequestAndWithdrawDoesNot(t *testing.T) {
	release := make(chan struct{})
	model := newScripted(
		blockUntil(release, "", "set_plan", `{"steps":["look"]}`),
		reply("", "finish", `{"summary":"ok"}`),
	)
	h := newHarness(t, calcFiles, model, nil)
	h.start("task")
	<-model.calls
	keep, err := h.engine.Adjust(context.Background(), "use tabs, not spaces")
	if err != nil {
		t.Fatal(err)
	}
	drop, _ := h.engine.Adjust(context.Background(), "never mind this")
	if err := h.engine.Withdraw(context.Background(), drop); err != nil {
		t.Fatal(err)
	}
	close(release)
	h.wait()
	text := lastUserText(model.request(1))
	if !strings.Contains(text, "[The user, while you work] use tabs, not spaces") {
		t.Fatalf("adjustment not sent: %q", text)
	}
	if strings.Contains(text, "never mind") {
		t.Fatalf("withdrawn adjustment was sent: %q", text)
	}
	if len(toolResults(model.request(1))) != 1 {
		t.Fatal("the tool result must still come first")
	}
	delivered := h.waitFor("adjust_delivered").Payload.(session.AdjustDelivered)
	if delivered.ID != keep {
		t.Fatalf("delivered %s, want %s", delivered.ID, keep)
	}
	if err := h.engine.Withdraw(context.Background(), keep); err == nil {
		t.Fatal("withdrawing a delivered adjustment must fail")
	}
}

func TestUserPlanEditsReachModel(t *testing.T) {
	release := make(chan struct{})
	model := newScripted(
		reply("", "set_plan", `{"steps":["one","two","three"]}`),
		blockUntil(release, "", "update_step", `{"step":"3","status":"in_progress"}`),
		reply("", "finish", `{"summary":"ok"}`),
	)
	h := newHarness(t, calcFiles, model, nil)
	h.start("task")
	<-model.calls
	<-model.calls
	ctx := context.Background()
	for _, e := range []session.PlanEdit{
		{Op: session.EditReword, StepID: "2", Title: "two, carefully"},
		{Op: session.EditDelete, StepID: "3"},
		{Op: session.EditAdd, Title: "four", After: "1"},
		{Op: session.EditMove, StepID: "4", By: 1},
	} {
		if err := h.engine.EditPlan(ctx, e); err != nil {
			t.Fatalf("%+v: %v", e, err)
		}
	}
	if err := h.engine.EditPlan(ctx, session.PlanEdit{Op: session.EditDelete, StepID: "9"}); err == nil {
		t.Fatal("deleting a missing step must fail")
	}
	close(release)
	fin := h.wait()
	var titles []string
	for _, s := range fin.Plan.Steps {
		titles = append(titles, s.ID+":"+s.Title)
	}
	if want := []string{"1:one", "2:two, carefully", "4:four"}; !slices.Equal(titles, want) {
		t.Fatalf("plan %v, want %v", titles, want)
	}
	req := model.request(2)
	text := lastUserText(req)
	for _, want := range []string{`reworded step 2`, `deleted step 3`, `added step 4 "four"`, `moved step 4`} {
		if !strings.Contains(text, want) {
			t.Errorf("model not told %q: %q", want, text)
		}
	}
	// The model tried to start the deleted step: it reads an error naming the plan.
	res := toolResults(req)
	if len(res) != 1 || !res[0].IsError || !strings.Contains(res[0].Content, `no step "3"`) {
		t.Fatalf("update of deleted step: %+v", res)
	}
}

func TestStopDuringModelCallRecordsPlan(t *testing.T) {
	model := newScripted(
		reply("", "set_plan", `{"steps":["a","b"]}`),
		blockUntil(make(chan struct{}), ""),
	)
	h := newHarness(t, calcFiles, model, nil)
	h.start("task")
	<-model.calls
	<-model.calls
	if err := h.engine.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	fin := h.wait()
	if fin.State != session.StateStopped || len(fin.Plan.Steps) != 2 {
		t.Fatalf("%+v", fin)
	}
}

func TestApprovalAskApproveDenyAndDoubleResolve(t *testing.T) {
	model := newScripted(
		reply("", "run_command", `{"command":"echo hi > out.txt"}`),
		reply("", "run_command", `{"command":"rm -rf build"}`),
		reply("", "finish", `{"summary":"ok"}`),
	)
	h := newHarness(t, calcFiles, model, func(c *Config) { c.Policy = session.PolicyAsk })
	h.start("task")
	ctx := context.Background()
	req := h.waitFor("approval_requested").Payload.(session.ApprovalRequested).Request
	if req.Command != "echo hi > out.txt" || req.Kind != session.ApproveCommand {
		t.Fatalf("request %+v", req)
	}
	if err := h.engine.Resolve(ctx, session.Decision{Kind: session.DecideApproval, RequestID: req.ID, Approve: true}); err != nil {
		t.Fatal(err)
	}
	if err := h.engine.Resolve(ctx, session.Decision{Kind: session.DecideApproval, RequestID: req.ID, Approve: false}); !errors.Is(err, session.ErrNotPending) {
		t.Fatalf("second resolve: %v", err)
	}
	var second session.ApprovalRequest
	for second.ID == "" || second.ID == req.ID {
		for _, e := range h.log.Snapshot(0) {
			if a, ok := e.Payload.(session.ApprovalRequested); ok {
				second = a.Request
			}
		}
		waitABit()
	}
	h.engine.Resolve(ctx, session.Decision{Kind: session.DecideApproval, RequestID: second.ID, Reason: "keep the build dir"})
	h.wait()
	if _, err := os.Stat(filepath.Join(h.dir, "out.txt")); err != nil {
		t.Fatal("the approved command did not run")
	}
	res := toolResults(model.request(2))
	if len(res) != 1 || !res[0].IsError || !strings.Contains(res[0].Content, "keep the build dir") {
		t.Fatalf("denial result: %+v", res)
	}
}

func TestHeadlessAskIsDeniedWithAdvice(t *testing.T) {
	model := newScripted(
		reply("", "create_file", `{"path":"new.txt","content":"x"}`),
		reply("", "finish", `{"summary":"ok"}`),
	)
	h := newHarness(t, calcFiles, model, func(c *Config) { c.Policy = session.PolicyAsk; c.Interactive = false })
	h.start("task")
	h.wait()
	res := toolResults(model.request(1))
	if len(res) != 1 || !res[0].IsError || !strings.Contains(res[0].Content, "--approval auto-edit") {
		t.Fatalf("%+v", res)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "new.txt")); err == nil {
		t.Fatal("the denied write happened")
	}
}

func TestHeadlessAskUserEndsWaiting(t *testing.T) {
	model := newScripted(reply("", "ask_user", `{"question":"which file?"}`))
	h := newHarness(t, calcFiles, model, func(c *Config) { c.Interactive = false })
	h.start("task")
	fin := h.wait()
	if fin.State != session.StateWaiting || fin.Summary != "which file?" {
		t.Fatalf("%+v", fin)
	}
}

func TestMalformedAndUnknownToolCallsGoBackAsErrors(t *testing.T) {
	model := newScripted(
		reply("", "read_file", `{"path": 12}`, "teleport", `{}`, "set_plan", `not json`),
		reply("", "finish", `{"summary":"ok"}`),
	)
	h := newHarness(t, calcFiles, model, nil)
	h.start("task")
	if fin := h.wait(); fin.State != session.StateFinished {
		t.Fatalf("%+v", fin)
	}
	res := toolResults(model.request(1))
	if len(res) != 3 {
		t.Fatalf("%+v", res)
	}
	for i, r := range res {
		if !r.IsError || r.Content == "" {
			t.Errorf("result %d: %+v", i, r)
		}
	}
}

func TestModelErrorFailsSessionWithMessage(t *testing.T) {
	model := newScripted(func(ctx context.Context, req llm.Request) (*llm.Response, error) {
		return nil, &llm.Error{Kind: llm.ErrAuth, Provider: "anthropic", Message: "the API key was rejected; check ANTHROPIC_API_KEY"}
	})
	h := newHarness(t, calcFiles, model, nil)
	h.start("task")
	fin := h.wait()
	if fin.State != session.StateFailed || !strings.Contains(fin.Error, "ANTHROPIC_API_KEY") {
		t.Fatalf("%+v", fin)
	}
}
