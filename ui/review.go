package ui

import (
	"context"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/review"
)

// onDialogKey handles keys while an approval, a question or a reason prompt is up.
func (m *Model) onDialogKey(msg tea.KeyPressMsg) tea.Cmd {
	km := m.km
	switch {
	case len(m.approvals) > 0:
		req := m.approvals[0]
		if m.denying {
			switch {
			case key.Matches(msg, km.Back):
				m.denying = false
				m.prompt.Blur()
				return m.layout()
			case key.Matches(msg, km.Confirm):
				d := session.Decision{Kind: session.DecideApproval, RequestID: req.ID, Approve: false,
					Reason: strings.TrimSpace(m.prompt.Value())}
				m.denying = false
				m.prompt.Reset()
				m.prompt.Blur()
				m.approvals = m.approvals[1:]
				return tea.Batch(m.resolve("deny", d), m.layout())
			}
			var cmd tea.Cmd
			m.prompt, cmd = m.prompt.Update(msg)
			return cmd
		}
		scope := session.ApprovalScope("")
		switch {
		case key.Matches(msg, km.ApproveOnce):
			scope = session.ScopeOnce
		case key.Matches(msg, km.ApproveStep):
			scope = session.ScopeStep
		case key.Matches(msg, km.ApprovePrefix) && req.Prefix != "":
			scope = session.ScopePrefix
		case key.Matches(msg, km.Deny):
			m.denying = true
			m.prompt.Reset()
			return tea.Batch(m.prompt.Focus(), m.layout())
		}
		if scope == "" {
			return nil
		}
		m.approvals = m.approvals[1:]
		d := session.Decision{Kind: session.DecideApproval, RequestID: req.ID, Approve: true, Scope: scope}
		return tea.Batch(m.resolve("approve", d), m.layout())
	case m.question != nil:
		if key.Matches(msg, km.Confirm) {
			ans := strings.TrimSpace(m.prompt.Value())
			if ans == "" {
				return nil
			}
			d := session.Decision{Kind: session.DecideInput, RequestID: m.question.RequestID, Answer: ans}
			m.question = nil
			m.prompt.Reset()
			m.prompt.Blur()
			return tea.Batch(m.resolve("answer", d), m.layout())
		}
		var cmd tea.Cmd
		m.prompt, cmd = m.prompt.Update(msg)
		return cmd
	case m.reject != nil:
		switch {
		case key.Matches(msg, km.Back):
			m.reject = nil
			m.prompt.Blur()
			return m.layout()
		case key.Matches(msg, km.Confirm):
			r := m.reject
			m.reject = nil
			reason := strings.TrimSpace(m.prompt.Value())
			m.prompt.Reset()
			m.prompt.Blur()
			return tea.Batch(m.sendDecision(m.review.Decide(session.ReviewReject, r.Targets, reason, "")), m.layout())
		}
		var cmd tea.Cmd
		m.prompt, cmd = m.prompt.Update(msg)
		return cmd
	}
	return nil
}

func (m *Model) resolve(op string, d session.Decision) tea.Cmd {
	return m.call(op, false, func(ctx context.Context) error { return m.be.Resolve(ctx, d) })
}

// updateReview hands a key, or a message of its own commands, to the review
// and acts on what it asks: leave, send a decision, ask a rejection's reason.
func (m *Model) updateReview(msg tea.Msg) tea.Cmd {
	var out review.Out
	var cmd tea.Cmd
	m.review, out, cmd = m.review.Update(msg)
	switch {
	case out.Close:
		return tea.Batch(cmd, m.setFocus(focusInput))
	case out.Decision != nil:
		return tea.Batch(cmd, m.sendDecision(out.Decision))
	case out.Reject != nil:
		return tea.Batch(cmd, m.askReason(out.Reject))
	case out.Err != "":
		m.tr.AddNotice("error", out.Err)
	}
	return cmd
}

// sendDecision queues a review decision for the review port, in order with the
// other calls; the proposals are listed again once it is done.
func (m *Model) sendDecision(d *session.Decision) tea.Cmd {
	rv := m.opts.Review
	if rv == nil {
		return nil // nothing listed, nothing to decide
	}
	dd := *d
	return m.call(string(dd.Action), true, func(ctx context.Context) error { return rv.Decide(ctx, dd) })
}

func (m *Model) askReason(r *review.Rejection) tea.Cmd {
	m.reject = r
	m.prompt.Reset()
	return tea.Batch(m.prompt.Focus(), m.layout())
}
