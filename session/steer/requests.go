package steer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gitlab.com/wend/wend/session"
)

// NextRequestID returns prefix followed by the next number of one counter shared
// by all prefixes ("ap-1", "q-2", "plan-3").
func (c *Controls) NextRequestID(prefix string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqN++
	return prefix + strconv.Itoa(c.reqN)
}

// Ask registers request id, appends announce (ApprovalRequested or
// InputRequested) and blocks until Resolve answers it or ctx ends. Meanwhile the
// state is waiting; on return it goes back to what it was, unless something else
// (a pause, a resume) changed it in between. On return the request is no longer
// pending either way, so a late answer gets session.ErrNotPending.
func (c *Controls) Ask(ctx context.Context, announce session.Payload, id string) (session.Decision, error) {
	ch := make(chan session.Decision, 1) // Resolve never blocks on it
	c.mu.Lock()
	c.pending[id] = ch
	prev := c.state
	c.state = session.StateWaiting
	c.log.Append(announce)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		if c.state == session.StateWaiting {
			c.state = prev
		}
		c.mu.Unlock()
	}()
	select {
	case d := <-ch:
		return d, nil
	case <-ctx.Done():
		return session.Decision{}, ctx.Err()
	}
}

// Resolve answers a pending request, or applies a review decision (Config.Review,
// which may take a while: call with no lock held). The first answer to a request
// wins; answering one that is not waiting returns session.ErrNotPending and
// changes nothing.
func (c *Controls) Resolve(ctx context.Context, d session.Decision) error {
	if d.Kind == session.DecideReview {
		return c.review(ctx, d)
	}
	c.mu.Lock()
	ch, ok := c.pending[d.RequestID]
	delete(c.pending, d.RequestID)
	c.mu.Unlock()
	if !ok {
		return session.ErrNotPending
	}
	ch <- d // buffered: never blocks
	return nil
}

func stepGrant(req session.ApprovalRequest, step string) string {
	return "step:" + step + ":" + string(req.Kind)
}

// Granted reports whether an earlier grant covers req: one for this step and
// this kind of request (ScopeStep), or for req's command prefix (ScopePrefix).
func (c *Controls) Granted(req session.ApprovalRequest, step string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if step != "" && c.grants[stepGrant(req, step)] {
		return true
	}
	return req.Prefix != "" && c.grants["prefix:"+req.Prefix]
}

// Remember records the user's grant for the rest of the session: ScopeStep
// covers req's kind for step (nothing outside a step), ScopePrefix covers req's
// command prefix (nothing without one); ScopeOnce records nothing.
func (c *Controls) Remember(req session.ApprovalRequest, step string, scope session.ApprovalScope) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch scope {
	case session.ScopeStep:
		if step != "" {
			c.grants[stepGrant(req, step)] = true
		}
	case session.ScopePrefix:
		if req.Prefix != "" {
			c.grants["prefix:"+req.Prefix] = true
		}
	}
}

// Call is one tool call for Approve.
type Call struct {
	Tool   string
	Effect session.Effect
	// Describe returns the request as the toolbox describes it (kind, command,
	// prefix, path, detail) and the step in progress. It runs only when the
	// policy asks, before the grants are checked.
	Describe func() (req session.ApprovalRequest, step string)
}

// Approval is Approve's answer. When OK is false, Summary (a short line for the
// user) and Output (what the model or service reads) say why the call must not
// run.
type Approval struct {
	OK bool
	// Scope is the grant the user gave in the dialog, "" when no dialog ran.
	Scope           session.ApprovalScope
	Summary, Output string
}

// Approve applies the approval policy to one call: allowed and refused calls
// return at once; a call the policy asks about runs if a remembered grant covers
// it, is refused with advice in a headless session, else blocks in the approval
// dialog (ApprovalRequested, then ApprovalResolved) until the user answers or ctx
// ends, and remembers the grant.
func (c *Controls) Approve(ctx context.Context, call Call) Approval {
	switch c.cfg.Policy.Judge(call.Effect) {
	case session.Allow:
		return Approval{OK: true}
	case session.Deny:
		return Approval{Summary: call.Tool + ": not allowed (read-only)",
			Output: fmt.Sprintf("%s is not allowed: the session's approval policy is read-only. Describe the change instead.", call.Tool)}
	}
	req, step := call.Describe()
	// A protected write, or a command that asks for the network, is approved
	// one call at a time, by a request naming its path or command: no grant
	// for the step or a prefix may cover it, and approving it grants nothing.
	protected := call.Effect == session.EffectProtected
	network := call.Effect == session.EffectNetwork
	oneAtATime := protected || network
	if !oneAtATime && c.Granted(req, step) {
		return Approval{OK: true}
	}
	if !c.cfg.Interactive {
		if protected {
			return Approval{Summary: call.Tool + ": protected path, needs the user",
				Output: fmt.Sprintf("%s was not run: %s. Only the user can approve that, one write at a time, and this headless run cannot ask. Leave this change to the user and tell them what it should be.", call.Tool, req.Detail)}
		}
		if network {
			return Approval{Summary: call.Tool + ": network access, needs the user",
				Output: fmt.Sprintf("%s was not run: it asks for network access, which only the user can approve, one command at a time, and this headless run cannot ask. "+
					"Run it without the network if it can work offline (leave out network: true), or tell the user which command needs the network and why.", call.Tool)}
		}
		return Approval{Summary: call.Tool + ": needs approval", Output: HeadlessAdvice(call.Tool, c.cfg.Policy)}
	}
	req.ID = c.NextRequestID("ap-")
	req.Tool = call.Tool
	req.StepID = step
	switch {
	case protected:
		req.Kind = session.ApproveProtected
	case network:
		req.Kind, req.Prefix = session.ApproveNetwork, ""
	case req.Kind == "":
		req.Kind = session.ApproveCommand
		if call.Effect == session.EffectWrite {
			req.Kind = session.ApproveWrite
		}
	}
	d, err := c.Ask(ctx, session.ApprovalRequested{Request: req}, req.ID)
	if err != nil {
		return Approval{Output: "the session ended", Summary: "cancelled"}
	}
	c.log.Append(session.ApprovalResolved{RequestID: req.ID, Approved: d.Approve, Scope: d.Scope, Reason: d.Reason})
	if !d.Approve {
		return Approval{Summary: call.Tool + ": denied by the user",
			Output: "The user denied this call. Their reason: " + OrNone(d.Reason)}
	}
	if oneAtATime {
		return Approval{OK: true, Scope: session.ScopeOnce}
	}
	c.Remember(req, step, d.Scope)
	return Approval{OK: true, Scope: d.Scope}
}

// HeadlessAdvice tells the model why a call the policy would ask about was
// refused in a headless run, and what the user can do about it.
func HeadlessAdvice(tool string, p session.ApprovalPolicy) string {
	return fmt.Sprintf("%s needs the user's approval, and this headless run cannot ask (approval policy %q). "+
		"The user can rerun with --approval auto-edit (edits) or --approval full-auto (commands). Continue without it if you can.", tool, p)
}

// OrNone is the user's reason, or "(none given)" when it is blank.
func OrNone(reason string) string {
	if strings.TrimSpace(reason) == "" {
		return "(none given)"
	}
	return reason
}

// AskPlan asks the user to approve a plan of n steps proposed through tool, and
// blocks until they answer (ApprovalResolved is appended) or ctx ends.
func (c *Controls) AskPlan(ctx context.Context, tool string, n int) (session.Decision, error) {
	id := c.NextRequestID("plan-")
	d, err := c.Ask(ctx, session.ApprovalRequested{Request: session.ApprovalRequest{
		ID: id, Kind: session.ApprovePlan, Tool: tool, Detail: fmt.Sprintf("%d steps", n),
	}}, id)
	if err != nil {
		return d, err
	}
	c.log.Append(session.ApprovalResolved{RequestID: id, Approved: d.Approve, Reason: d.Reason})
	return d, nil
}

// ErrNoUser is Input's answer in a headless session: the question is in the log
// and the run should end waiting for the user.
var ErrNoUser = errors.New("the user is not at the terminal")

// Input asks the user a question (InputRequested) and blocks until they answer
// (InputAnswered) or ctx ends. A headless session only records the question and
// returns ErrNoUser at once.
func (c *Controls) Input(ctx context.Context, question string) (string, error) {
	id := c.NextRequestID("q-")
	if !c.cfg.Interactive {
		c.log.Append(session.InputRequested{RequestID: id, Question: question})
		return "", ErrNoUser
	}
	d, err := c.Ask(ctx, session.InputRequested{RequestID: id, Question: question}, id)
	if err != nil {
		return "", err
	}
	c.log.Append(session.InputAnswered{RequestID: id, Answer: d.Answer})
	return d.Answer, nil
}
