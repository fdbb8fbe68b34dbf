package ui

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"gitlab.com/wend/wend/session"
)

type (
	// editorReadyMsg: the file to edit was written to a temporary file.
	editorReadyMsg struct {
		path, tmp string
		err       error
	}
	// editorDoneMsg: the editor exited and its result was read back.
	editorDoneMsg struct {
		path, content string
		err           error
	}
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
			return tea.Batch(m.decide(session.ReviewReject, r.targets, reason, ""), m.layout())
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

// decide sends a review decision and remembers it for undo.
func (m *Model) decide(a session.ReviewAction, targets []string, reason, content string) tea.Cmd {
	if a != session.ReviewUndo {
		undo := targets
		if len(targets) == 1 && targets[0] == "all" {
			// "u" after accept/reject all takes back those decisions file by file; it
			// must not become undo-all, which returns every path to the baseline.
			undo = nil
			for _, f := range m.review.Files() {
				undo = append(undo, f.Path)
			}
		}
		if len(undo) > 0 {
			m.undo = append(m.undo, undo)
		}
	}
	d := session.Decision{Kind: session.DecideReview, Action: a, Targets: targets, Reason: reason, Content: content}
	rv := m.opts.Review
	if rv == nil {
		return nil // nothing listed, nothing to decide
	}
	return m.call(string(a), true, func(ctx context.Context) error { return rv.Decide(ctx, d) })
}

func (m *Model) onReviewKey(msg tea.KeyPressMsg) tea.Cmd {
	km := m.km
	f, h := m.review.Current()
	hunkTargets := func() []string {
		if h != nil {
			return []string{h.ID}
		}
		// On a file row a hunk action only moves to the first hunk: deciding a
		// whole file takes the file key, never a slip.
		m.review.NextHunk()
		return nil
	}
	switch {
	case key.Matches(msg, km.Up):
		m.review.Move(-1)
	case key.Matches(msg, km.Down):
		m.review.Move(1)
	case key.Matches(msg, km.NextHunk):
		m.review.NextHunk()
	case key.Matches(msg, km.PrevHunk):
		m.review.PrevHunk()
	case key.Matches(msg, km.AcceptHunk):
		if t := hunkTargets(); t != nil {
			m.review.NextUndecided()
			return m.decide(session.ReviewAccept, t, "", "")
		}
	case key.Matches(msg, km.AcceptFile):
		if f != nil {
			return m.decide(session.ReviewAccept, []string{f.Path}, "", "")
		}
	case key.Matches(msg, km.RejectHunk):
		if t := hunkTargets(); t != nil {
			return m.askReason("Reject this hunk", t)
		}
	case key.Matches(msg, km.RejectFile):
		if f != nil {
			return m.askReason("Reject all of "+f.Path, []string{f.Path})
		}
	case key.Matches(msg, km.AcceptAll):
		return m.decide(session.ReviewAccept, []string{"all"}, "", "")
	case key.Matches(msg, km.RejectAll):
		return m.askReason("Reject every proposed change", []string{"all"})
	case key.Matches(msg, km.Undo):
		if n := len(m.undo); n > 0 {
			t := m.undo[n-1]
			m.undo = m.undo[:n-1]
			return m.decide(session.ReviewUndo, t, "", "")
		}
	case key.Matches(msg, km.Modify):
		if f != nil && !f.Binary && f.Kind != session.ChangeDeleted {
			return m.prepareEdit(f.Path)
		}
	}
	return nil
}

func (m *Model) askReason(title string, targets []string) tea.Cmd {
	m.reject = &pendingDecision{title: title, targets: targets}
	m.prompt.Reset()
	return tea.Batch(m.prompt.Focus(), m.layout())
}

// prepareEdit writes the proposed content to a temporary file (in a command).
func (m *Model) prepareEdit(path string) tea.Cmd {
	rv, ctx := m.opts.Review, m.ctx
	return func() tea.Msg {
		var content string
		var err error
		if rv != nil {
			content, err = rv.ChangeContent(ctx, path)
		} else {
			var b []byte
			b, err = os.ReadFile(path)
			content = string(b)
		}
		if err != nil {
			return editorReadyMsg{path: path, err: err}
		}
		f, err := os.CreateTemp("", "wend-*-"+filepath.Base(path))
		if err != nil {
			return editorReadyMsg{path: path, err: err}
		}
		_, err = f.WriteString(content)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return editorReadyMsg{path: path, tmp: f.Name(), err: err}
	}
}

// runEditor suspends the UI and runs the editor on the temporary file.
func (m *Model) runEditor(msg editorReadyMsg) tea.Cmd {
	if msg.err != nil {
		m.tr.AddNotice("error", "modify "+msg.path+": "+msg.err.Error())
		return nil
	}
	args := strings.Fields(m.editorName())
	c := exec.Command(args[0], append(args[1:], msg.tmp)...)
	path, tmp := msg.path, msg.tmp
	return tea.ExecProcess(c, func(err error) tea.Msg {
		// Runs after the editor exits; reading the result is I/O, so it happens
		// here, in the command, not in Update.
		if err != nil {
			os.Remove(tmp)
			return editorDoneMsg{path: path, err: err}
		}
		b, rerr := os.ReadFile(tmp)
		os.Remove(tmp)
		return editorDoneMsg{path: path, content: string(b), err: rerr}
	})
}

func (m *Model) finishEdit(msg editorDoneMsg) tea.Cmd {
	if msg.err != nil {
		m.tr.AddNotice("error", "editor: "+msg.err.Error())
		return nil
	}
	return m.decide(session.ReviewModify, []string{msg.path}, "", msg.content)
}
