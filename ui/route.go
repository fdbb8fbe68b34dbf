package ui

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/dialog"
	"gitlab.com/wend/wend/ui/review"
)

// onDialogKey hands a key to the dialog up (an approval, a question, a
// rejection's reason) and sends what it decided.
func (m *Model) onDialogKey(msg tea.KeyPressMsg) tea.Cmd {
	var out dialog.Out
	var cmd tea.Cmd
	m.dlg, out, cmd = m.dlg.Update(msg)
	cmds := []tea.Cmd{cmd}
	if out.Resolve != nil {
		cmds = append(cmds, m.resolve(out.Op, *out.Resolve))
	}
	if r := out.Reject; r != nil {
		cmds = append(cmds, m.sendDecision(m.review.Decide(session.ReviewReject, r.Targets, r.Reason, "")))
	}
	if out.Relayout {
		cmds = append(cmds, m.layout())
	}
	return tea.Batch(cmds...)
}

func (m *Model) resolve(op string, d session.Decision) tea.Cmd {
	return m.call(op, false, func(ctx context.Context) error { return m.be.Resolve(ctx, d) })
}

// updateReview hands a key, or a message of its own commands, to the review
// and acts on what it asks: leave, send a decision, ask a rejection's reason,
// count a new listing in the status bar.
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
	case out.Listed:
		// The port is the authority on what is proposed; events only add up.
		files := m.review.Files()
		m.staged = make(map[string][2]int, len(files))
		for _, f := range files {
			m.staged[f.Path] = [2]int{f.Added, f.Deleted}
		}
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
	return tea.Batch(m.dlg.AskReason(r.Title, r.Targets), m.layout())
}
