package session

import (
	"context"
	"sync"
	"time"
)

// Log is a session's append-only event log with live subscribers. Append never
// blocks on a reader: each subscriber walks the slice at its own pace, and one that
// falls behind gets consecutive text deltas merged into one event instead of being
// handed thousands of tiny ones.
type Log struct {
	mu     sync.Mutex
	events []Event
	wake   chan struct{} // closed and replaced on every append
	now    func() time.Time
	// sink, when set, receives every event in order under the lock (persistence).
	sink func(Event)
}

// NewLog returns an empty log. sink may be nil.
func NewLog(sink func(Event)) *Log {
	return &Log{wake: make(chan struct{}), now: time.Now, sink: sink}
}

// Restore loads earlier events (from disk) without passing them to the sink.
func (l *Log) Restore(events []Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, events...)
}

// Append records p and returns the event with its sequence number.
func (l *Log) Append(p Payload) Event {
	l.mu.Lock()
	e := Event{Seq: int64(len(l.events)) + 1, Time: l.now(), Payload: p}
	if n := len(l.events); n > 0 {
		e.Seq = l.events[n-1].Seq + 1
	}
	l.events = append(l.events, e)
	if l.sink != nil {
		l.sink(e)
	}
	close(l.wake)
	l.wake = make(chan struct{})
	l.mu.Unlock()
	return e
}

// Snapshot returns a copy of the events after seq.
func (l *Log) Snapshot(after int64) []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := l.indexAfter(after)
	return append([]Event(nil), l.events[i:]...)
}

// Last is the newest sequence number, 0 when empty.
func (l *Log) Last() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.events) == 0 {
		return 0
	}
	return l.events[len(l.events)-1].Seq
}

func (l *Log) indexAfter(after int64) int {
	// Sequence numbers are dense, so the index is arithmetic when the log starts at 1.
	if len(l.events) == 0 {
		return 0
	}
	i := int(after - l.events[0].Seq + 1)
	if i < 0 {
		return 0
	}
	if i > len(l.events) {
		return len(l.events)
	}
	return i
}

// Subscribe streams events after seq until ctx ends. The channel is closed then.
func (l *Log) Subscribe(ctx context.Context, after int64) <-chan Event {
	out := make(chan Event, 64)
	go func() {
		defer close(out)
		next := after
		for {
			l.mu.Lock()
			i := l.indexAfter(next)
			batch := l.events[i:len(l.events):len(l.events)]
			wake := l.wake
			l.mu.Unlock()
			for _, e := range coalesce(batch) {
				select {
				case out <- e:
				case <-ctx.Done():
					return
				}
				next = e.Seq
			}
			if len(batch) > 0 {
				next = batch[len(batch)-1].Seq
				continue
			}
			select {
			case <-wake:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// coalesce merges runs of text deltas into one event carrying the last seq.
func coalesce(batch []Event) []Event {
	merged := false
	for i := 1; i < len(batch); i++ {
		if batch[i].Lossy() && batch[i-1].Lossy() {
			merged = true
			break
		}
	}
	if !merged {
		return batch
	}
	out := make([]Event, 0, len(batch))
	for _, e := range batch {
		if n := len(out); n > 0 && e.Lossy() && out[n-1].Lossy() {
			prev := out[n-1].Payload.(TextDelta)
			out[n-1] = Event{Seq: e.Seq, Time: e.Time, Payload: TextDelta{Text: prev.Text + e.Payload.(TextDelta).Text}}
			continue
		}
		out = append(out, e)
	}
	return out
}
