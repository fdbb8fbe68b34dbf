package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/steer"
	"gitlab.com/wend/wend/session/tools"
)

// setPlan replaces the pending steps. With plan approval on, the first plan waits for
// the user's go; a refusal goes back to the model with the user's reason.
func (e *Engine) setPlan(ctx context.Context, call tools.Call) tools.Result {
	var a struct {
		Steps []string `json:"steps"`
	}
	if err := json.Unmarshal(call.Args, &a); err != nil || len(a.Steps) == 0 {
		if err == nil {
			err = fmt.Errorf("steps is empty")
		}
		return badArgs(call, err, `{"steps": ["first step", "second step"]}`)
	}
	e.mu.Lock()
	first := len(e.plan.Steps) == 0
	e.plan.ReplacePending(a.Steps)
	plan := e.plan.Clone()
	e.mu.Unlock()
	awaiting := first && e.cfg.PlanApproval && e.cfg.Interactive
	e.log.Append(session.PlanProposed{Plan: plan, AwaitingApproval: awaiting})
	if awaiting {
		d, err := e.ctl.AskPlan(ctx, "set_plan", len(plan.Steps))
		if err != nil {
			return tools.Result{IsError: true, Output: "the session ended", Summary: "plan not approved"}
		}
		if !d.Approve {
			return tools.Result{IsError: true, Summary: "plan refused",
				Output: "The user did not approve this plan. Their reason: " + steer.OrNone(d.Reason) + "\nPropose a new plan with set_plan."}
		}
		plan = e.Plan() // the user may have edited it while deciding
	}
	return tools.Result{Output: "Plan set. Steps (use these ids with update_step):\n" + plan.Checklist(),
		Summary: fmt.Sprintf("plan: %d steps", len(plan.Steps))}
}

func (e *Engine) updateStep(call tools.Call) tools.Result {
	var a struct {
		Step   json.RawMessage `json:"step"`
		Status string          `json:"status"`
		Note   string          `json:"note"`
	}
	if err := json.Unmarshal(call.Args, &a); err != nil {
		return badArgs(call, err, `{"step": "1", "status": "in_progress|done|skipped|failed", "note": "optional"}`)
	}
	// Models send ids as "2" or 2; accept both.
	id := strings.Trim(string(a.Step), `" `)
	status, err := session.ParseStepStatus(a.Status)
	if err != nil {
		return badArgs(call, err, `{"step": "1", "status": "in_progress|done|skipped|failed"}`)
	}
	e.mu.Lock()
	s, ok := e.plan.Step(id)
	if !ok {
		checklist := e.plan.Checklist()
		e.mu.Unlock()
		return tools.Result{IsError: true, Summary: "no step " + id,
			Output: fmt.Sprintf("There is no step %q. The plan is:\n%s", id, checklist)}
	}
	if s.Status == session.StepSkipped && status != session.StepSkipped {
		e.mu.Unlock()
		return tools.Result{IsError: true, Summary: "step " + id + " skipped by the user",
			Output: fmt.Sprintf("Step %s was skipped by the user; do not work on it.", id)}
	}
	s.Status = status
	if a.Note != "" {
		s.Note = a.Note
	}
	step := *s
	e.mu.Unlock()
	if status == session.StepRunning {
		e.log.Append(session.StepStarted{StepID: step.ID, Title: step.Title})
	} else {
		e.log.Append(session.StepFinished{StepID: step.ID, Status: step.Status, Note: step.Note})
	}
	return tools.Result{Output: fmt.Sprintf("Step %s is now %s.", step.ID, step.Status),
		Summary: fmt.Sprintf("step %s %s", step.ID, step.Status)}
}

func (e *Engine) askUser(ctx context.Context, call tools.Call) (tools.Result, *outcome) {
	var a struct {
		Question string `json:"question"`
	}
	if err := json.Unmarshal(call.Args, &a); err != nil || strings.TrimSpace(a.Question) == "" {
		return badArgs(call, fmt.Errorf("question is required"), `{"question": "..."}`), nil
	}
	answer, err := e.ctl.Input(ctx, a.Question)
	if errors.Is(err, steer.ErrNoUser) {
		return tools.Result{Output: "The user is not at the terminal.", Summary: "waiting for input"},
			&outcome{state: session.StateWaiting, summary: a.Question, err: errWaiting}
	}
	if err != nil {
		return tools.Result{IsError: true, Output: "the session ended"}, nil
	}
	return tools.Result{Output: "The user answered: " + answer, Summary: "answered"}, nil
}

// approve applies the approval policy to one call (see steer.Controls.Approve). It
// returns ok=false with the result the model should read when the call must not run.
func (e *Engine) approve(ctx context.Context, call tools.Call) (tools.Result, bool) {
	ap := e.ctl.Approve(ctx, steer.Call{Tool: call.Name, Effect: e.cfg.Tools.Effect(call),
		Describe: func() (session.ApprovalRequest, string) { return e.cfg.Tools.Describe(call), e.currentStep() }})
	return tools.Result{IsError: !ap.OK, Summary: ap.Summary, Output: ap.Output}, ap.OK
}
