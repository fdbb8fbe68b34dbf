package transcript

import (
	"fmt"
	"math"

	tea "charm.land/bubbletea/v2"
)

// The window: the transcript holds the entries of a range of the session's
// events, [lo, hi], bounded by MaxEntries and MaxBytes; the rest of the record
// stays in the session's store (issue 15). Scrolling near the window's top asks
// for the events before lo (Want), the UI replays them into a Fork, and Stitch
// puts the entries in front; entries far from the view are evicted from
// whichever end is farther. While the window's end is not the session's newest
// event (the user reads far back and the bottom was evicted), live events are
// skipped and paged in again from the store when the view comes back down.
//
// Entries know the events they hold (seq: the one that made them, end: the
// last that changed them). A window is cut only where no entry dropped holds an
// event at or after the first entry kept, so loading [.., lo-1] again rebuilds
// exactly what was dropped. What crosses a page boundary is mended by Stitch:
// a message streamed across it (the later part's head continues the earlier
// part's open message), a tool call whose result is on the other side (an
// orphan result is folded into its call).
//
// Entries the UI adds outside an event (errors of its own calls) are not in
// the store: once evicted they are gone.

// PageEvents is how many events one page asks the store for.
const PageEvents = 512

type window struct {
	lo, hi int64 // the events the entries cover
	last   int64 // the newest event seen; hi < last: the window's end is not live
	cur    int64 // the event being applied (Begin), 0 outside one
	skip   bool  // the current event is outside the window

	// What a page stitched in front needs to know: the first text the
	// window's events did was a delta (head, which may continue a message
	// opened before lo) or a close (headClosed: that message ended).
	textSeen   bool
	head       *entry
	headClosed bool

	loading bool // a page is on its way
	failed  int  // pages that did not come
	minID   int  // the lowest entry id (pages in front take ids below it)
}

// Begin says the calls that follow apply event seq; End closes it. An event the
// window has already (a page held it) or cannot take (its end is not live) is
// skipped: the calls do nothing. Calls outside Begin/End are the UI's own
// notes, shown at the end when the end is live.
func (m *Model) Begin(seq int64) {
	w := &m.win
	if seq <= 0 {
		return // not from a log: shown like the UI's own notes
	}
	live := w.hi >= w.last
	w.last = max(w.last, seq)
	if seq <= w.hi || !live {
		w.skip = true
		return
	}
	// Sequence numbers may jump: a reader that fell behind gets runs of
	// deltas merged into one event carrying the last seq.
	w.cur, w.hi = seq, seq
}

// End closes the event Begin opened.
func (m *Model) End() {
	took := m.win.cur > 0
	m.win.cur, m.win.skip = 0, false
	if took {
		m.trim()
	}
}

// Window is the range of events the entries cover and the newest seen.
func (m *Model) Window() (lo, hi, last int64) { return m.win.lo, m.win.hi, m.win.last }

// SetLimits replaces MaxEntries and MaxBytes (tests, and memory-tight hosts).
func (m *Model) SetLimits(entries, bytes int) { m.maxEntries, m.maxBytes = max(entries, 8), bytes }

// stamp records that e holds the current event.
func (m *Model) stamp(e *entry) {
	if m.win.cur > 0 {
		e.end = max(e.end, m.win.cur)
	}
}

// textAction notes the segment's first text action (see window.head).
func (m *Model) textAction(delta *entry) {
	if m.win.textSeen {
		return
	}
	m.win.textSeen = true
	if delta != nil {
		m.win.head = delta
	} else {
		m.win.headClosed = true
	}
}

// SetPaging says a store can give evicted entries back (the UI has a History
// port): the window may then drop its end while the view is far from it.
func (m *Model) SetPaging(on bool) { m.paging = on }

// size is what an entry counts against MaxBytes.
func (e *entry) size() int {
	n := len(e.text)
	if e.md != nil {
		n += len(e.md.buf)
	}
	if e.tool != nil {
		n += len(e.tool.output)
	}
	return n
}

func (m *Model) over(entries, bytes int) bool {
	return entries > m.maxEntries || bytes > m.maxBytes && entries > 1
}

// trim drops entries past the limits, never any on screen or within a few
// screens of it. Following the end (or with no store to page from), the
// oldest go. While the view is up in the window and a store can give entries
// back, they go from the end farther from the view first. So the window may
// pass the limits by what a few screens and a page hold.
func (m *Model) trim() {
	if !m.over(len(m.entries), m.bytes) {
		return
	}
	if !m.paging || m.offset == 0 {
		m.trimFront(math.MaxInt)
		return
	}
	// More than Want's margin, so what a page brings is not dropped at once.
	keep := 4 * m.height
	above := m.total() - m.offset - m.height
	if m.offset > above {
		m.trimEnd(m.offset - keep)
		if m.over(len(m.entries), m.bytes) {
			m.trimFront(above - keep)
		}
		return
	}
	m.trimFront(above - keep)
	if m.over(len(m.entries), m.bytes) {
		m.trimEnd(m.offset - keep)
	}
}

// cutSeq is the first event held by entries[k:], or hi+1 when they hold none.
func (m *Model) cutSeq(k int) int64 {
	for ; k < len(m.entries); k++ {
		if !m.entries[k].eph {
			return m.entries[k].seq
		}
	}
	return m.win.hi + 1
}

// trimFront drops the oldest entries, at most rows rows of them, at the first
// clean cut within the limits (or the last clean cut before them).
func (m *Model) trimFront(rows int) {
	n, bytes := len(m.entries), m.bytes
	var maxEnd int64 = -1
	cut := 0
	for k := 1; k < n; k++ {
		e := m.entries[k-1]
		if e == m.open {
			break // the message still streaming stays
		}
		if rows != math.MaxInt {
			if rows -= m.count(e); rows < 0 {
				break
			}
		}
		bytes -= e.size()
		if !e.eph {
			maxEnd = max(maxEnd, e.end)
		}
		if maxEnd < m.cutSeq(k) {
			cut = k
			if !m.over(n-k, bytes) {
				break
			}
		}
	}
	if cut == 0 {
		return
	}
	for _, e := range m.entries[:cut] {
		m.drop(e)
	}
	lo := m.cutSeq(cut)
	m.entries = append(m.entries[:0:0], m.entries[cut:]...)
	m.win.lo = lo
	if m.win.head == nil {
		// What the window's first text continued is out of it now; a page
		// before it ends with its messages closed.
		m.win.textSeen, m.win.headClosed = true, true
	}
}

// trimEnd drops entries at the end, at most room rows of them, at the first
// clean cut within the limits or else the deepest one it may.
func (m *Model) trimEnd(room int) {
	n := len(m.entries)
	// maxEnd[k] is the last event held by entries[:k].
	maxEnd := make([]int64, n+1)
	maxEnd[0] = -1
	for k, e := range m.entries {
		maxEnd[k+1] = maxEnd[k]
		if !e.eph {
			maxEnd[k+1] = max(maxEnd[k], e.end)
		}
	}
	rows, bytes := 0, m.bytes
	cut, cutRows := n, 0
	for k := n - 1; k > 0; k-- {
		e := m.entries[k]
		if rows += m.count(e); rows > room {
			break
		}
		bytes -= e.size()
		if maxEnd[k] < m.cutSeq(k) {
			cut, cutRows = k, rows
			if !m.over(k, bytes) {
				break
			}
		}
	}
	if cut == n {
		return
	}
	hi := m.cutSeq(cut) - 1
	for _, e := range m.entries[cut:] {
		m.drop(e)
	}
	m.entries = m.entries[:cut:cut]
	m.offset -= cutRows
	m.win.hi = hi
	// The state at hi: what the entries kept left open.
	m.open = nil
	clear(m.calls)
	for _, e := range m.entries {
		switch {
		case e.md != nil && !e.md.finished:
			m.open = e
		case e.tool != nil && !e.tool.done && !e.tool.orphan:
			m.calls[e.tool.callID] = e
		}
	}
}

// drop forgets an entry leaving the window.
func (m *Model) drop(e *entry) {
	m.bytes -= e.size()
	if e.tool != nil && m.calls[e.tool.callID] == e {
		delete(m.calls, e.tool.callID)
	}
	if e == m.win.head {
		m.win.head = nil
	}
	if e == m.open {
		m.open = nil
	}
}

// Fork is an empty transcript with this one's look, to replay a page of
// events (from `from` on) into before Stitch. It renders nothing itself.
func (m *Model) Fork(from int64) Model {
	f := New(m.st, m.rs)
	f.Now, f.expanded = m.Now, m.expanded
	f.win = window{lo: from, hi: from - 1, last: from - 1}
	f.maxEntries, f.maxBytes = math.MaxInt, math.MaxInt // a page is never trimmed
	return f
}

// Want says which events the window needs next: the page before it when the
// view nears its top, the page after its end when the view nears the bottom
// and the end is not live. The page is then on its way until Stitch or
// Failed; ok is false when nothing is needed or a page is on its way.
func (m *Model) Want() (from, to int64, ok bool) {
	w := &m.win
	if w.loading || !m.paging || m.height <= 0 {
		return 0, 0, false
	}
	above := m.total() - m.offset - m.height
	switch {
	case w.lo > 1 && above < 2*m.height:
		from, to = max(w.lo-PageEvents, 1), w.lo-1
	case w.hi < w.last && m.offset < 2*m.height:
		from, to = w.hi+1, min(w.hi+PageEvents, w.last)
	default:
		return 0, 0, false
	}
	w.loading = true
	return from, to, true
}

// Failed says the page Want asked for will not come; first reports the first
// failure, so the UI says it once, not at every scroll.
func (m *Model) Failed() (first bool) {
	w := &m.win
	w.loading = false
	w.failed++
	if w.failed >= maxFailures && m.paging {
		// The record cannot be read: keep what the window holds and show
		// live events again. If its end had been dropped, the events between
		// it and the newest stay unshown, and the transcript says so.
		m.paging = false
		if missed := w.last - w.hi; missed > 0 {
			w.hi = w.last
			m.AddNotice("error", fmt.Sprintf("%d events of the session cannot be read back from its record and are not shown here", missed))
		}
		m.offset = 0
	}
	return w.failed == 1
}

// maxFailures is how many pages may fail before the window stops paging.
const maxFailures = 3

// ToEnd scrolls back to the end. A window whose end is not live is replaced
// by an empty one at the session's newest event; the pages before it follow.
func (m *Model) ToEnd() tea.Cmd {
	if w := &m.win; w.hi < w.last {
		m.entries = nil
		m.bytes, m.open = 0, nil
		clear(m.calls)
		*w = window{lo: w.last + 1, hi: w.last, last: w.last, failed: w.failed}
	}
	m.offset = 0
	return m.ensureVisible()
}

// Stitch puts the entries of p, a Fork replayed with the events from..to, in
// front of the window (to is just before it) or after its end (from is just
// after it), mending what crosses the boundary. A page that no longer borders
// the window (it moved meanwhile) is dropped: ok false.
func (m *Model) Stitch(p *Model, from, to int64) (ok bool, cmd tea.Cmd) {
	m.win.loading = false
	switch {
	case to == m.win.lo-1 && from <= to:
		m.stitchFront(p, from)
	case from == m.win.hi+1 && from <= to:
		m.stitchEnd(p, to)
	default:
		return false, nil
	}
	m.trim()
	return true, m.ensureVisible()
}

func (m *Model) stitchFront(p *Model, from int64) {
	for _, e := range p.entries {
		adopt(e)
	}
	w := &m.win
	// A message the page leaves open went on in the window (its head) or
	// was closed there; with no text in the window at all it is still open.
	if o := p.open; o != nil {
		switch {
		case w.head != nil:
			h := w.head
			merge(o, h)
			m.entries = without(m.entries, h)
			if m.open == h {
				m.open = o
			}
		case w.headClosed || m.open != nil:
			finish(o.md)
		default:
			m.open = o
		}
	}
	// The window's results whose calls the page holds.
	m.entries = adoptOrphans(m.entries, p.calls)
	for id, c := range p.calls {
		m.calls[id] = c // still running, or its result is yet to come
	}
	if p.win.textSeen {
		w.textSeen, w.head, w.headClosed = true, p.win.head, p.win.headClosed
	}
	first := m.nextID + 1
	if len(m.entries) > 0 {
		first = m.entries[0].id
	}
	for i, e := range p.entries {
		e.id = first - len(p.entries) + i
	}
	m.entries = append(p.entries, m.entries...)
	m.bytes += p.bytes
	w.lo = from
}

func (m *Model) stitchEnd(p *Model, to int64) {
	for _, e := range p.entries {
		adopt(e)
	}
	w := &m.win
	if p.win.textSeen {
		if o := m.open; o != nil {
			switch {
			case p.win.head != nil:
				h := p.win.head
				merge(o, h)
				p.entries = without(p.entries, h)
				if p.open == h {
					p.open = o
				}
			default:
				finish(o.md) // the page closed it before any text of its own
			}
		}
		m.open = p.open
	}
	kept := adoptOrphans(p.entries, m.calls)
	for id, c := range p.calls {
		m.calls[id] = c
	}
	for _, e := range kept {
		m.nextID++
		e.id = m.nextID
		// The view stays where it is, even at the window's bottom: the
		// user reads the past there, and following the end resumes at
		// the session's end.
		m.offset += m.count(e)
	}
	m.entries = append(m.entries, kept...)
	m.bytes += p.bytes
	w.hi = to
	w.last = max(w.last, to)
}

// adopt readies an entry of a page for this model: it is rendered afresh
// (the fork never rendered; its sizes were not the window's).
func adopt(e *entry) {
	e.lines, e.linesW = nil, 0
	if s := e.md; s != nil {
		s.width, s.nr, s.flat, s.starts, s.tail, s.tailEnd = 0, 0, nil, nil, nil, 0
		s.inflight, s.dirty, s.tickPending = false, false, false
	}
}

// merge appends the continuation src of the open message dst.
func merge(dst, src *entry) {
	d := dst.md
	d.buf = append(d.buf, src.md.buf...)
	d.ends = d.sp.scan(d.buf, d.ends)
	if src.md.finished {
		finish(d)
	}
	dst.end = max(dst.end, src.end)
}

// fold gives a call its result, which came as an orphan entry.
// adoptOrphans folds each result in entries whose call is in calls (across a
// page boundary) into that call, takes the call out of calls, and returns the
// entries left, in entries' own array.
func adoptOrphans(entries []*entry, calls map[string]*entry) []*entry {
	kept := entries[:0]
	for _, e := range entries {
		if t := e.tool; t != nil && t.orphan {
			if c, ok := calls[t.callID]; ok {
				fold(c, e)
				delete(calls, t.callID)
				continue
			}
		}
		kept = append(kept, e)
	}
	return kept
}

func fold(call, res *entry) {
	c, r := call.tool, res.tool
	c.done, c.isErr, c.summary, c.output, c.dur = r.done, r.isErr, r.summary, r.output, r.dur
	call.end = max(call.end, res.end)
	call.lines, call.linesW = nil, 0
}

func without(es []*entry, x *entry) []*entry {
	for i, e := range es {
		if e == x {
			return append(es[:i:i], es[i+1:]...)
		}
	}
	return es
}

// total is the rows of the whole window.
func (m *Model) total() int {
	n := 0
	for _, e := range m.entries {
		n += m.count(e)
	}
	return n
}

// below reports whether e is wholly below the view.
func (m *Model) below(e *entry) bool {
	rows := 0
	for i := len(m.entries) - 1; i >= 0 && rows < m.offset; i-- {
		f := m.entries[i]
		n := m.count(f)
		if f == e {
			return rows+n <= m.offset
		}
		rows += n
	}
	return false
}

// newest is the text of the session's newest assistant message, kept apart
// from the entries: while the window holds an older part of the session (its
// end dropped, live events skipped) copying still takes the newest message.
type newest struct {
	text []byte
	open bool
}

func (n *newest) add(s string) {
	if !n.open {
		n.text, n.open = n.text[:0], true
	}
	n.text = append(n.text, s...)
}
