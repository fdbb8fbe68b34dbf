// Package agent is wend's own engine: it asks the model for a plan, works through it
// with tools, stages every change, waits on the user's approvals, and honours pause,
// adjust, plan edits and stop at boundaries (before a model call or a tool call, never
// inside one). It implements session.Backend.
package agent

import (
	"context"

	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/steer"
	"gitlab.com/wend/wend/session/tools"
)

// Model is the provider port; llm.Provider satisfies it.
type Model interface {
	Stream(ctx context.Context, req llm.Request, onDelta func(llm.Delta)) (*llm.Response, error)
}

// Toolbox is the tools port. Execute must not panic on bad input: a malformed call
// comes back as an error Result the model can read.
type Toolbox interface {
	Specs() []tools.Spec
	Effect(call tools.Call) session.Effect
	// Describe fills the human part of an approval request (command, prefix, path).
	Describe(call tools.Call) session.ApprovalRequest
	Execute(ctx context.Context, call tools.Call) tools.Result
}

// Reviewer is the staging port: it summarises what the agent changed and applies the
// user's review decisions. Nil means changes are not staged (tests, read-only runs).
type Reviewer interface {
	// Staged describes the current proposal for each path.
	Staged(ctx context.Context, paths []string) ([]session.ChangeStaged, error)
	// Decide applies a review decision and returns a sentence for the model when the
	// decision is one it must hear about (a rejection, a modification), else an
	// empty Text. Its Delivered is called once a model request carrying the
	// sentence has succeeded.
	Decide(ctx context.Context, d session.Decision) (steer.Feedback, error)
}
