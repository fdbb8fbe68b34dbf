package rpc_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/rpc"
	"gitlab.com/wend/wend/session"
)

// logBackend is a session.Backend whose events come from a real session.Log,
// as the host's do; its controls do nothing.
type logBackend struct{ log *session.Log }

func (logBackend) Start(context.Context, session.Task) error        { return nil }
func (logBackend) Pause(context.Context) error                      { return nil }
func (logBackend) Resume(context.Context) error                     { return nil }
func (logBackend) Stop(context.Context) error                       { return nil }
func (logBackend) EditPlan(context.Context, session.PlanEdit) error { return nil }
func (logBackend) Adjust(context.Context, string) (string, error)   { return "", nil }
func (logBackend) Withdraw(context.Context, string) error           { return nil }
func (logBackend) Resolve(context.Context, session.Decision) error  { return nil }
func (b logBackend) Events(ctx context.Context, after int64) <-chan session.Event {
	return b.log.Subscribe(ctx, after)
}

// benchEventPath measures one event from the engine's log append to the
// front end's channel, one at a time (latency, not throughput): in process
// (the channel is the log's) or through the host's socket. The difference is
// what the host adds per event on the path from provider to screen.
func benchEventPath(b *testing.B, overSocket bool) {
	log := session.NewLog(nil)
	var ch <-chan session.Event
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if overSocket {
		path, _ := serve(b, logBackend{log}, rpc.Options{})
		c := dial(b, path, true)
		ch = c.Events(ctx, 0)
	} else {
		ch = log.Subscribe(ctx, 0)
	}
	p := session.ToolFinished{CallID: "c1", Tool: "read_file", Summary: "read a.go (120 lines)", Output: "package a\n\nfunc A() {}\n"}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		log.Append(p)
		<-ch
		lat = append(lat, time.Since(t0))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "median-ns")
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	}
}

func BenchmarkEventInProcess(b *testing.B)  { benchEventPath(b, false) }
func BenchmarkEventOverSocket(b *testing.B) { benchEventPath(b, true) }
