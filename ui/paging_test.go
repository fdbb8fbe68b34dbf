package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/remote/rpc"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/store"
	"gitlab.com/wend/wend/ui/transcript"
	"gitlab.com/wend/wend/ui/uitest"
)

const firstTask = "Find why the nightly export drops rows"

// storeDir is where a test's session store lives: a RAM disk when there is
// one, since writing 20,000 events synced one by one to a real disk takes
// most of a minute and this measures paging, not fdatasync.
func storeDir(t testing.TB) string {
	base := ""
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, "wend-paging-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// storedSession records a session of the given turns through the store's
// writer (seven events a turn, as longSession) and returns its store and the
// events.
func storedSession(t testing.TB, turns int) (*store.Store, []session.Event) {
	t.Helper()
	st := store.Open(storeDir(t))
	w, err := st.Create("s1")
	if err != nil {
		t.Fatal(err)
	}
	var events []session.Event
	log := session.NewLog(func(e session.Event) {
		if err := w.Append(e); err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	})
	plan := session.Plan{NextID: 3, Steps: []session.Step{{ID: "1", Title: "Read"}, {ID: "2", Title: "Edit"}}}
	log.Append(session.SessionStarted{SessionID: "s1", Task: firstTask})
	log.Append(session.PlanProposed{Plan: plan})
	out := strings.Repeat("some output of the tool, a line of it\n", 6)
	for i := range turns {
		log.Append(session.TextDelta{Text: fmt.Sprintf("Turn %d: looking at ", i)})
		log.Append(session.TextDelta{Text: "the next file, "})
		log.Append(session.TextDelta{Text: "then editing it."})
		log.Append(session.TextFinished{Chars: 50})
		log.Append(session.ToolCalled{CallID: fmt.Sprint("c", i), Tool: "read_file", Args: []byte(`{"path":"a.go"}`)})
		log.Append(session.ToolFinished{CallID: fmt.Sprint("c", i), Tool: "read_file", Summary: fmt.Sprintf("read a%d.go", i), Output: out})
		log.Append(session.UsageReported{InputTokens: 1000, OutputTokens: 50})
	}
	// Ended, so nothing ticks (pump runs every command it is given).
	log.Append(session.SessionFinished{State: session.StateFinished, Summary: "the export keeps its rows"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return st, events
}

// stepClock moves a second at every reading, so no render waits for the
// streaming throttle's timer.
func stepClock() func() time.Time {
	at := time.Unix(1_800_000_000, 0)
	return func() time.Time {
		at = at.Add(time.Second)
		return at
	}
}

// pump runs what the UI asked for that paging and rendering need (pages,
// markdown renders) until nothing is left, feeding the results back.
func pump(m *Model, cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case pageMsg, transcript.RenderedMsg:
			_, next := m.Update(msg)
			queue = append(queue, next)
		}
	}
}

// feed applies events as eventsMsg does, rendering what they ask for.
func feed(m *Model, events []session.Event) {
	for _, e := range events {
		m.tr.Begin(e.Seq)
		cmd := m.onEvent(e)
		m.tr.End()
		pump(m, cmd)
	}
}

// counting is a History that counts the pages it reads.
type counting struct {
	h     History
	calls atomic.Int64
}

func (c *counting) EventRange(ctx context.Context, from, to int64) ([]session.Event, error) {
	c.calls.Add(1)
	return c.h.EventRange(ctx, from, to)
}

// scrollToTop scrolls up half a screen at a time, paging as the UI does,
// until the first event's text is on screen; it checks the window's bounds on
// the way and returns the steps taken.
func scrollToTop(t testing.TB, m *Model, p *store.Pager, limit int) int {
	t.Helper()
	for steps := 1; ; steps++ {
		before := p.BytesRead()
		// The user's key, as the program delivers it.
		_, cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyPgUp})
		pump(m, cmd)
		if got := p.BytesRead() - before; got > 1<<20 {
			t.Fatalf("one scroll read %d bytes from the store", got)
		}
		if n := m.tr.Len(); n > limit {
			t.Fatalf("%d entries held while scrolling (limit %d)", n, limit)
		}
		if strings.Contains(ansi.Strip(m.tr.View()), firstTask) {
			return steps
		}
		if steps > 100_000 {
			lo, hi, last := m.tr.Window()
			t.Fatalf("no first task on screen after %d steps; window %d-%d of %d", steps, lo, hi, last)
		}
	}
}

// A session of 21,000 events: scrolled to the top, the first event's text is on
// screen, the transcript never holds more than its window, each page costs a
// bounded read of the store, and back at the end the newest turn shows. In
// process (the store's pager) and attached to a host over its socket (the
// client's EventRange, the host reading its store).
func TestScrollToTheTopOfALongStoredSession(t *testing.T) {
	st, events := storedSession(t, 3000)
	p, err := st.Pager("s1")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	t.Run("in-process", func(t *testing.T) {
		h := &counting{h: p}
		m := New(uitest.NewBackend(), Options{History: h, NoColor: true, Clock: stepClock()})
		scrollThrough(t, m, h, p, st, events)
	})
	t.Run("attached", func(t *testing.T) {
		h := &counting{h: p}
		be := uitest.NewBackend()
		for _, e := range events {
			be.Emit(e.Payload) // the same seqs: both count from 1
		}
		c := attachClient(t, be, h)
		m := New(c, Options{NoColor: true, Clock: stepClock()})
		ch := c.Events(t.Context(), 0)
		var streamed []session.Event
		for len(streamed) < len(events) {
			e, ok := <-ch
			if !ok {
				t.Fatalf("the stream ended after %d events", len(streamed))
			}
			streamed = append(streamed, e)
		}
		scrollThrough(t, m, h, p, st, streamed)
	})
}

// attachClient serves be with rec as its record on a socket and dials it.
func attachClient(t testing.TB, be session.Backend, rec rpc.Record) *rpc.Client {
	dir, err := os.MkdirTemp("", "wend-paging-") // t.TempDir's long names overflow sockaddr_un
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "s", rpc.SocketName)
	l, err := rpc.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := rpc.NewServer(be, rpc.Options{Session: "s1", Record: rec})
	go srv.Serve(l)
	t.Cleanup(srv.Close)
	c, err := rpc.Dial(context.Background(), path, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func scrollThrough(t *testing.T, m *Model, h *counting, p *store.Pager, st *store.Store, events []session.Event) {
	p0 := p.BytesRead()
	m.tr.SetLimits(400, 4<<20)
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	feed(m, events)
	events = nil
	if v := ansi.Strip(m.tr.View()); !strings.Contains(v, "Turn 2999") || strings.Contains(v, firstTask) {
		t.Fatalf("the end of the session is not what shows:\n%s", v)
	}
	if lo, _, _ := m.tr.Window(); lo <= 1 {
		t.Fatal("the window holds the whole session: nothing to page")
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heap0 := ms.HeapInuse
	limit := 400 + transcript.PageEvents
	steps := scrollToTop(t, m, p, limit)
	runtime.GC()
	runtime.ReadMemStats(&ms)
	fi, _ := os.Stat(st.Dir() + "/s1/events.jsonl")
	t.Logf("top after %d scrolls, %d pages, %d bytes read of a %d-byte log; heap %d MB at the end, %d MB at the top",
		steps, h.calls.Load(), p.BytesRead()-p0, fi.Size(), heap0>>20, ms.HeapInuse>>20)
	if ms.HeapInuse > heap0+64<<20 {
		t.Fatalf("the heap grew from %d to %d MB scrolling up", heap0>>20, ms.HeapInuse>>20)
	}
	if p.BytesRead()-p0 > 3*fi.Size() {
		t.Fatalf("scrolling through read %d bytes of a %d-byte log", p.BytesRead()-p0, fi.Size())
	}
	// New events while the user reads the start: kept in the store, shown
	// when the view comes back to the end (here at once, by typing).
	if _, hi, last := m.tr.Window(); hi >= last {
		t.Fatalf("reading the start, the window still holds the end (%d of %d)", hi, last)
	}
	pump(m, m.toEnd())
	if v := ansi.Strip(m.tr.View()); !strings.Contains(v, "Turn 2999") {
		t.Fatalf("back at the end:\n%s", v)
	}
}
