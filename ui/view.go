package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/internal/termtext"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/dialog"
	"gitlab.com/wend/wend/ui/keys"
	"gitlab.com/wend/wend/ui/plan"
	"gitlab.com/wend/wend/ui/status"
)

// WideMin is the width from which the plan is a side panel rather than a
// collapsible panel on top.
const WideMin = 110

// rects is the layout for the current size and state.
type rects struct {
	wide         bool
	mainW, mainH int
	sideW        int // wide: plan panel width
	topH         int // narrow: plan panel rows
	dock         []string
}

func (m *Model) layoutRects() rects {
	w, h := max(m.width, 20), max(m.height, 6)
	// The review takes the whole width: side by side needs it.
	r := rects{wide: w >= WideMin && !m.reviewOpen}
	if k := m.currentDockKey(w, h); m.dockCache == nil || k != m.dockKey {
		m.dockCache, m.dockKey = m.dockLines(w), k
		if h >= 20 {
			m.dockCache = append(m.dockCache, m.keyHints(w))
		}
	}
	r.dock = m.dockCache
	rest := h - 1 - len(r.dock)
	if r.wide {
		r.sideW = min(max(w/3, 30), 48)
		r.mainW = w - r.sideW - 1
	} else {
		r.mainW = w
		if n := len(m.plan.Plan.Steps); n > 0 || m.plan.Awaiting || m.plan.Editing() {
			if m.focus == focusPlan || m.plan.Awaiting {
				r.topH = min(len(m.planLines(w)), max(rest/3, 3)) + 1
			} else {
				r.topH = 2 // one summary line and a rule
			}
		}
	}
	r.mainH = max(rest-r.topH, 1)
	return r
}

// dockKey is everything the bottom block (dialogs, queue, completions, input,
// key hints) depends on. Streaming text changes none of it, so most frames reuse
// the rendered block; the textarea alone costs more than the rest of a frame.
type dockKey struct {
	w, h                    int
	input, placeholder      string
	line, col               int
	focus                   focusArea
	dialog                  dialog.Key
	awaiting                bool
	queued                  int
	lastQueued              string
	compKind, compQ         string
	compSel, compN, compSeq int
	compShown               int
	dark                    bool
}

func (m *Model) currentDockKey(w, h int) dockKey {
	k := dockKey{w: w, h: h, input: m.input.Value(), placeholder: m.input.Placeholder, line: m.input.Line(), col: m.input.Column(),
		focus: m.focus, dialog: m.dlg.Key(), awaiting: m.plan.Awaiting,
		queued: len(m.queued), compKind: m.comp.kind, compQ: m.comp.q, compSel: m.comp.sel,
		compN: len(m.comp.items), compSeq: m.comp.seq, compShown: m.comp.shown, dark: m.dark}
	if n := len(m.queued); n > 0 {
		k.lastQueued = m.queued[n-1].ID
	}
	return k
}

// layout hands the sizes to the components; called whenever they may change.
func (m *Model) layout() tea.Cmd {
	if m.width == 0 {
		return nil
	}
	m.input.SetWidth(max(m.width-2, 4))
	m.dlg.SetWidth(m.width)
	r := m.layoutRects()
	m.review.SetSize(r.mainW, r.mainH)
	if m.opts.Inline {
		// The transcript is printed at the terminal's width; its rows on
		// screen are the live area's.
		return m.tr.SetSize(m.width, inlineLiveMax(m.height))
	}
	return m.tr.SetSize(r.mainW, r.mainH)
}

func (m *Model) spinnerFrame() string {
	if m.spinning && m.state == session.StateRunning {
		return m.spin.View()
	}
	return ""
}

// planKey is what the checklist's rendering depends on; the side panel is drawn
// on every frame but changes rarely.
type planKey struct {
	rev, width     int
	spinner        string
	awaiting, dark bool
}

func (m *Model) planLines(width int) []string {
	if m.plan.Editing() { // the inline editor changes with every key
		return m.plan.Lines(m.st, width, m.spinnerFrame(), m.km.ApprovePlan.Help().Key)
	}
	k := planKey{rev: m.plan.Rev(), width: width, spinner: m.spinnerFrame(), awaiting: m.plan.Awaiting, dark: m.dark}
	if m.planCache == nil || k != m.planKey {
		m.planCache = m.plan.Lines(m.st, width, k.spinner, m.km.ApprovePlan.Help().Key)
		m.planKey = k
	}
	return m.planCache
}

// dockLines is the bottom block above the status bar: a dialog, or the queued
// adjustments, completions and the input box.
func (m *Model) dockLines(w int) []string {
	if m.dlg.Open() {
		seen := dialog.Seen{Dir: m.opts.WorkDir, Away: m.focus != focusInput, BackKey: m.km.Back.Help().Key}
		if r, ok := m.dlg.Approval(); ok && r.Kind != session.ApproveCommand && r.Kind != session.ApproveNetwork {
			if c, ok := m.callArgs[m.lastOpenCall()]; ok {
				seen.Preview = dialog.EditPreview(c.tool, c.args, 8)
			}
		}
		return strings.Split(m.dlg.View(seen, m.st, w), "\n")
	}
	var out []string
	for _, q := range m.queued {
		// The sentence wins the space; the note shrinks first.
		line := ansi.Truncate("⏳ "+termtext.Sanitize(q.Text), max(w*2/3, 10), "…")
		note := " — reaches the model at the next step (" + m.km.Withdraw.Help().Key + " withdraws)"
		note = ansi.Truncate(note, max(w-ansi.StringWidth(line), 0), "…")
		out = append(out, m.st.Queued.Render(line)+m.st.Muted.Render(note))
	}
	if len(out) > 3 {
		out = append(out[:1], append([]string{m.st.Muted.Render("  …")}, out[len(out)-2:]...)...)
	}
	out = append(out, m.comp.lines(m.st, w)...)
	box := m.st.Panel
	if m.focus == focusInput {
		box = m.st.PanelFocused
	}
	out = append(out, strings.Split(box.Width(w).Render(m.input.View()), "\n")...)
	return out
}

func (m *Model) statusLine() string {
	state := string(m.state)
	if state == "" {
		state = "idle"
	}
	if m.dlg.Waiting() {
		state = "waiting for you"
	}
	if m.opts.ReadOnly {
		state = "read-only · " + state
	}
	var el time.Duration
	if !m.started.IsZero() {
		end := m.clock
		if !m.ended.IsZero() {
			end = m.ended
		}
		el = max(end.Sub(m.started), 0)
	}
	model := m.opts.Model
	if m.opts.Provider != "" && model != "" {
		model = m.opts.Provider + "/" + model
	}
	return status.Render(status.Info{
		Repo: m.opts.Repository, Branch: m.opts.Branch, Model: model,
		State: state, Spinner: m.spinnerFrame(),
		InTokens: m.inTok, OutTokens: m.outTok, CostUSD: m.cost, Elapsed: el, Hint: m.hint,
		Changes: m.changesSummary(), Indexing: m.indexStatus(), ASCII: m.opts.ASCII,
	}, m.st, m.width)
}

// changesSummary counts the proposed changes reported so far.
func (m *Model) changesSummary() string {
	if len(m.staged) == 0 {
		return ""
	}
	add, del := 0, 0
	for _, c := range m.staged {
		add += c[0]
		del += c[1]
	}
	files := "files"
	if len(m.staged) == 1 {
		files = "file"
	}
	return fmt.Sprintf("%d %s +%d -%d", len(m.staged), files, add, del)
}

// View implements tea.Model. It only assembles cached or cheap parts.
func (m *Model) View() tea.View {
	if m.width > 0 {
		m.drawnOnce.Do(func() {
			close(m.drawn)
			if m.opts.FirstFrame != nil {
				m.opts.FirstFrame()
			}
		})
	}
	var v tea.View
	if m.opts.Inline && !m.overlay() {
		v = tea.NewView(m.renderInline()) // inline.go
	} else {
		v = tea.NewView(m.render())
		v.AltScreen = true
	}
	v.WindowTitle = "wend"
	if m.opts.Repository != "" {
		v.WindowTitle = "wend · " + termtext.Sanitize(m.opts.Repository) // a BEL in a folder name would end the OSC
	}
	v.ReportFocus = m.notifyMode() != NotifyOff // notifications go out only while unfocused
	if m.mouseOn && !m.opts.FirstRun && (!m.opts.Inline || m.overlay()) {
		v.MouseMode = tea.MouseModeCellMotion
	}
	return v
}

func (m *Model) render() string {
	if m.width == 0 || m.height == 0 {
		return ""
	}
	if m.opts.FirstRun {
		// A screen of its own: nothing else works without a provider.
		return strings.Join(fit(strings.Split(firstRun(m.st, m.width, m.height-1), "\n"), m.height-1), "\n") + "\n" + m.statusLine()
	}
	if m.help {
		return m.helpView() + "\n" + m.statusLine()
	}
	r := m.layoutRects()
	var main string
	switch {
	case m.reviewOpen:
		main = m.review.View()
	default:
		main = m.tr.View()
	}
	mainLines := fit(strings.Split(main, "\n"), r.mainH)
	var b strings.Builder
	b.Grow(m.width * m.height * 2)
	if r.topH > 0 {
		pl := m.planLines(m.width)
		if r.topH == 2 {
			pl = []string{m.planSummary(m.width)}
		} else if n := r.topH - 1; len(pl) > n {
			// Keep the selected (or running) step in view.
			at := m.plan.CursorLine(m.st, m.width)
			start := max(min(at-n/2, len(pl)-n), 0)
			pl = pl[start:]
		}
		for _, l := range fit(pl, r.topH-1) {
			b.WriteString(l)
			b.WriteByte('\n')
		}
		b.WriteString(m.st.Muted.Render(strings.Repeat("─", m.width)))
		b.WriteByte('\n')
	}
	if r.wide {
		side := m.sidePanel(r.sideW, r.mainH)
		sep := m.st.Muted.Render("│")
		if m.focus == focusPlan {
			sep = m.st.Accent.Render("┃")
		}
		for i, l := range mainLines {
			if w := ansi.StringWidth(l); w < r.mainW {
				l += strings.Repeat(" ", r.mainW-w)
			} else if w > r.mainW {
				l = ansi.Truncate(l, r.mainW, "")
			}
			b.WriteString(l)
			b.WriteString(sep)
			b.WriteString(side[i])
			b.WriteByte('\n')
		}
	} else {
		for _, l := range mainLines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	for _, l := range r.dock {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteString(m.statusLine())
	return b.String()
}

// sidePanel is the plan checklist padded to exactly h lines of width w.
func (m *Model) sidePanel(w, h int) []string {
	lines := m.planLines(w - 1)
	if len(lines) > h {
		// Keep the selected (or running) step in view.
		at := m.plan.CursorLine(m.st, w-1)
		lines = lines[max(min(at-h/2, len(lines)-h), 0):]
	}
	out := make([]string, h)
	for i := range out {
		if i < len(lines) {
			out[i] = " " + ansi.Truncate(lines[i], w-1, "")
		}
	}
	return out
}

// planSummary is the collapsed narrow plan: progress and the current step.
func (m *Model) planSummary(w int) string {
	p := m.plan.Plan
	done, total := p.Done()
	s := m.st.Title.Render("Plan") + m.st.Muted.Render(" "+itoa(done)+"/"+itoa(total))
	if cur, ok := p.Current(); ok {
		icon, ist := plan.Icon(cur.Status, m.st, m.spinnerFrame())
		s += "  " + ist.Render(icon) + " " + termtext.Sanitize(cur.Title)
	}
	s += m.st.Muted.Render("  (" + m.km.Focus.Help().Key + " to edit)")
	return ansi.Truncate(s, w, "…")
}

// fit pads or cuts lines to exactly n, keeping the first.
func fit(lines []string, n int) []string {
	if len(lines) > n {
		return lines[:n]
	}
	for len(lines) < n {
		lines = append(lines, "")
	}
	return lines
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

func pad(s string, w int) string {
	if d := w - ansi.StringWidth(s); d > 0 {
		return s + strings.Repeat(" ", d)
	}
	return s
}

// keyHints is one line of the keys that matter where the focus is, from the key
// map (so remapped keys show as remapped).
func (m *Model) keyHints(w int) string {
	km := m.km
	bs, dialogUp := m.dlg.Hints(m.focus == focusInput)
	switch {
	case dialogUp:
	case m.focus == focusPlan: // also while an approval waits: its keys apply again on return
		hk := m.hintKeyMap()
		bs = enabled(hk.PlanReword, hk.PlanAdd, hk.PlanDelete, hk.PlanMoveUp, hk.PlanMoveDown, hk.PlanSkip)
		if len(bs) == 0 {
			bs = []key.Binding{km.PlanUp, km.PlanDown}
		}
		if m.plan.Awaiting || m.planReq != "" {
			bs = append(bs, km.ApprovePlan)
		}
		bs = append(bs, km.Back)
	case m.focus == focusChanges:
		bs = m.review.Hints()
	default:
		// Most important first: what is left out at 80 columns is the least missed.
		bs = []key.Binding{km.Submit, km.Review, km.Pause, km.Focus, km.Stop}
		if len(m.queued) > 0 {
			bs = append(bs[:2:2], append([]key.Binding{km.Withdraw}, bs[2:]...)...)
		}
		if m.plan.Awaiting {
			bs = append([]key.Binding{km.ApprovePlan}, bs...)
		}
	}
	// The help key always ends the line: it leads to everything left out.
	help := m.st.Faint.Render(" · ") + m.st.Key.Render(km.Help.Help().Key) + " " + m.st.KeyDesc.Render(km.Help.Help().Desc)
	room := w - 1 - ansi.StringWidth(help)
	var b strings.Builder
	n := 0
	for _, k := range bs {
		hk := k.Help()
		item := m.st.Key.Render(hk.Key) + " " + m.st.KeyDesc.Render(hk.Desc)
		if n > 0 {
			item = m.st.Faint.Render(" · ") + item
		}
		if ansi.StringWidth(b.String())+ansi.StringWidth(item) > room {
			continue // a shorter one further on may still fit
		}
		b.WriteString(item)
		n++
	}
	if n == 0 {
		help = help[len(m.st.Faint.Render(" · ")):]
	}
	return " " + b.String() + help
}

// hintKeyMap is the key map as the help and hints advertise it: the plan edits
// that would be refused where the plan stands (a finished session, a finished
// step) are left out.
func (m *Model) hintKeyMap() keys.KeyMap {
	km := m.km // a copy: disabling here changes what is drawn, not dispatch
	for op, b := range map[session.PlanEditOp][]*key.Binding{
		session.EditReword: {&km.PlanReword},
		session.EditAdd:    {&km.PlanAdd},
		session.EditDelete: {&km.PlanDelete},
		session.EditMove:   {&km.PlanMoveUp, &km.PlanMoveDown},
		session.EditSkip:   {&km.PlanSkip},
	} {
		if !m.plan.Can(op) {
			for _, b := range b {
				b.SetEnabled(false)
			}
		}
	}
	return km
}

func enabled(bs ...key.Binding) []key.Binding {
	out := bs[:0:0]
	for _, b := range bs {
		if b.Enabled() {
			out = append(out, b)
		}
	}
	return out
}
