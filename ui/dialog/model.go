package dialog

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/keys"
	"gitlab.com/wend/wend/ui/styles"
)

// Model is the dialogs as a component: the approvals waiting (oldest first,
// the first one shown), the agent's question, and a review rejection's reason
// prompt, with the one text input they share. Session events open and close
// them through its methods; Update takes the keys while one is up and hands
// the root model what the user decided, the way ui/plan hands back an edit.
type Model struct {
	km        keys.KeyMap
	approvals []session.ApprovalRequest
	denying   bool // the first approval's deny reason is being typed
	question  *session.InputRequested
	reject    *pendingReject
	prompt    textinput.Model // deny reason, answer, reject reason
}

// pendingReject is a review rejection waiting for its optional reason.
type pendingReject struct {
	title   string
	targets []string
}

// Out is what one Update asks of the root model; the zero Out asks nothing.
type Out struct {
	// Resolve answers an approval or a question (session.Backend.Resolve); Op
	// names it for an error ("approve", "deny", "answer").
	Resolve *session.Decision
	Op      string
	// Reject is a review rejection with its reason, for the review port.
	Reject *Rejected
	// Relayout: the dialog changed height (opened a prompt, closed).
	Relayout bool
}

// Rejected is a rejection's targets (as AskReason got them) and its reason.
type Rejected struct {
	Targets []string
	Reason  string
}

// New returns the dialogs, all closed.
func New(km keys.KeyMap) Model {
	p := textinput.New()
	p.Prompt = "› "
	return Model{km: km, prompt: p}
}

// SetPromptStyles styles the text input (the root picks the cursor's colour).
func (m *Model) SetPromptStyles(s textinput.Styles) { m.prompt.SetStyles(s) }

// SetWidth fits the text input to dialogs on a terminal width cells wide.
func (m *Model) SetWidth(width int) { m.prompt.SetWidth(max(BoxWidth(width)-8, 4)) }

// Request queues an approval; the oldest waiting is the one shown.
func (m *Model) Request(r session.ApprovalRequest) { m.approvals = append(m.approvals, r) }

// Resolved closes the approval with this id (decided here or elsewhere).
func (m *Model) Resolved(id string) {
	for i, a := range m.approvals {
		if a.ID == id {
			m.approvals = append(m.approvals[:i:i], m.approvals[i+1:]...)
			if i == 0 {
				m.denying = false
				m.prompt.Reset()
			}
			return
		}
	}
}

// Ask shows the agent's question with an empty answer.
func (m *Model) Ask(q session.InputRequested) tea.Cmd {
	m.question = &q
	m.prompt.Reset()
	return m.prompt.Focus()
}

// Answered closes the question with this request id.
func (m *Model) Answered(id string) {
	if m.question != nil && m.question.RequestID == id {
		m.question = nil
		m.prompt.Reset()
		m.prompt.Blur()
	}
}

// AskReason opens the reason prompt for a review rejection of targets.
func (m *Model) AskReason(title string, targets []string) tea.Cmd {
	m.reject = &pendingReject{title: title, targets: targets}
	m.prompt.Reset()
	return m.prompt.Focus()
}

// Ended drops the approvals and the question: the session that asked is over.
// A rejection's reason still goes to the review, which outlives the session.
func (m *Model) Ended() {
	m.approvals, m.question, m.denying = nil, nil, false
}

// Open reports whether a dialog is up (and so has the keyboard, unless the
// user browses past an approval: Browsable).
func (m Model) Open() bool {
	return len(m.approvals) > 0 || m.question != nil || m.reject != nil
}

// Waiting reports whether the session waits on the user (an approval or a
// question; a rejection's reason is the user's own doing).
func (m Model) Waiting() bool { return len(m.approvals) > 0 || m.question != nil }

// Browsable reports whether only an approval's choices are up, so the user may
// look at the changes, the plan and the help before deciding; not while a
// reason or an answer is being typed.
func (m Model) Browsable() bool {
	return len(m.approvals) > 0 && !m.denying && m.question == nil && m.reject == nil
}

// Approval is the approval shown, if any.
func (m Model) Approval() (session.ApprovalRequest, bool) {
	if len(m.approvals) == 0 {
		return session.ApprovalRequest{}, false
	}
	return m.approvals[0], true
}

// Input is the reason or answer typed so far.
func (m Model) Input() string { return m.prompt.Value() }

// ClearInput empties the reason or answer typed so far.
func (m *Model) ClearInput() { m.prompt.Reset() }

// Key is everything View draws from the dialogs (with the Seen and width it
// is given), comparable, so the root can cache the rendered block.
type Key struct {
	approval  string
	approvals int
	denying   bool
	prompt    string
	promptPos int
	question  *session.InputRequested
	reject    *pendingReject
}

// Key returns the dialogs' current Key.
func (m Model) Key() Key {
	k := Key{approvals: len(m.approvals), denying: m.denying, prompt: m.prompt.Value(),
		promptPos: m.prompt.Position(), question: m.question, reject: m.reject}
	if len(m.approvals) > 0 {
		k.approval = m.approvals[0].ID
	}
	return k
}

// Hints are the keys the hint line shows for the dialog up, and whether it
// shows them: the approval's choices while the input has the focus (else the
// focused part's keys, as the choices apply once back), confirm and back
// while a reason or an answer is typed.
func (m Model) Hints(atInput bool) ([]key.Binding, bool) {
	km := m.km
	switch {
	case len(m.approvals) > 0 && !m.denying && atInput:
		bs := []key.Binding{km.ApproveOnce, km.ApproveStep, km.Deny, km.Review}
		if m.approvals[0].Prefix != "" {
			bs = append(bs[:2:2], append([]key.Binding{km.ApprovePrefix}, bs[2:]...)...)
		}
		return bs, true
	case m.denying || m.question != nil || m.reject != nil:
		return []key.Binding{km.Confirm, km.Back, km.Stop}, true
	}
	return nil, false
}

// View draws the dialog up ("" when none); seen adds to an approval.
func (m Model) View(seen Seen, st styles.Styles, width int) string {
	switch {
	case len(m.approvals) > 0:
		return ApprovalSeen(m.approvals[0], seen, m.km, st, width, m.denying, m.prompt.View())
	case m.question != nil:
		return Question(m.question.Question, st, width, m.prompt.View())
	case m.reject != nil:
		return Reason(m.reject.title, st, width, m.prompt.View())
	}
	return ""
}

// Update handles a key while a dialog has the keyboard.
func (m Model) Update(msg tea.KeyPressMsg) (Model, Out, tea.Cmd) {
	km := m.km
	switch {
	case len(m.approvals) > 0:
		req := m.approvals[0]
		if m.denying {
			switch {
			case key.Matches(msg, km.Back):
				m.denying = false
				m.prompt.Blur()
				return m, Out{Relayout: true}, nil
			case key.Matches(msg, km.Confirm):
				d := session.Decision{Kind: session.DecideApproval, RequestID: req.ID, Approve: false,
					Reason: strings.TrimSpace(m.prompt.Value())}
				m.denying = false
				m.prompt.Reset()
				m.prompt.Blur()
				m.approvals = m.approvals[1:]
				return m, Out{Resolve: &d, Op: "deny", Relayout: true}, nil
			}
			var cmd tea.Cmd
			m.prompt, cmd = m.prompt.Update(msg)
			return m, Out{}, cmd
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
			cmd := m.prompt.Focus() // before m is returned: Focus changes it
			return m, Out{Relayout: true}, cmd
		}
		if scope == "" {
			return m, Out{}, nil
		}
		m.approvals = m.approvals[1:]
		d := session.Decision{Kind: session.DecideApproval, RequestID: req.ID, Approve: true, Scope: scope}
		return m, Out{Resolve: &d, Op: "approve", Relayout: true}, nil
	case m.question != nil:
		if key.Matches(msg, km.Confirm) {
			ans := strings.TrimSpace(m.prompt.Value())
			if ans == "" {
				return m, Out{}, nil
			}
			d := session.Decision{Kind: session.DecideInput, RequestID: m.question.RequestID, Answer: ans}
			m.question = nil
			m.prompt.Reset()
			m.prompt.Blur()
			return m, Out{Resolve: &d, Op: "answer", Relayout: true}, nil
		}
		var cmd tea.Cmd
		m.prompt, cmd = m.prompt.Update(msg)
		return m, Out{}, cmd
	case m.reject != nil:
		switch {
		case key.Matches(msg, km.Back):
			m.reject = nil
			m.prompt.Blur()
			return m, Out{Relayout: true}, nil
		case key.Matches(msg, km.Confirm):
			r := &Rejected{Targets: m.reject.targets, Reason: strings.TrimSpace(m.prompt.Value())}
			m.reject = nil
			m.prompt.Reset()
			m.prompt.Blur()
			return m, Out{Reject: r, Relayout: true}, nil
		}
		var cmd tea.Cmd
		m.prompt, cmd = m.prompt.Update(msg)
		return m, Out{}, cmd
	}
	return m, Out{}, nil
}
