package ui

import (
	"context"
	"fmt"
	"image/color"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textarea"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/dialog"
	"gitlab.com/wend/wend/ui/keys"
	"gitlab.com/wend/wend/ui/plan"
	"gitlab.com/wend/wend/ui/review"
	"gitlab.com/wend/wend/ui/styles"
	"gitlab.com/wend/wend/ui/transcript"
)

type focusArea int

const (
	focusInput focusArea = iota
	focusPlan
	focusChanges
)

// Model is the root of the UI. Its state changes only in Update: from session
// events, from keys, and from the results of commands.
type Model struct {
	be    session.Backend
	opts  Options
	km    keys.KeyMap
	st    styles.Styles
	dark  bool
	ctx   context.Context
	now   func() time.Time
	start error // key override error, shown once

	width, height int
	focus         focusArea

	input   textarea.Model
	history []string
	histAt  int
	plan    plan.Model
	tr      transcript.Model
	review  review.Model
	spin    spinner.Model

	spinning   bool
	state      session.State // "" before a session starts
	started    time.Time
	ended      time.Time
	clock      time.Time
	inTok      int64
	outTok     int64
	cost       float64
	reviewOpen bool
	typed      string // the task this UI started and shows; any other's SessionStarted (a replay) adds its line

	dlg     dialog.Model      // approvals, the agent's question, a rejection's reason
	planReq string            // id of a pending plan approval request
	reqText map[string]string // request id → what it asked, for the transcript

	queued []session.AdjustQueued

	openCalls  []string             // tool calls with no result yet, oldest first
	callArgs   map[string]openCall  // their tools and arguments, for approval previews
	approvedAt map[string]time.Time // call id → when its approval came (event time)

	staged map[string][2]int // path → added, deleted, from ChangeStaged and listings

	comp completion
	idx  indexing // the background file index, for the status bar

	drawn     chan struct{} // closed by the first View at the terminal's size
	drawnOnce sync.Once

	help     bool
	helpPage int
	mouseOn  bool      // capture the mouse (wheel scrolling); off leaves selection to the terminal
	armed    armed     // what the next stop key does, set by the one before
	armedAt  time.Time // a press long after the first asks again

	termBlurred bool   // the terminal reported losing focus
	progress    string // the OSC 9;4 sequence last sent
	hint        string

	dockCache []string // the rendered bottom block, valid while dockKey holds
	dockKey   dockKey
	planCache []string
	planKey   planKey

	pending []pendingCall // backend calls not yet started
	calling bool

	il      inlineState          // inline mode's printing (inline.go)
	println func(string) tea.Cmd // prints above the program (tests record it)
}

// New builds the UI over a backend. It does nothing until run by a tea.Program.
// be may be nil with opts.FirstRun (no provider, so no session).
func New(be session.Backend, opts Options) *Model {
	km, err := keys.Default().WithOverrides(opts.Keys)
	now := opts.Clock
	if now == nil {
		now = time.Now
	}
	m := &Model{be: be, opts: opts, km: km, start: err, ctx: context.Background(), now: now, drawn: make(chan struct{}),
		dark: !opts.Light, state: "", mouseOn: opts.Mouse, println: func(s string) tea.Cmd { return tea.Println(s) }}
	m.st = styles.New(m.dark, opts.NoColor)
	m.input = textarea.New()
	m.input.Placeholder = placeholderTask
	m.input.ShowLineNumbers = false
	m.input.Prompt = ""
	m.input.CharLimit = 0
	m.input.KeyMap.InsertNewline.SetKeys(km.Newline.Keys()...)
	m.input.SetHeight(3)
	m.plan = plan.New(m.st)
	m.tr = transcript.New(m.st, nil)
	m.tr.Now = now
	m.tr.SetPaging(m.pages() != nil && !opts.Inline)
	m.review = review.New(m.st, km, review.Options{Port: opts.Review, Editor: opts.Editor})
	m.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot))
	m.dlg = dialog.New(km)
	m.applyStyles()
	m.input.Focus()
	if err != nil {
		m.tr.AddNotice("error", err.Error())
	}
	return m
}

// KeyMap returns the key map in use (after overrides).
func (m *Model) KeyMap() keys.KeyMap { return m.km }

func (m *Model) applyStyles() {
	ts := textarea.DefaultStyles(m.dark)
	ts.Cursor.Blink = false
	// The default cursor is light grey in both themes; reversed over the
	// placeholder's first letter it made that letter vanish on white.
	ts.Cursor.Color = cursorColour(m.dark)
	if m.opts.NoColor {
		ts = textarea.Styles{Cursor: textarea.CursorStyle{Blink: false}}
	}
	m.input.SetStyles(ts)
	ps := textinput.DefaultStyles(m.dark)
	ps.Cursor.Blink = false
	ps.Cursor.Color = cursorColour(m.dark)
	if m.opts.NoColor {
		ps = textinput.Styles{Cursor: textinput.CursorStyle{Blink: false}}
	}
	m.dlg.SetPromptStyles(ps)
	m.spin.Style = m.st.StepRunning
}

// Init opens the event stream, asks for the terminal's background, and starts
// the task given on the command line.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.openEvents(), tea.RequestBackgroundColor, m.startIndexing()}
	if m.opts.Inline {
		cmds = append(cmds, tea.Tick(inlineThemeWait, func(time.Time) tea.Msg { return inlineReadyMsg{} }))
	}
	if t := strings.TrimSpace(m.opts.Task); t != "" && !m.opts.FirstRun {
		m.tr.AddUser(t)
		m.history = append(m.history, t)
		cmds = append(cmds, m.startTask(t))
	}
	return tea.Batch(cmds...)
}

// busy reports whether something runs, which is the only time anything ticks.
func (m *Model) busy() bool {
	return m.state == session.StateRunning || m.state == session.StateStarting
}

// Ticking reports whether a periodic command is scheduled (the spinner). When
// nothing moves, nothing ticks.
func (m *Model) Ticking() bool { return m.spinning }

// spinCmd starts the spinner when something runs and it is not spinning yet.
func (m *Model) spinCmd() tea.Cmd {
	if m.busy() && !m.spinning {
		m.spinning = true
		return m.spin.Tick
	}
	return nil
}

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m.state != "" && !m.state.Ended() {
		m.clock = m.now() // elapsed time moves with whatever happens, without a timer
	}
	cmd := m.update(msg)
	if m.opts.Inline {
		cmd = tea.Batch(cmd, m.inlineFlush())
	}
	m.syncPlaceholder()
	if seq := m.progressChange(); seq != "" {
		cmd = tea.Batch(cmd, tea.Raw(seq))
	}
	return m, tea.Batch(cmd, m.spinCmd())
}

const (
	placeholderTask   = "Describe a task… (@file, #issue, !mr)"
	placeholderAdjust = "Adjust the running task… (reaches the model at the next step)"
)

// syncPlaceholder makes the empty input say what Enter will do with it: start
// a task, or adjust the one that runs (onInputKey decides the same way).
func (m *Model) syncPlaceholder() {
	p := placeholderTask
	if m.state != "" && !m.state.Ended() {
		p = placeholderAdjust
	}
	m.input.Placeholder = p
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m.layout()
	case tea.BackgroundColorMsg:
		m.il.ready = true
		if msg.IsDark() != m.dark {
			m.dark = msg.IsDark()
			m.st = styles.New(m.dark, m.opts.NoColor)
			m.applyStyles()
			m.review.SetStyles(m.st)
			return m.tr.SetStyles(m.st)
		}
		return nil
	case spinner.TickMsg:
		if !m.busy() {
			m.spinning = false // let the tick chain die: idle means no ticks
			return nil
		}
		m.clock = m.now()
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return cmd
	case transcript.RenderedMsg, transcript.TickMsg:
		return m.tr.Update(msg)
	case eventsOpenedMsg:
		return waitEvents(msg.ch)
	case eventsMsg:
		cmds := make([]tea.Cmd, 0, 2)
		for _, e := range msg.events {
			m.tr.Begin(e.Seq)
			cmds = append(cmds, m.onEvent(e))
			m.tr.End()
			if seq := m.notification(e.Payload); seq != "" {
				cmds = append(cmds, tea.Raw(seq))
			}
		}
		cmds = append(cmds, waitEvents(msg.ch))
		return tea.Batch(cmds...)
	case eventsClosedMsg:
		return nil
	case pageMsg:
		return m.onPage(msg)
	case printedMsg:
		return m.onPrinted()
	case inlineReadyMsg:
		m.il.ready = true
		return nil
	case backendDoneMsg:
		next := m.nextCall()
		if msg.err != nil {
			m.tr.AddNotice("error", fmt.Sprintf("%s: %v", msg.op, msg.err))
		}
		if msg.refresh {
			return tea.Batch(next, m.refreshChanges())
		}
		return next
	case review.Msg:
		return m.updateReview(msg)
	case completionMsg:
		m.comp.results(msg)
		return nil
	case indexProgressMsg, indexDoneMsg, indexSlowMsg:
		return m.indexUpdate(msg)
	case filesMsg:
		m.comp.files = msg.files
		m.comp.filesLoaded = true
		return m.comp.query(m)
	case tea.MouseWheelMsg:
		if !m.mouseOn {
			return nil
		}
		mm := msg.Mouse()
		n := 3
		if mm.Button == tea.MouseWheelDown {
			n = -3
		} else if mm.Button != tea.MouseWheelUp {
			return nil
		}
		if m.reviewOpen {
			m.review.Scroll(-n)
			return nil
		}
		return m.scrollBy(n)
	case tea.PasteMsg:
		if m.focus == focusInput && !m.modal() {
			var cmd tea.Cmd
			m.input, cmd = m.input.Update(msg)
			return cmd
		}
	case tea.KeyPressMsg:
		return m.onKey(msg)
	case tea.FocusMsg:
		m.termBlurred = false
	case tea.BlurMsg:
		m.termBlurred = true
	}
	return nil
}

// browsingPastApproval reports whether a key goes past a waiting approval:
// the user may look at the changes, the plan and the help before deciding
// (the review and the plan then have the keyboard until they are left). Not
// while a reason or an answer is being typed.
func (m *Model) browsingPastApproval(msg tea.KeyPressMsg) bool {
	if !m.dlg.Browsable() {
		return false
	}
	if m.help || m.focus != focusInput {
		return true
	}
	km := m.km
	return key.Matches(msg, km.Review, km.Help, km.Focus, km.FocusBack, km.ScrollUp, km.ScrollDown, km.Tools)
}

// modal reports whether a dialog has the keyboard.
func (m *Model) modal() bool {
	return m.dlg.Open()
}

func (m *Model) setFocus(f focusArea) tea.Cmd {
	m.focus = f
	m.plan.Blur()
	m.input.Blur()
	m.comp.close()
	// Every focus change may change the layout (the review takes the whole
	// width, a focused narrow plan grows), so the parts are resized each time:
	// a transcript left at the review's size ran under the plan's divider.
	switch f {
	case focusInput:
		m.reviewOpen = false
		return tea.Batch(m.input.Focus(), m.layout())
	case focusPlan:
		m.reviewOpen = false
		m.plan.Focus()
	case focusChanges:
		m.reviewOpen = true
		return tea.Batch(m.refreshChanges(), m.layout())
	}
	return m.layout()
}

func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	km := m.km
	if key.Matches(msg, km.Stop) {
		return m.onStopKey()
	}
	m.armed = armNone
	m.hint = ""
	if m.opts.FirstRun {
		if key.Matches(msg, km.Back) || key.Matches(msg, km.Quit) {
			return m.quit()
		}
		return nil
	}
	if m.modal() && !m.browsingPastApproval(msg) {
		return m.onDialogKey(msg)
	}
	if m.help {
		m.helpKey(km, key.Matches(msg, km.ScrollDown) || key.Matches(msg, km.HelpNext),
			key.Matches(msg, km.ScrollUp) || key.Matches(msg, km.HelpPrev))
		return nil
	}
	typing := m.focus == focusInput && m.input.Value() != ""
	editing := m.focus == focusPlan && m.plan.Editing()
	switch {
	case key.Matches(msg, km.Pause):
		switch m.state {
		case session.StatePaused:
			return m.call("resume", false, func(ctx context.Context) error { return m.be.Resume(ctx) })
		case "", session.StateFinished, session.StateFailed, session.StateStopped:
			return nil
		}
		return m.call("pause", false, func(ctx context.Context) error { return m.be.Pause(ctx) })
	case key.Matches(msg, km.Review):
		if m.reviewOpen {
			return m.setFocus(focusInput)
		}
		return m.setFocus(focusChanges)
	case key.Matches(msg, km.Focus) && !m.comp.open() && !editing:
		return m.setFocus((m.focus + 1) % 3)
	case key.Matches(msg, km.FocusBack) && !editing:
		return m.setFocus((m.focus + 2) % 3)
	case key.Matches(msg, km.Help) && !editing && (!typing || msg.Text == ""): // a printable help key (?) is text while typing
		m.help = true
		return nil
	case key.Matches(msg, km.Mouse):
		m.mouseOn = !m.mouseOn
		if m.mouseOn {
			m.hint = "mouse captured: the wheel scrolls; " + km.Mouse.Help().Key + " gives it back for selecting text"
		} else {
			m.hint = "mouse released: select text with the terminal; " + km.ScrollUp.Help().Key + "/" + km.ScrollDown.Help().Key + " scroll"
		}
		return nil
	case key.Matches(msg, km.Copy):
		return m.copyFocused()
	case key.Matches(msg, km.Tools):
		m.tr.ToggleTools()
		return nil
	case key.Matches(msg, km.Withdraw):
		return m.withdraw()
	case key.Matches(msg, km.ApprovePlan):
		return m.approvePlan()
	case key.Matches(msg, km.ScrollUp):
		if m.reviewOpen {
			m.review.Scroll(-m.mainHeight() / 2)
			return nil
		}
		return m.scrollBy(m.mainHeight() / 2)
	case key.Matches(msg, km.ScrollDown):
		if m.reviewOpen {
			m.review.Scroll(m.mainHeight() / 2)
			return nil
		}
		return m.scrollBy(-m.mainHeight() / 2)
	}
	switch m.focus {
	case focusPlan:
		if key.Matches(msg, km.Back) && !m.plan.Editing() {
			return m.setFocus(focusInput)
		}
		var edit *session.PlanEdit
		var cmd tea.Cmd
		m.plan, edit, cmd = m.plan.Update(msg, km)
		if edit != nil {
			e := *edit
			return tea.Batch(cmd, m.call("edit plan", false, func(ctx context.Context) error { return m.be.EditPlan(ctx, e) }))
		}
		return cmd
	case focusChanges:
		return m.updateReview(msg)
	}
	return m.onInputKey(msg)
}

func (m *Model) onInputKey(msg tea.KeyPressMsg) tea.Cmd {
	km := m.km
	if m.comp.open() {
		switch {
		case key.Matches(msg, km.CompleteUp):
			m.comp.move(-1)
			return nil
		case key.Matches(msg, km.CompleteDown):
			m.comp.move(1)
			return nil
		case key.Matches(msg, km.CompleteAccept):
			m.comp.accept(&m.input)
			return nil
		case key.Matches(msg, km.CompleteClose):
			m.comp.close()
			return nil
		}
	}
	switch {
	case key.Matches(msg, km.Submit):
		text := strings.TrimSpace(m.input.Value())
		if text == "" {
			return nil
		}
		m.input.Reset()
		m.history = append(m.history, text)
		m.histAt = len(m.history)
		scroll := m.toEnd()
		if m.state == "" || m.state.Ended() {
			m.tr.AddUser(text)
			m.state = session.StateStarting
			m.started, m.ended = m.now(), time.Time{}
			m.clock = m.started
			return tea.Batch(scroll, m.startTask(text))
		}
		return tea.Batch(scroll, m.adjust(text))
	case key.Matches(msg, km.History) && m.input.Line() == 0 && len(m.history) > 0 && !m.comp.open():
		if m.histAt > 0 {
			m.histAt--
			m.input.SetValue(m.history[m.histAt])
		}
		return nil
	case key.Matches(msg, km.HistoryNext) && m.input.Line() == m.input.LineCount()-1 && m.histAt < len(m.history):
		m.histAt++
		if m.histAt == len(m.history) {
			m.input.Reset()
		} else {
			m.input.SetValue(m.history[m.histAt])
		}
		return nil
	case key.Matches(msg, km.Back):
		m.comp.close()
		return nil
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return tea.Batch(cmd, m.comp.update(m))
}

// mainHeight is the number of rows of the main area, for paging.
func (m *Model) mainHeight() int { return max(m.layoutRects().mainH, 1) }

// call queues one backend call. Calls run one at a time, in the order the user
// made them (commands otherwise run concurrently, and "move, then skip" must not
// reach the engine as "skip, then move"); each reports its error.
func (m *Model) call(op string, refresh bool, f func(ctx context.Context) error) tea.Cmd {
	if m.be == nil {
		return nil // no session (first-run screen): nothing to drive
	}
	m.pending = append(m.pending, pendingCall{op: op, refresh: refresh, f: f})
	if m.calling {
		return nil
	}
	return m.nextCall()
}

func (m *Model) nextCall() tea.Cmd {
	if len(m.pending) == 0 {
		m.calling = false
		return nil
	}
	c := m.pending[0]
	m.pending = m.pending[1:]
	m.calling = true
	ctx := m.ctx
	return func() tea.Msg { return backendDoneMsg{op: c.op, err: c.f(ctx), refresh: c.refresh} }
}

type pendingCall struct {
	op      string
	refresh bool
	f       func(ctx context.Context) error
}

func (m *Model) startTask(text string) tea.Cmd {
	m.typed = text
	task := session.Task{Text: text}
	if text == "/retry" {
		// The engine repeats the session's newest task, telling the model so.
		task = session.Task{Retry: true}
	}
	return m.call("start", false, func(ctx context.Context) error {
		return m.be.Start(ctx, task)
	})
}

func (m *Model) adjust(text string) tea.Cmd {
	return m.call("adjust", false, func(ctx context.Context) error {
		_, err := m.be.Adjust(ctx, text)
		return err
	})
}

func (m *Model) withdraw() tea.Cmd {
	if len(m.queued) == 0 {
		return nil
	}
	id := m.queued[len(m.queued)-1].ID
	return m.call("withdraw", false, func(ctx context.Context) error { return m.be.Withdraw(ctx, id) })
}

func (m *Model) approvePlan() tea.Cmd {
	if !m.plan.Awaiting && m.planReq == "" {
		return nil
	}
	d := session.Decision{Kind: session.DecideApproval, RequestID: m.planReq, Approve: true, Scope: session.ScopeOnce}
	m.hint = "plan approved"
	return m.call("approve plan", false, func(ctx context.Context) error { return m.be.Resolve(ctx, d) })
}

// copyFocused puts the focused block on the clipboard (OSC 52).
func (m *Model) copyFocused() tea.Cmd {
	var s string
	switch {
	case m.reviewOpen:
		if _, h := m.review.Current(); h != nil {
			s = strings.Join(h.Lines, "\n")
		}
	case m.focus == focusPlan:
		if st, ok := m.plan.Selected(); ok {
			s = st.Title
		}
	default:
		s = m.tr.LastText()
	}
	if s == "" {
		return nil
	}
	m.hint = "copied"
	return tea.SetClipboard(s)
}

type openCall struct {
	tool string
	args []byte
}

// lastOpenCall is the call in flight (tools run one at a time), or "".
func (m *Model) lastOpenCall() string {
	if n := len(m.openCalls); n > 0 {
		return m.openCalls[n-1]
	}
	return ""
}

// cursorColour is a cursor that shows on the theme's background.
func cursorColour(dark bool) color.Color {
	if dark {
		return lipgloss.Color("#D0D0D0")
	}
	return lipgloss.Color("#303030")
}
