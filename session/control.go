package session

import (
	"context"
	"fmt"
)

// Approval policies, from most to least cautious.
type ApprovalPolicy string

const (
	PolicyReadOnly ApprovalPolicy = "read-only"
	PolicyAsk      ApprovalPolicy = "ask"
	PolicyAutoEdit ApprovalPolicy = "auto-edit"
	PolicyFullAuto ApprovalPolicy = "full-auto"
)

// ParseApprovalPolicy validates a policy name from a flag or config.
func ParseApprovalPolicy(s string) (ApprovalPolicy, error) {
	switch p := ApprovalPolicy(s); p {
	case PolicyReadOnly, PolicyAsk, PolicyAutoEdit, PolicyFullAuto:
		return p, nil
	case "":
		return PolicyAsk, nil
	}
	return "", fmt.Errorf("unknown approval policy %q (use read-only, ask, auto-edit or full-auto)", s)
}

// Effect is what a tool call does to the world, which decides whether it needs the
// user's approval.
type Effect string

const (
	EffectRead    Effect = "read"
	EffectWrite   Effect = "write"
	EffectCommand Effect = "command"
	// EffectProtected is a write to a path that steers wend or git themselves
	// (.wend.toml, the user's config) or that the user protected: every policy
	// but read-only asks, each time, naming the path (ApproveProtected).
	EffectProtected Effect = "protected-write"
	// EffectNetwork is a command that asks to keep the network the sandbox
	// would cut: every policy but read-only asks, each time, naming the
	// command (ApproveNetwork).
	EffectNetwork Effect = "network-command"
)

// Verdict is the policy's answer for one call.
type Verdict int

const (
	Allow Verdict = iota
	Ask
	Deny
)

// Judge decides whether a call with this effect may run, must ask, or is refused.
// Both engines call it, so approvals behave the same whoever plans.
func (p ApprovalPolicy) Judge(e Effect) Verdict {
	switch e {
	case EffectRead:
		return Allow
	case EffectWrite:
		switch p {
		case PolicyReadOnly:
			return Deny
		case PolicyAsk:
			return Ask
		}
		return Allow
	case EffectCommand:
		switch p {
		case PolicyReadOnly:
			return Deny
		case PolicyFullAuto:
			return Allow
		}
		return Ask
	case EffectProtected, EffectNetwork:
		if p == PolicyReadOnly {
			return Deny
		}
		return Ask
	}
	return Ask
}

// ApprovalKind is what an approval request is about.
type ApprovalKind string

const (
	ApproveCommand ApprovalKind = "command"
	ApproveWrite   ApprovalKind = "write"
	ApprovePlan    ApprovalKind = "plan"
	// ApproveProtected asks for one write to a protected path; Path names it and
	// Detail says why it is protected. No earlier grant covers it.
	ApproveProtected ApprovalKind = "protected-write"
	// ApproveNetwork asks for one command to reach the network; Command
	// names it. No earlier grant covers it and it grants nothing further.
	ApproveNetwork ApprovalKind = "network-command"
)

// ApprovalRequest asks the user to let one tool call run. It blocks only that call.
type ApprovalRequest struct {
	ID     string       `json:"id"`
	Kind   ApprovalKind `json:"kind"`
	Tool   string       `json:"tool"`
	StepID string       `json:"step_id,omitempty"`
	// Command is the shell command, for command approvals; Prefix its first word(s),
	// which "always approve this prefix" remembers.
	Command string `json:"command,omitempty"`
	Prefix  string `json:"prefix,omitempty"`
	Path    string `json:"path,omitempty"`
	// Detail is a short human description ("edit main.go: 3 lines").
	Detail string `json:"detail,omitempty"`
}

// ApprovalScope is how far a grant reaches.
type ApprovalScope string

const (
	ScopeOnce   ApprovalScope = "once"
	ScopeStep   ApprovalScope = "step"
	ScopePrefix ApprovalScope = "prefix"
)

// DecisionKind says what a Decision answers.
type DecisionKind string

const (
	DecideApproval DecisionKind = "approval"
	DecideInput    DecisionKind = "input"
	DecideReview   DecisionKind = "review"
)

// Decision is the user's answer to an approval request, a question, or proposed
// changes. Resolving twice is harmless: the second answer is refused with
// ErrNotPending and changes nothing.
type Decision struct {
	Kind      DecisionKind  `json:"kind"`
	RequestID string        `json:"request_id,omitempty"`
	Approve   bool          `json:"approve,omitempty"`
	Scope     ApprovalScope `json:"scope,omitempty"`
	Answer    string        `json:"answer,omitempty"`
	Action    ReviewAction  `json:"action,omitempty"`
	// Targets are hunk ids, file paths, or "all".
	Targets []string `json:"targets,omitempty"`
	// Content is the user's edited file, for ReviewModify.
	Content string `json:"content,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// ErrNotPending answers a decision for a request that is no longer waiting.
var ErrNotPending = fmt.Errorf("that request is no longer waiting for an answer")

// Task is what the user asked for.
type Task struct {
	Text string `json:"text"`
	// Context holds rendered GitLab items and files the user referenced, attached to
	// the first request.
	Context []ContextItem `json:"context,omitempty"`
	// Retry marks the task as the previous one again (after it failed or was
	// stopped): the model is told so, and it has the conversation so far.
	Retry bool `json:"retry,omitempty"`
}

// ContextItem is one referenced thing, already rendered for the model.
type ContextItem struct {
	Ref   string `json:"ref"`
	Title string `json:"title"`
	Body  string `json:"body"`
}

// Backend is the port between a front end and an engine. The in-process engine and
// the gRPC client both implement it; everything crossing it is plain data.
//
// Control calls return once the request is recorded; their effect shows up as events
// (Paused, PlanEdited, ...), which are the only truth a front end should display.
type Backend interface {
	Start(ctx context.Context, task Task) error
	Pause(ctx context.Context) error
	Resume(ctx context.Context) error
	Stop(ctx context.Context) error
	EditPlan(ctx context.Context, edit PlanEdit) error
	// Adjust queues a sentence for the model's next boundary and returns its id.
	Adjust(ctx context.Context, text string) (string, error)
	// Withdraw takes a queued adjustment back before it is delivered.
	Withdraw(ctx context.Context, adjustID string) error
	Resolve(ctx context.Context, d Decision) error
	// Events streams the log from seq after+1, then live events, until ctx ends.
	// Text deltas may be coalesced for a slow reader; nothing else is dropped.
	Events(ctx context.Context, after int64) <-chan Event
}
