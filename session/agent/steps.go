package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"gitlab.com/wend/wend/session"
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
		id := e.nextRequestID("plan-")
		d, err := e.ask(ctx, session.ApprovalRequested{Request: session.ApprovalRequest{
			ID: id, Kind: session.ApprovePlan, Tool: "set_plan", Detail: fmt.Sprintf("%d steps", len(plan.Steps)),
		}}, id)
		if err != nil {
			return tools.Result{IsError: true, Output: "the session ended", Summary: "plan not approved"}
		}
		e.log.Append(session.ApprovalResolved{RequestID: id, Approved: d.Approve, Reason: d.Reason})
		if !d.Approve {
			return tools.Result{IsError: true, Summary: "plan refused",
				Output: "The user did not approve this plan. Their reason: " + orNone(d.Reason) + "\nPropose a new plan with set_plan."}
		}
		plan = e.Plan() // the user may have edited it while deciding
	}
	return tools.Result{Output: "Plan set. Steps (use these ids with update_step):\n" + plan.Checklist(),
		Summary: fmt.Sprintf("plan: %d steps", len(plan.Steps))}
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(none given)"
	}
	return s
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
	id := e.nextRequestID("q-")
	if !e.cfg.Interactive {
		e.log.Append(session.InputRequested{RequestID: id, Question: a.Question})
		return tools.Result{Output: "The user is not at the terminal.", Summary: "waiting for input"},
			&outcome{state: session.StateWaiting, summary: a.Question, err: errWaiting}
	}
	d, err := e.ask(ctx, session.InputRequested{RequestID: id, Question: a.Question}, id)
	if err != nil {
		return tools.Result{IsError: true, Output: "the session ended"}, nil
	}
	e.log.Append(session.InputAnswered{RequestID: id, Answer: d.Answer})
	return tools.Result{Output: "The user answered: " + d.Answer, Summary: "answered"}, nil
}

// approve applies the approval policy to one call. It returns ok=false with the
// result the model should read when the call must not run.
func (e *Engine) approve(ctx context.Context, call tools.Call) (tools.Result, bool) {
	effect := e.cfg.Tools.Effect(call)
	switch e.cfg.Policy.Judge(effect) {
	case session.Allow:
		return tools.Result{}, true
	case session.Deny:
		return tools.Result{IsError: true, Summary: call.Name + ": not allowed (read-only)",
			Output: fmt.Sprintf("%s is not allowed: the session's approval policy is read-only. Describe the change instead.", call.Name)}, false
	}
	req := e.cfg.Tools.Describe(call)
	step := e.currentStep()
	if e.granted(req, step) {
		return tools.Result{}, true
	}
	if !e.cfg.Interactive {
		return tools.Result{IsError: true, Summary: call.Name + ": needs approval",
			Output: fmt.Sprintf("%s needs the user's approval, and this headless run cannot ask (approval policy %q). The user can rerun with --approval auto-edit (edits) or --approval full-auto (commands). Continue without it if you can.", call.Name, e.cfg.Policy)}, false
	}
	req.ID = e.nextRequestID("ap-")
	req.Tool = call.Name
	req.StepID = step
	if req.Kind == "" {
		req.Kind = session.ApproveCommand
		if effect == session.EffectWrite {
			req.Kind = session.ApproveWrite
		}
	}
	d, err := e.ask(ctx, session.ApprovalRequested{Request: req}, req.ID)
	if err != nil {
		return tools.Result{IsError: true, Output: "the session ended", Summary: "cancelled"}, false
	}
	e.log.Append(session.ApprovalResolved{RequestID: req.ID, Approved: d.Approve, Scope: d.Scope, Reason: d.Reason})
	if !d.Approve {
		return tools.Result{IsError: true, Summary: call.Name + ": denied by the user",
			Output: "The user denied this call. Their reason: " + orNone(d.Reason)}, false
	}
	e.remember(req, step, d.Scope)
	return tools.Result{}, true
}

func (e *Engine) granted(req session.ApprovalRequest, step string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if step != "" && e.grants["step:"+step+":"+string(req.Kind)] {
		return true
	}
	return req.Prefix != "" && e.grants["prefix:"+req.Prefix]
}

func (e *Engine) remember(req session.ApprovalRequest, step string, scope session.ApprovalScope) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch scope {
	case session.ScopeStep:
		if step != "" {
			e.grants["step:"+step+":"+string(req.Kind)] = true
		}
	case session.ScopePrefix:
		if req.Prefix != "" {
			e.grants["prefix:"+req.Prefix] = true
		}
	}
}
