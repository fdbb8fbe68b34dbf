// Package transcript is the scrolling record of a session: the user's prompts, the
// model's streamed markdown, compact tool calls and notices.
//
// Cost model: text deltas only append bytes. Finished markdown blocks (split at
// blank lines outside code fences) are rendered once per width, inside commands,
// and kept as line slices; only the growing tail is re-rendered, at most once per
// Throttle while streaming, driven by one timer that exists only while text is
// arriving. View touches only the visible rows.
package transcript

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/internal/termtext"
	"gitlab.com/wend/wend/ui/markdown"
	"gitlab.com/wend/wend/ui/styles"
)

// Throttle is the shortest interval between two renders of a streaming tail
// (about 15 a second).
const Throttle = 66 * time.Millisecond

// Limits that keep memory bounded in long sessions: past them the entries
// farthest from the view are dropped (window.go: with a store to page from,
// they come back when scrolled to).
const (
	MaxEntries = 2000
	MaxBytes   = 16 << 20
)

// Kind is what an entry holds.
type Kind uint8

const (
	User Kind = iota
	Assistant
	Tool
	Notice
	Error
)

type entry struct {
	id   int
	kind Kind
	text string
	md   *stream
	tool *toolCall
	// printed counts a message's blocks printed into the scrollback (inline.go).
	printed int
	// seq is the event that made the entry, end the last that changed it;
	// eph marks an entry the UI added outside an event (window.go).
	seq, end int64
	eph      bool

	// Cached lines for the simple kinds, valid for (linesW, linesKey).
	lines    []string
	linesW   int
	linesKey int
}

type stream struct {
	buf      []byte
	sp       splitter
	ends     []int // end offsets of finished blocks
	finished bool

	width   int      // width the lines below were rendered at
	gen     int      // bumped when width changes, to drop stale results
	nr      int      // blocks rendered into flat
	flat    []string // rendered blocks with blank separators, append-only
	starts  []int    // where each rendered block begins in flat
	tail    []string // render of the text after block nr up to tailEnd
	tailEnd int

	inflight, dirty, tickPending bool
	last                         time.Time
	cost                         time.Duration // how long the last render took
}

type toolCall struct {
	callID, name, short, args string
	done, isErr               bool
	summary, output           string
	dur                       time.Duration
	// orphan: a result whose call was not in the window when it came.
	orphan bool
}

// Model is the transcript viewport.
type Model struct {
	st       styles.Styles
	rs       *Renderers
	entries  []*entry
	nextID   int
	bytes    int
	width    int
	height   int
	offset   int // rows scrolled up from the bottom; 0 follows the end
	inline   inlineState
	expanded bool
	open     *entry // the assistant entry receiving deltas
	calls    map[string]*entry
	// Now is the clock; tests and benchmarks replace it.
	Now func() time.Time
	// syncRender runs renders inline and never schedules ticks (benchmarks).
	syncRender bool

	win                  window // the events the entries cover (window.go)
	newest               newest
	maxEntries, maxBytes int
	paging               bool // a store can give evicted entries back
}

// New returns an empty transcript. rs may be shared between models.
func New(st styles.Styles, rs *Renderers) Model {
	if rs == nil {
		rs = NewRenderers()
	}
	return Model{st: st, rs: rs, calls: map[string]*entry{}, Now: time.Now,
		win: window{lo: 1}, maxEntries: MaxEntries, maxBytes: MaxBytes}
}

// RenderedMsg carries a finished render back to Update.
type RenderedMsg struct {
	entryID, gen, width, from int
	blocks                    [][]string
	tail                      []string
	tailEnd                   int
	took                      time.Duration
}

// TickMsg fires when a throttled streaming render is due.
type TickMsg struct{ entryID int }

type job struct {
	r                   *markdown.Renderer
	entryID, gen, width int
	from                int
	blocks              []string
	tail                string
	tailEnd             int
}

func (j job) run() RenderedMsg {
	start := time.Now()
	out := RenderedMsg{entryID: j.entryID, gen: j.gen, width: j.width, from: j.from, tailEnd: j.tailEnd}
	// Tabs would reach the terminal raw and lose code indentation. The model's
	// text is sanitized here, whole blocks at a time, so a character split
	// across deltas is never mistaken for invalid UTF-8.
	for _, b := range j.blocks {
		out.blocks = append(out.blocks, renderBlock(j.r, j.width, expandTabs(termtext.Sanitize(b))))
	}
	if strings.TrimSpace(j.tail) != "" {
		out.tail = renderBlock(j.r, j.width, expandTabs(termtext.Sanitize(completeRunes(j.tail))))
	}
	out.took = time.Since(start)
	return out
}

// SetSize sets the viewport size. Entries are re-rendered lazily, when visible.
func (m *Model) SetSize(w, h int) tea.Cmd {
	m.width, m.height = max(w, 1), max(h, 1)
	return m.ensureVisible()
}

// SetStyles switches theme; markdown is re-rendered when visible.
func (m *Model) SetStyles(st styles.Styles) tea.Cmd {
	m.st = st
	for _, e := range m.entries {
		e.linesW = 0
		if e.md != nil {
			e.md.width = 0
		}
	}
	return m.ensureVisible()
}

// ToggleTools expands or collapses tool call details.
func (m *Model) ToggleTools() { m.expanded = !m.expanded }

func (m *Model) add(e *entry) *entry {
	m.nextID++
	e.id = m.nextID
	if m.win.cur > 0 {
		e.seq, e.end = m.win.cur, m.win.cur
	} else {
		e.seq, e.end, e.eph = m.win.hi, m.win.hi, true
	}
	m.entries = append(m.entries, e)
	m.bytes += len(e.text)
	if m.offset > 0 && m.width > 0 {
		m.offset += m.count(e) // scrolled up: the view stays where it is
	}
	if m.win.cur == 0 {
		m.trim() // an event's entries are trimmed at its End, once it is whole
	}
	return e
}

// AddUser records what the user typed.
func (m *Model) AddUser(text string) {
	m.newest.open = false
	if m.win.skip {
		return
	}
	m.closeText()
	m.add(&entry{kind: User, text: termtext.Sanitize(text)})
}

// AddNotice records an informational line; level "error" shows it as an error.
func (m *Model) AddNotice(level, text string) {
	if m.win.skip {
		return
	}
	k := Notice
	if level == "error" {
		k = Error
	}
	m.add(&entry{kind: k, text: termtext.Sanitize(text)})
}

// AppendText adds a streamed delta to the open assistant message.
func (m *Model) AppendText(s string) tea.Cmd {
	m.newest.add(s)
	if m.win.skip {
		return nil
	}
	if m.open == nil {
		m.open = m.add(&entry{kind: Assistant, md: &stream{}})
		m.textAction(m.open)
	}
	e := m.open
	m.stamp(e)
	e.md.buf = append(e.md.buf, s...)
	m.bytes += len(s)
	e.md.ends = e.md.sp.scan(e.md.buf, e.md.ends)
	return m.kick(e)
}

// FinishText closes the open assistant message: its tail becomes a final block.
func (m *Model) FinishText() tea.Cmd {
	m.newest.open = false
	if m.win.skip {
		return nil
	}
	e := m.open
	if e == nil {
		m.textAction(nil) // it closes what a page before this one left open
		return nil
	}
	m.closeText()
	return m.kick(e)
}

func (m *Model) closeText() {
	m.textAction(nil)
	e := m.open
	if e == nil {
		return
	}
	m.open = nil
	m.stamp(e)
	finish(e.md)
}

// finish marks a message complete: its tail becomes a final block.
func finish(s *stream) {
	if s.finished {
		return
	}
	s.finished = true
	last := 0
	if n := len(s.ends); n > 0 {
		last = s.ends[n-1]
	}
	if strings.TrimSpace(string(s.buf[last:])) != "" {
		s.ends = append(s.ends, len(s.buf))
	}
}

// ToolCalled records a tool call; ToolFinished completes it.
func (m *Model) ToolCalled(callID, name string, args json.RawMessage) {
	m.newest.open = false
	if m.win.skip {
		return
	}
	m.closeText()
	e := m.add(&entry{kind: Tool, tool: &toolCall{callID: callID, name: termtext.Sanitize(name),
		short: termtext.Sanitize(shortArgs(args)), args: termtext.Sanitize(string(args))}})
	m.calls[callID] = e
}

// ToolFinished completes the call with its result.
func (m *Model) ToolFinished(callID, name string, isErr bool, summary, output string, d time.Duration) {
	if m.win.skip {
		return
	}
	e, ok := m.calls[callID]
	if !ok {
		e = m.add(&entry{kind: Tool, tool: &toolCall{callID: callID, name: termtext.Sanitize(name), orphan: true}})
	}
	m.stamp(e)
	delete(m.calls, callID)
	t := e.tool
	t.done, t.isErr, t.summary, t.dur = true, isErr, termtext.Sanitize(summary), d
	if len(output) > 64<<10 {
		output = output[:64<<10] // a transcript is not a log file
	}
	t.output = termtext.Sanitize(output)
	m.bytes += len(t.output)
	e.linesW = 0
	if m.win.cur == 0 {
		m.trim()
	}
}

// LastText is the source of the newest assistant message, for copying: the
// session's newest, even when the window holds an older part of it.
func (m *Model) LastText() string {
	if len(m.newest.text) > 0 {
		return string(m.newest.text)
	}
	for i := len(m.entries) - 1; i >= 0; i-- {
		if e := m.entries[i]; e.kind == Assistant {
			return string(e.md.buf)
		}
	}
	return ""
}

// Len is the number of entries.
func (m *Model) Len() int { return len(m.entries) }

// Update handles render results and throttle ticks.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case RenderedMsg:
		e := m.find(msg.entryID)
		if e == nil {
			return nil
		}
		s := e.md
		s.inflight = false
		s.cost = msg.took
		// Scrolled up, rows growing below the view move the offset, not the view.
		rows, below := m.count(e), m.offset > 0 && m.below(e)
		defer func() {
			if below {
				m.offset += m.count(e) - rows
			}
		}()
		if msg.gen == s.gen && msg.width == s.width && msg.from == s.nr {
			for _, b := range msg.blocks {
				if len(s.flat) > 0 {
					s.flat = append(s.flat, "")
				}
				s.starts = append(s.starts, len(s.flat))
				s.flat = append(s.flat, b...)
				s.nr++
			}
			s.tail, s.tailEnd = msg.tail, msg.tailEnd
		}
		if s.dirty || s.nr < len(s.ends) || s.width != m.width {
			s.dirty = false
			return m.kick(e)
		}
	case TickMsg:
		if e := m.find(msg.entryID); e != nil {
			e.md.tickPending = false
			return m.kick(e)
		}
	}
	return nil
}

func (m *Model) find(id int) *entry {
	i := sort.Search(len(m.entries), func(i int) bool { return m.entries[i].id >= id })
	if i < len(m.entries) && m.entries[i].id == id && m.entries[i].md != nil {
		return m.entries[i]
	}
	return nil
}

// kick starts a render of e if one is needed and allowed now, or schedules the
// one throttle tick. At most one render per entry is in flight.
func (m *Model) kick(e *entry) tea.Cmd {
	s := e.md
	if m.width <= 0 {
		return nil // no size yet: SetSize will ask again
	}
	if s.inflight {
		s.dirty = true
		return nil
	}
	if s.width != m.width {
		s.width, s.gen, s.nr, s.flat, s.starts, s.tail, s.tailEnd = m.width, s.gen+1, 0, nil, nil, nil, 0
	}
	blockEnd := 0
	if s.nr > 0 {
		blockEnd = s.ends[s.nr-1]
	}
	tailFrom := blockEnd
	if n := len(s.ends); n > 0 {
		tailFrom = s.ends[n-1]
	}
	if s.nr == len(s.ends) && s.tailEnd == len(s.buf) {
		return nil // up to date
	}
	now := m.Now()
	// At most ~15 renders a second, and fewer when a render is slow (one huge
	// growing code block): rendering then takes at most a quarter of a core.
	gap := max(Throttle, 4*s.cost)
	if !s.finished && now.Sub(s.last) < gap {
		if s.tickPending || m.syncRender {
			return nil
		}
		s.tickPending = true
		id := e.id
		return tea.Tick(gap-now.Sub(s.last), func(time.Time) tea.Msg { return TickMsg{id} })
	}
	j := job{r: m.rs.For(m.st), entryID: e.id, gen: s.gen, width: s.width, from: s.nr,
		tail: string(s.buf[tailFrom:]), tailEnd: len(s.buf)}
	start := blockEnd
	for _, end := range s.ends[s.nr:] {
		j.blocks = append(j.blocks, string(s.buf[start:end]))
		start = end
	}
	s.inflight, s.last = true, now
	if m.syncRender {
		return m.Update(j.run())
	}
	return func() tea.Msg { return j.run() }
}

// ensureVisible asks for renders of visible markdown entries that are stale.
func (m *Model) ensureVisible() tea.Cmd {
	var cmds []tea.Cmd
	need := m.offset + m.height
	for i := len(m.entries) - 1; i >= 0 && need > 0; i-- {
		e := m.entries[i]
		if e.md != nil && (e.md.width != m.width) {
			cmds = append(cmds, m.kick(e))
		}
		need -= m.count(e)
	}
	return tea.Batch(cmds...)
}

// ScrollBy moves the view up (n > 0) or down by n rows.
func (m *Model) ScrollBy(n int) tea.Cmd {
	m.offset = max(min(m.offset+n, m.total()-m.height), 0)
	return m.ensureVisible()
}

// AtBottom reports whether the view follows the end.
func (m *Model) AtBottom() bool { return m.offset == 0 && m.win.hi >= m.win.last }

// count is the number of rows entry e takes, including its blank separator.
func (m *Model) count(e *entry) int {
	if e.md != nil {
		n := len(e.md.flat) + len(e.md.tail)
		if len(e.md.flat) > 0 && len(e.md.tail) > 0 {
			n++
		}
		if n == 0 && len(e.md.buf) > 0 {
			n = 1 // "…" while the first render is on its way
		}
		return n + 1
	}
	return len(m.simpleLines(e)) + 1
}

// row returns row i of entry e (i < count(e)).
func (m *Model) row(e *entry, i int) string {
	if e.md != nil {
		s := e.md
		switch {
		case i < len(s.flat):
			return s.flat[i]
		case len(s.flat) > 0 && len(s.tail) > 0 && i == len(s.flat):
			return ""
		}
		j := i - len(s.flat)
		if len(s.flat) > 0 {
			j--
		}
		if j >= 0 && j < len(s.tail) {
			return s.tail[j]
		}
		if len(s.flat) == 0 && len(s.tail) == 0 && i == 0 && len(s.buf) > 0 {
			return m.st.Muted.Render("  …")
		}
		return ""
	}
	ls := m.simpleLines(e)
	if i < len(ls) {
		return ls[i]
	}
	return ""
}

// View renders exactly the visible rows, joined by newlines.
func (m *Model) View() string {
	rows := make([]string, m.height)
	// Walk from the bottom: skip offset rows, then fill height rows.
	skip := m.offset
	fill := m.height - 1
	for i := len(m.entries) - 1; i >= 0 && fill >= 0; i-- {
		e := m.entries[i]
		n := m.count(e)
		if skip >= n {
			skip -= n
			continue
		}
		stale := e.md != nil && e.md.width != m.width
		for r := n - 1 - skip; r >= 0 && fill >= 0; r-- {
			l := m.row(e, r)
			if stale {
				l = ansi.Truncate(l, m.width, "")
			}
			rows[fill] = l
			fill--
		}
		skip = 0
	}
	if fill == m.height-1 && len(m.entries) == 0 {
		return strings.Repeat("\n", max(m.height-1, 0))
	}
	return strings.Join(rows, "\n")
}

// simpleLines renders user, notice and tool entries, cached per width.
func (m *Model) simpleLines(e *entry) []string {
	key := 0
	if e.kind == Tool {
		if m.expanded {
			key |= 1
		}
		if e.tool.done {
			key |= 2
		}
	}
	if e.linesW == m.width && e.linesKey == key && e.lines != nil {
		return e.lines
	}
	st, w := m.st, m.width
	var out []string
	wrap := func(s string, w int) []string { return strings.Split(ansi.Wrap(s, max(w, 1), " /"), "\n") }
	switch e.kind {
	case User:
		for i, l := range wrap(e.text, w-2) {
			p := "  "
			if i == 0 {
				p = "› "
			}
			out = append(out, st.UserPrompt.Render(p)+st.Bold.Render(l))
		}
	case Notice, Error:
		// Notices (the "Done:" summary among them) carry the model's words:
		// their `code` and **emphasis** render as in its messages.
		mark, style := "· ", st.Muted
		if e.kind == Error {
			mark, style = "! ", st.Error
		}
		for i, l := range m.rs.For(st).InlineLines(e.text, w-2, style) {
			if i > 0 {
				mark = "  "
			}
			out = append(out, style.Render(mark)+l)
		}
	case Tool:
		t := e.tool
		head := "⚙ " + t.name
		if t.short != "" {
			head += " " + t.short
		}
		res := "…"
		rst := st.ToolLine
		if t.done {
			res = "→ " + t.summary
			if t.summary == "" {
				res = "→ done"
			}
			if t.dur > 0 {
				res += fmt.Sprintf(" (%s)", fmtDur(t.dur))
			}
			if t.isErr {
				rst = st.ToolError
			}
		}
		if t.name == "finish" && t.short != "" {
			// finish's summary is the model's prose, with its markdown.
			head = rst.Render("⚙ "+t.name+" ") + m.rs.For(st).Inline(t.short, rst)
			line := closeSGR(ansi.Truncate(head, max(w*2/3, 10), "…")) + rst.Render(" "+res)
			out = append(out, closeSGR(ansi.Truncate(line, w, "…")))
		} else {
			line := ansi.Truncate(head, max(w*2/3, 10), "…") + " " + res
			out = append(out, rst.Render(ansi.Truncate(line, w, "…")))
		}
		if m.expanded {
			if diff := editDiff(t.name, t.args); diff != nil {
				for _, l := range diff {
					sty := st.Faint
					switch l[0] {
					case '-':
						sty = st.DiffDel
					case '+':
						sty = st.DiffAdd
					}
					out = append(out, "    "+sty.Render(ansi.Truncate(strings.ReplaceAll(l, "\t", "    "), w-4, "…")))
				}
			} else if t.args != "" {
				for _, l := range wrap(t.args, w-4) {
					out = append(out, st.Faint.Render("    "+l))
				}
			}
			ol := strings.Split(strings.TrimRight(t.output, "\n"), "\n")
			if len(ol) > 30 {
				ol = append(ol[:30:30], fmt.Sprintf("… %d more lines", len(ol)-30))
			}
			for _, l := range ol {
				if l != "" {
					out = append(out, st.Faint.Render("    "+ansi.Truncate(strings.ReplaceAll(l, "\t", "    "), w-4, "…")))
				}
			}
		}
	}
	e.lines, e.linesW, e.linesKey = out, m.width, key
	return out
}

// closeSGR ends a line cut inside a style with a reset, so the style does not
// run into the next thing on screen.
func closeSGR(s string) string {
	if i := strings.LastIndex(s, "\x1b["); i >= 0 && !strings.HasPrefix(s[i:], "\x1b[m") {
		return s + "\x1b[m"
	}
	return s
}

func fmtDur(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// shortArgs picks the telling argument of a tool call for the one-line summary.
func shortArgs(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return ansi.Truncate(string(raw), 60, "…")
	}
	for _, k := range []string{"command", "path", "pattern", "query", "ref", "job", "question", "args", "step", "summary"} {
		if v, ok := m[k]; ok {
			s := fmt.Sprint(v)
			if k == "step" {
				if st, ok := m["status"]; ok {
					s += " " + fmt.Sprint(st)
				}
			}
			s = strings.ReplaceAll(s, "\n", " ")
			return ansi.Truncate(s, 60, "…")
		}
	}
	if v, ok := m["steps"].([]any); ok {
		return fmt.Sprintf("%d steps", len(v))
	}
	return ""
}

// completeRunes cuts a streaming tail that ends inside a UTF-8 character; the
// character is shown once its last delta arrives.
func completeRunes(s string) string {
	for k := 1; k <= utf8.UTFMax-1 && k <= len(s); k++ {
		if utf8.RuneStart(s[len(s)-k]) {
			if !utf8.FullRuneInString(s[len(s)-k:]) {
				return s[:len(s)-k]
			}
			break
		}
	}
	return s
}

func expandTabs(s string) string {
	if strings.IndexByte(s, '\t') < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\t", "    ")
}

// editDiff shows an edit's arguments as the small diff a reader expects
// (path, then "-" lines replaced by "+" lines) instead of raw JSON; nil for
// other tools or arguments it cannot read. Long sides are cut, saying so.
func editDiff(tool, args string) []string {
	var a struct {
		Path       string  `json:"path"`
		Old        *string `json:"old_string"`
		New        *string `json:"new_string"`
		Content    *string `json:"content"`
		ReplaceAll bool    `json:"replace_all"`
	}
	if json.Unmarshal([]byte(args), &a) != nil || a.Path == "" {
		return nil
	}
	side := func(prefix, text string) []string {
		if text == "" {
			return nil
		}
		ls := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
		var out []string
		for i, l := range ls {
			if i == 20 {
				out = append(out, fmt.Sprintf("%s … %d more lines", prefix, len(ls)-20))
				break
			}
			out = append(out, prefix+l)
		}
		return out
	}
	switch {
	case tool == "edit_file" && a.Old != nil && a.New != nil:
		head := "  " + a.Path
		if a.ReplaceAll {
			head += " (every occurrence)"
		}
		return append(append([]string{head}, side("-", *a.Old)...), side("+", *a.New)...)
	case tool == "create_file" && a.Content != nil:
		return append([]string{"  " + a.Path + " (new content)"}, side("+", *a.Content)...)
	}
	return nil
}
