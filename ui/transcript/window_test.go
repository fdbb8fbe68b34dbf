package transcript

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"gitlab.com/wend/wend/ui/styles"
)

// op is one event's effect on the transcript, as the UI applies it.
type op struct {
	kind     string // user, delta, fin, call, res, note
	text, id string
}

func (o op) apply(m *Model) {
	switch o.kind {
	case "user":
		m.AddUser(o.text)
	case "delta":
		m.AppendText(o.text)
	case "fin":
		m.FinishText()
	case "call":
		m.ToolCalled(o.id, "read_file", []byte(`{"path":"`+o.text+`"}`))
	case "res":
		m.ToolFinished(o.id, "read_file", false, "read "+o.text, "out "+o.text, time.Millisecond)
	case "note":
		m.AddNotice("info", o.text)
	}
}

// script is a random session: messages streamed in many deltas with notices
// in between (a notice does not close a message), calls whose results come
// much later or never, all of it crossing page boundaries anywhere.
func script(seed int64, n int) []op {
	r := rand.New(rand.NewSource(seed))
	var ops []op
	var open []string
	for i := 0; len(ops) < n; i++ {
		switch k := r.Intn(20); {
		case k < 9:
			ops = append(ops, op{kind: "delta", text: fmt.Sprintf("w%d ", i)})
			if r.Intn(8) == 0 {
				ops = append(ops, op{kind: "delta", text: "\n\n"})
			}
		case k < 11:
			ops = append(ops, op{kind: "fin"})
		case k < 13:
			id := fmt.Sprint("c", i)
			open = append(open, id)
			ops = append(ops, op{kind: "call", id: id, text: fmt.Sprint("f", i)})
		case k < 16 && len(open) > 0:
			j := r.Intn(len(open))
			ops = append(ops, op{kind: "res", id: open[j], text: fmt.Sprint("r", i)})
			open = slices.Delete(open, j, j+1)
		case k < 18:
			ops = append(ops, op{kind: "note", text: fmt.Sprint("note ", i)})
		default:
			ops = append(ops, op{kind: "user", text: fmt.Sprint("task ", i)})
		}
	}
	return ops
}

// play applies ops[from-1:to] (events from..to) to m.
func play(m *Model, ops []op, from, to int64) {
	for seq := from; seq <= to; seq++ {
		m.Begin(seq)
		ops[seq-1].apply(m)
		m.End()
	}
}

// dump is what the entries say, in order.
func dump(m *Model) []string {
	var out []string
	for _, e := range m.entries {
		switch {
		case e.md != nil:
			out = append(out, fmt.Sprintf("text %q finished=%v", e.md.buf, e.md.finished))
		case e.tool != nil:
			t := e.tool
			out = append(out, fmt.Sprintf("tool %s %s %s done=%v %q %q", t.callID, t.name, t.short, t.done, t.summary, t.output))
		default:
			out = append(out, fmt.Sprintf("%d %q", e.kind, e.text))
		}
	}
	return out
}

func unlimited() *Model {
	m := New(styles.New(true, true), nil)
	m.SetLimits(math.MaxInt, math.MaxInt)
	return &m
}

func sameEntries(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("%s: entry %d of %d/%d differs:\n got %s\nwant %s", what, i, len(got), len(want), got[i], want[i])
		}
	}
	t.Fatalf("%s: %d entries, want %d", what, len(got), len(want))
}

// A transcript paged in from the store, a page at a time in either
// direction, says exactly what the one built live says, whatever crossed the
// pages' boundaries.
func TestPagesStitchToWhatLiveShows(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		const n = 1500
		ops := script(seed, n)
		live := unlimited()
		play(live, ops, 1, n)
		want := dump(live)
		r := rand.New(rand.NewSource(seed))

		// Backwards from a window at the end (as after ToEnd).
		back := unlimited()
		back.win = window{lo: n - 40 + 1, hi: n - 40, last: n - 40}
		play(back, ops, n-40+1, n)
		for back.win.lo > 1 {
			to := back.win.lo - 1
			from := max(to-int64(1+r.Intn(60)), 1)
			p := back.Fork(from)
			play(&p, ops, from, to)
			if ok, _ := back.Stitch(&p, from, to); !ok {
				t.Fatalf("seed %d: page %d-%d refused at window %d-%d", seed, from, to, back.win.lo, back.win.hi)
			}
		}
		sameEntries(t, fmt.Sprint("seed ", seed, " backwards"), dump(back), want)

		// Forwards from the start (as after the end was evicted).
		fwd := unlimited()
		fwd.win.last = n
		for fwd.win.hi < n {
			from := fwd.win.hi + 1
			to := min(from+int64(r.Intn(60)), n)
			p := fwd.Fork(from)
			play(&p, ops, from, to)
			if ok, _ := fwd.Stitch(&p, from, to); !ok {
				t.Fatalf("seed %d: page %d-%d refused", seed, from, to)
			}
		}
		sameEntries(t, fmt.Sprint("seed ", seed, " forwards"), dump(fwd), want)

		// Live with a small window (the oldest evicted as it goes), then
		// paged back to the start.
		small := unlimited()
		small.SetLimits(50, math.MaxInt)
		play(small, ops, 1, n)
		if small.Len() > 50+10 || small.win.lo <= 1 {
			t.Fatalf("seed %d: a live window of %d entries from event %d", seed, small.Len(), small.win.lo)
		}
		small.SetLimits(math.MaxInt, math.MaxInt)
		for small.win.lo > 1 {
			to := small.win.lo - 1
			from := max(to-int64(1+r.Intn(60)), 1)
			p := small.Fork(from)
			play(&p, ops, from, to)
			if ok, _ := small.Stitch(&p, from, to); !ok {
				t.Fatalf("seed %d: page %d-%d refused by the window %d-%d", seed, from, to, small.win.lo, small.win.hi)
			}
		}
		sameEntries(t, fmt.Sprint("seed ", seed, " evicted then paged"), dump(small), want)
	}
}

// Scrolled far up in a long session, the window drops its end (live events
// are then skipped) and pages it back in when the view comes down; memory
// stays within the limits throughout.
func TestWindowDropsItsEndWhileReadingFarBack(t *testing.T) {
	const n = 3000
	ops := script(7, n)
	live := unlimited()
	play(live, ops, 1, n)
	want := dump(live)

	m, _ := newSync(80, 20)
	m.SetPaging(true)
	m.SetLimits(120, math.MaxInt)
	play(m, ops, 1, 2000)
	load := func() bool {
		from, to, ok := m.Want()
		if !ok {
			return false
		}
		p := m.Fork(from)
		play(&p, ops, from, to)
		if ok, _ := m.Stitch(&p, from, to); !ok {
			t.Fatalf("page %d-%d refused at %d-%d", from, to, m.win.lo, m.win.hi)
		}
		return true
	}
	// Up to the start, with the session going on meanwhile.
	next := int64(2001)
	for steps := 0; m.win.lo > 1 || m.offset < m.total()-m.height; steps++ {
		if steps > 5000 {
			t.Fatalf("not at the top after %d steps: window %d-%d", steps, m.win.lo, m.win.hi)
		}
		m.ScrollBy(m.height / 2)
		for load() {
		}
		if next <= n {
			play(m, ops, next, next)
			next++
		}
		if m.Len() > 120+PageEvents {
			t.Fatalf("%d entries held", m.Len())
		}
	}
	if got := dump(m); got[0] != want[0] || m.win.lo != 1 {
		t.Fatalf("at the top the window starts at event %d with %s, want %s", m.win.lo, got[0], want[0])
	}
	if m.win.hi >= m.win.last {
		t.Fatalf("reading the start of %d events, the window still holds the end (%d-%d)", n, m.win.lo, m.win.hi)
	}
	for next <= n {
		play(m, ops, next, next)
		next++
	}
	// And back down to the end.
	for steps := 0; m.win.hi < m.win.last || m.offset > 0; steps++ {
		if steps > 5000 {
			t.Fatalf("not at the end after %d steps: window %d-%d of %d", steps, m.win.lo, m.win.hi, m.win.last)
		}
		m.ScrollBy(-m.height / 2)
		for load() {
		}
	}
	got := dump(m)
	sameEntries(t, "the end after paging down", got, want[len(want)-len(got):])
}

// A page that comes after the window moved (the user jumped to the end
// meanwhile) is dropped, not stitched out of place; a record that cannot be
// read stops the paging and brings the live end back.
func TestStalePageIsDroppedAndFailuresStopPaging(t *testing.T) {
	const n = 3000
	ops := script(3, n)
	m, _ := newSync(80, 20)
	m.SetPaging(true)
	m.SetLimits(120, math.MaxInt)
	play(m, ops, 1, n)
	m.ScrollBy(1 << 20)
	from, to, ok := m.Want()
	if !ok {
		t.Fatal("at the top of the window no page is wanted")
	}
	if _, _, again := m.Want(); again {
		t.Fatal("a second page asked while one is on its way")
	}
	// Far up, live events drop the window's end.
	for m.win.hi >= m.win.last {
		m.Begin(m.win.last + 1)
		m.AddNotice("info", "live")
		m.End()
	}
	// Copying takes the session's newest message, which the window no
	// longer holds.
	m.Begin(m.win.last + 1)
	m.AppendText("the newest words")
	m.End()
	m.Begin(m.win.last + 1)
	m.FinishText()
	m.End()
	if got := m.LastText(); got != "the newest words" {
		t.Fatalf("copying far up takes %q", got)
	}
	m.ToEnd()
	p := m.Fork(from)
	play(&p, ops, from, to)
	if ok, _ := m.Stitch(&p, from, to); ok {
		t.Fatalf("page %d-%d stitched into the window %d-%d", from, to, m.win.lo, m.win.hi)
	}
	// Now the record fails.
	m.ScrollBy(1 << 20)
	for i := 0; i < maxFailures; i++ {
		if _, _, ok := m.Want(); !ok {
			t.Fatalf("failure %d: no page wanted", i)
		}
		if first := m.Failed(); first != (i == 0) {
			t.Fatalf("failure %d reported as first=%v", i, first)
		}
	}
	if _, _, ok := m.Want(); ok || m.paging {
		t.Fatal("still paging after the record failed")
	}
	m.Begin(m.win.last + 1)
	m.AddNotice("info", "after the failures")
	m.End()
	if m.win.hi != m.win.last || !strings.Contains(m.View(), "after the failures") {
		t.Fatalf("live events not shown after the paging stopped: window %d-%d of %d", m.win.lo, m.win.hi, m.win.last)
	}
}

// A record that fails while the window's end was dropped (the user reads far
// up, live events went on) keeps what the window holds: the transcript is not
// blanked, it says a part of the session cannot be shown, and live events show
// after it.
func TestFailuresFarUpKeepTheWindow(t *testing.T) {
	const n = 3000
	ops := script(3, n)
	m, _ := newSync(80, 20)
	m.SetPaging(true)
	m.SetLimits(120, math.MaxInt)
	play(m, ops, 1, n)
	m.ScrollBy(1 << 20)
	for m.win.hi >= m.win.last {
		m.Begin(m.win.last + 1)
		m.AddNotice("info", "live while far up")
		m.End()
	}
	held := len(m.entries)
	for i := 0; i < maxFailures; i++ {
		if _, _, ok := m.Want(); !ok {
			t.Fatalf("failure %d: no page wanted", i)
		}
		m.Failed()
	}
	if len(m.entries) < held {
		t.Fatalf("the window held %d entries and holds %d after the record failed", held, len(m.entries))
	}
	m.Begin(m.win.last + 1)
	m.AddNotice("info", "after the failures")
	m.End()
	if v := m.View(); !strings.Contains(v, "after the failures") || !strings.Contains(v, "cannot be read") {
		t.Fatalf("after the failures the end shows:\n%s", v)
	}
}
