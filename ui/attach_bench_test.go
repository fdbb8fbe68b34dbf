package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"gitlab.com/wend/wend/remote/rpc"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/uitest"
)

// longSession is a session of n model turns, each streamed text, a tool call
// with a result and a usage report: about seven events a turn.
func longSession(n int) *uitest.Backend {
	be := uitest.NewBackend()
	plan := session.Plan{NextID: 3, Steps: []session.Step{{ID: "1", Title: "Read"}, {ID: "2", Title: "Edit"}}}
	be.Emit(session.SessionStarted{SessionID: "s1", Task: "a long task"}, session.PlanProposed{Plan: plan})
	out := strings.Repeat("some output of the tool, a line of it\n", 6)
	for i := range n {
		be.Emit(session.TextDelta{Text: fmt.Sprintf("Turn %d: looking at ", i)}, session.TextDelta{Text: "the next file, "},
			session.TextDelta{Text: "then editing it."}, session.TextFinished{Chars: 50},
			session.ToolCalled{CallID: fmt.Sprint("c", i), Tool: "read_file", Args: []byte(`{"path":"a.go"}`)},
			session.ToolFinished{CallID: fmt.Sprint("c", i), Tool: "read_file", Summary: "read a.go (6 lines)", Output: out},
			session.UsageReported{InputTokens: 1000, OutputTokens: 50})
	}
	return be
}

// attach opens a UI model on be, takes the event stream from the start the way
// the running UI does (waitEvents' bursts), and returns once the last event is
// in and the frame showing it is drawn.
func attach(b *testing.B, be session.Backend, last int64) *Model {
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	m := New(be, Options{Repository: "acme/shop", Branch: "main", Model: "m", NoColor: true})
	m.ctx = ctx
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	ch := be.Events(ctx, 0)
	for seen := int64(0); seen < last; {
		msg := waitEvents(ch)()
		em, ok := msg.(eventsMsg)
		if !ok {
			b.Fatalf("the stream ended at %d of %d", seen, last)
		}
		m.Update(em)
		seen = em.events[len(em.events)-1].Seq
	}
	_ = m.View()
	return m
}

// BenchmarkAttach2000Turns: the first full frame of a client attaching to a
// 2,000-turn session (about 14,000 events): over the host's socket (dial,
// hello, the whole history, every event applied, the frame drawn), and in
// process for comparison. heap-MB is the Go heap in use after it (host and
// client share this process here, so it bounds each).
func BenchmarkAttach2000Turns(b *testing.B) {
	be := longSession(2000)
	const n = 2 + 7*2000 // the log's last seq
	ctx := context.Background()
	b.Run("socket", func(b *testing.B) {
		dir, _ := os.MkdirTemp("", "wend-attach-")
		b.Cleanup(func() { os.RemoveAll(dir) })
		path := filepath.Join(dir, "s", rpc.SocketName)
		l, err := rpc.Listen(path)
		if err != nil {
			b.Fatal(err)
		}
		srv := rpc.NewServer(be, rpc.Options{Session: "s1"})
		go srv.Serve(l)
		b.Cleanup(srv.Close)
		cpu := cpuTime()
		for b.Loop() {
			c, err := rpc.Dial(ctx, path, true)
			if err != nil {
				b.Fatal(err)
			}
			attach(b, c, n)
			c.Close()
		}
		reportCPU(b, cpu)
		reportHeap(b)
	})
	b.Run("in-process", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			attach(b, be, n)
		}
		reportCPU(b, cpu)
		reportHeap(b)
	})
}

func reportHeap(b *testing.B) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
}

// cpuTime is the process's user and system time so far. On a shared machine
// the wall time of a benchmark is mostly waiting for a core; the CPU time it
// used is the figure that does not depend on the neighbours.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, since time.Duration) {
	b.ReportMetric(float64((cpuTime()-since).Milliseconds())/float64(b.N), "cpu-ms/op")
}
