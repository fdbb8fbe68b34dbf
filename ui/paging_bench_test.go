package ui

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/uitest"
)

// BenchmarkAttachAndScrollToTop2000Turns: a client attaches to a host serving
// a stored 2,000-turn session (about 14,000 events) over its socket, takes the
// history as the running UI does (renders included), then scrolls up half a
// screen at a time, paging the record from the host's store, until the first
// task is on screen. held-MB is the Go heap in use after a GC with the client
// alive at the top (host and client share the process: it bounds both);
// entries is what the transcript holds there; pages and cpu-ms per op.
func BenchmarkAttachAndScrollToTop2000Turns(b *testing.B) {
	st, events := storedSession(b, 2000)
	p, err := st.Pager("s1")
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	be := uitest.NewBackend()
	for _, e := range events {
		be.Emit(e.Payload)
	}
	last := events[len(events)-1].Seq
	events = nil
	h := &counting{h: p}
	c := attachClient(b, be, h)
	closed := make(chan session.Event)
	close(closed)
	var held runtime.MemStats
	entries := 0
	var scroll time.Duration
	cpu := cpuTime()
	for b.Loop() {
		ctx, cancel := context.WithCancel(context.Background())
		m := New(c, Options{NoColor: true, Clock: stepClock()})
		m.ctx = ctx
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		ch := c.Events(ctx, 0)
		for seen := int64(0); seen < last; {
			em, ok := waitEvents(ch)().(eventsMsg)
			if !ok {
				b.Fatalf("the stream ended at %d of %d", seen, last)
			}
			_, cmd := m.Update(eventsMsg{events: em.events, ch: closed})
			pump(m, cmd)
			seen = em.events[len(em.events)-1].Seq
		}
		t1 := time.Now()
		for steps := 0; !strings.Contains(ansi.Strip(m.tr.View()), firstTask); steps++ {
			if steps > 100_000 {
				b.Fatal("the first task never showed")
			}
			pump(m, m.scrollBy(m.mainHeight()/2))
		}
		b.StopTimer()
		scroll += time.Since(t1)
		runtime.GC()
		runtime.ReadMemStats(&held)
		entries = m.tr.Len()
		runtime.KeepAlive(m)
		cancel()
		b.StartTimer()
	}
	reportCPU(b, cpu)
	b.ReportMetric(float64(held.HeapInuse)/(1<<20), "held-MB")
	b.ReportMetric(float64(entries), "entries")
	b.ReportMetric(float64(scroll.Milliseconds())/float64(b.N), "scroll-ms/op")
	b.ReportMetric(float64(h.calls.Load())/float64(b.N), "pages/op")
}
