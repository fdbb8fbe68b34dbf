package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gitlab.com/wend/wend/session"
)

// longLog writes a session of n events through the store's writer: deltas,
// tool calls with outputs of varied size (some long lines), notices.
func longLog(t testing.TB, st *Store, id string, n int) *Writer {
	t.Helper()
	w, err := st.Create(id)
	if err != nil {
		t.Fatal(err)
	}
	log := session.NewLog(func(e session.Event) {
		if err := w.Append(e); err != nil {
			t.Fatal(err)
		}
	})
	log.Append(session.SessionStarted{SessionID: id, Task: "the first task"})
	for i := 2; i <= n; i++ {
		// Mostly deltas, which the writer buffers: a synced event costs
		// a disk flush, and 20,000 of them would make a slow test.
		switch {
		case i%5 == 0:
			log.Append(session.TextDelta{Text: fmt.Sprint("long ", i, strings.Repeat("x", (i*37)%9000))})
		case i%500 == 1:
			log.Append(session.Notice{Level: "info", Text: fmt.Sprint("notice ", i)})
		default:
			log.Append(session.TextDelta{Text: fmt.Sprint("delta ", i, " ")})
		}
	}
	return w
}

func TestPagerReadsRangesOfALongLogReadingFewBytes(t *testing.T) {
	st := Open(t.TempDir())
	const n = 20_500
	w := longLog(t, st, "s1", n)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(filepath.Join(st.Dir(), "s1", "events.jsonl"))
	p, err := st.Pager("s1")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	// Page backwards from the end to the start, as the transcript does.
	const page = 200
	for to := int64(n); to >= 1; to -= page {
		from := max(to-page+1, 1)
		before := p.BytesRead()
		evs, err := p.EventRange(ctx, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(evs)) != to-from+1 || evs[0].Seq != from || evs[len(evs)-1].Seq != to {
			t.Fatalf("range %d-%d: %d events, %d..%d", from, to, len(evs), evs[0].Seq, evs[len(evs)-1].Seq)
		}
		// The page's own lines (outputs up to 9 KB every fifth event), plus
		// the bisection's probes and one line either side: never the file.
		var own int64
		for _, e := range evs {
			if d, ok := e.Payload.(session.TextDelta); ok {
				own += int64(len(d.Text))
			}
			own += 200
		}
		if got := p.BytesRead() - before; got > own+40*probe+2*9000 {
			t.Fatalf("range %d-%d read %d bytes (the page is about %d, the file %d)", from, to, got, own, fi.Size())
		}
	}
	if p.BytesRead() > 3*fi.Size() {
		t.Fatalf("paging through read %d bytes of a %d-byte file", p.BytesRead(), fi.Size())
	}
	if evs, _ := p.EventRange(ctx, 1, 1); len(evs) != 1 || evs[0].Payload.(session.SessionStarted).Task != "the first task" {
		t.Fatalf("the first event: %+v", evs)
	}
	// Beyond the end, and a range asked backwards: nothing, no error.
	if evs, err := p.EventRange(ctx, n+1, n+100); err != nil || len(evs) != 0 {
		t.Fatalf("past the end: %d events, %v", len(evs), err)
	}
	if evs, err := p.EventRange(ctx, 50, 10); err != nil || len(evs) != 0 {
		t.Fatalf("backwards: %d events, %v", len(evs), err)
	}
	// A huge range is cut to MaxRange.
	if evs, _ := p.EventRange(ctx, 1, 1<<40); len(evs) != MaxRange {
		t.Fatalf("a huge range gave %d events", len(evs))
	}
}

func TestPagerSkipsATornLineAndSeesTheWritersBuffer(t *testing.T) {
	st := Open(t.TempDir())
	w := longLog(t, st, "s1", 1000)
	p, err := w.Pager()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	// Deltas stay in the writer's buffer; the writer's pager writes them out.
	w.Append(session.Event{Seq: 1001, Payload: session.TextDelta{Text: "buffered"}})
	evs, err := p.EventRange(ctx, 990, 2000)
	if err != nil || len(evs) != 12 || evs[11].Payload.(session.TextDelta).Text != "buffered" {
		t.Fatalf("the tail: %d events, %v", len(evs), err)
	}
	w.Close()
	// Half a line at the end (a crash mid-write) is not an event.
	f, _ := os.OpenFile(filepath.Join(st.Dir(), "s1", "events.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"seq":1002,"time":"2026-11-23T00:00:00Z","type":"text_del`)
	f.Close()
	p2, _ := st.Pager("s1")
	defer p2.Close()
	if evs, err := p2.EventRange(ctx, 1001, 1002); err != nil || len(evs) != 1 {
		t.Fatalf("torn tail: %d events, %v", len(evs), err)
	}
}

// Pages read while the session appends: every page is whole and in order.
func TestPagerWhileAppending(t *testing.T) {
	st := Open(t.TempDir())
	w := longLog(t, st, "s1", 100)
	defer w.Close()
	p, _ := w.Pager()
	defer p.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := int64(101); i <= 3000; i++ {
			w.Append(session.Event{Seq: i, Payload: session.TextDelta{Text: fmt.Sprint("n", i)}})
		}
	}()
	for k := 0; k < 200; k++ {
		evs, err := p.EventRange(context.Background(), 50, 150)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range evs {
			if e.Seq != int64(50+i) {
				t.Fatalf("event %d has seq %d", i, e.Seq)
			}
		}
	}
	wg.Wait()
}

// BenchmarkPagerPageOf512 reads one page of 512 events from a random place in
// a 20,000-event log through a fresh pager (no remembered offsets: the
// bisection every time); read-KB is what one page costs from the file.
func BenchmarkPagerPageOf512(b *testing.B) {
	st := Open(b.TempDir())
	w := longLog(b, st, "s1", 20_000)
	w.Close()
	ctx := context.Background()
	var read int64
	i := int64(0)
	for b.Loop() {
		p, err := st.Pager("s1")
		if err != nil {
			b.Fatal(err)
		}
		i = (i*7919 + 1) % (20_000 - 512)
		evs, err := p.EventRange(ctx, i+1, i+512)
		if err != nil || len(evs) != 512 {
			b.Fatalf("%d events, %v", len(evs), err)
		}
		read += p.BytesRead()
		p.Close()
	}
	b.ReportMetric(float64(read)/float64(b.N)/1024, "read-KB")
}

// A session killed mid-write and then continued: the torn line is cut before
// the new events are appended, so none is glued to it and lost, and Load and
// the pager read the whole session again.
func TestReopenAfterATornLineLosesNoNewEvent(t *testing.T) {
	st := Open(t.TempDir())
	w := longLog(t, st, "s1", 100)
	w.Close()
	for _, name := range []string{"events.jsonl", conversationFile} {
		f, _ := os.OpenFile(filepath.Join(st.Dir(), "s1", name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		f.WriteString(`{"seq":101,"time":"2026-11-23T00:00:00Z","type":"text_del`)
		f.Close()
	}
	w2, events, err := st.Reopen("s1")
	if err != nil || len(events) != 100 {
		t.Fatalf("reopen: %d events, %v", len(events), err)
	}
	for seq := int64(101); seq <= 102; seq++ {
		if err := w2.Append(session.Event{Seq: seq, Payload: session.Notice{Level: "info", Text: fmt.Sprint("after ", seq)}}); err != nil {
			t.Fatal(err)
		}
	}
	w2.Close()
	all, err := st.Load("s1")
	if err != nil || len(all) != 102 || all[100].Seq != 101 {
		t.Fatalf("load after the torn line: %d events, %v", len(all), err)
	}
	p, _ := st.Pager("s1")
	defer p.Close()
	if evs, err := p.EventRange(context.Background(), 95, 110); err != nil || len(evs) != 8 {
		t.Fatalf("page after the torn line: %d events, %v", len(evs), err)
	}
	if conv, err := st.LoadConversation("s1"); err != nil || len(conv) != 0 {
		t.Fatalf("the conversation keeps its torn line: %q, %v", conv, err)
	}
}
