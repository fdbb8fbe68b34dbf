package transcript

import (
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sampleMarkdown is about n bytes of the kind of answer a model streams:
// headings, paragraphs, lists, tables and fenced Go, Python and TypeScript.
func sampleMarkdown(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "## Section %d\n\n", i)
		fmt.Fprintf(&b, "The handler in `auth/session.go` checks **expiry** before it reads the token; step %d moves the check so a revoked session fails fast. It also keeps the clock injectable for tests.\n\n", i)
		b.WriteString("- read the failing test\n- change the check\n- add a regression test\n\n")
		b.WriteString("| file | change |\n|------|--------|\n| session.go | expiry |\n| session_test.go | new test |\n\n")
		switch i % 3 {
		case 0:
			b.WriteString("```go\nfunc (s *Session) Valid() bool {\n\treturn s.clock().Before(s.Expires) && !s.Revoked\n}\n```\n\n")
		case 1:
			b.WriteString("```python\ndef valid(session):\n    return session.expires > now() and not session.revoked\n```\n\n")
		case 2:
			b.WriteString("```typescript\nexport function valid(s: Session): boolean {\n  return s.expires > Date.now() && !s.revoked;\n}\n```\n\n")
		}
	}
	return b.String()
}

// BenchmarkStream200KB streams 200 KB of markdown in 40-byte deltas, one every
// 2 ms of (fake) time, rendering inline, and draws a frame after every delta.
// Reports the render CPU per stream and the slowest View.
func BenchmarkStream200KB(b *testing.B) {
	doc := sampleMarkdown(200 << 10)
	b.ReportAllocs()
	// The View timing is this thread's CPU time: on a loaded machine wall time
	// mostly measures waiting for a core.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var maxView, total time.Duration
	cpu0 := cpuTime()
	for b.Loop() {
		m, c := newSync(120, 40)
		start := time.Now()
		for i := 0; i < len(doc); i += 40 {
			m.AppendText(doc[i:min(i+40, len(doc))])
			c.t = c.t.Add(2 * time.Millisecond)
			t0 := threadTime()
			_ = m.View()
			maxView = max(maxView, threadTime()-t0)
		}
		m.FinishText()
		_ = m.View()
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/stream")
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/stream")
	b.ReportMetric(float64(maxView.Microseconds())/1000, "max-view-cpu-ms")
}

// BenchmarkView1000Entries draws a frame over 1,000 entries at 120x40.
func BenchmarkView1000Entries(b *testing.B) {
	m, _ := newSync(120, 40)
	for i := 0; i < 1000; i++ {
		switch i % 4 {
		case 0:
			m.AddUser(fmt.Sprintf("prompt %d: please fix the login bug and add a test", i))
		case 1:
			m.AppendText(sampleMarkdown(600))
			m.FinishText()
		case 2:
			id := fmt.Sprint("c", i)
			m.ToolCalled(id, "read_file", []byte(`{"path":"auth/session.go"}`))
			m.ToolFinished(id, "read_file", false, "120 lines", "package auth", 3*time.Millisecond)
		case 3:
			m.AddNotice("info", "step 2 done")
		}
	}
	m.ScrollBy(500)
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkViewWhileStreaming draws a frame in the middle of a long stream (a
// rendered prefix of ~100 KB and a growing tail).
func BenchmarkViewWhileStreaming(b *testing.B) {
	doc := sampleMarkdown(100 << 10)
	m, c := newSync(120, 40)
	for i := 0; i < len(doc); i += 40 {
		m.AppendText(doc[i:min(i+40, len(doc))])
		c.t = c.t.Add(2 * time.Millisecond)
	}
	m.AppendText("A paragraph still growing, with **bold** and `code`")
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// threadTime is the calling OS thread's CPU time (RUSAGE_THREAD).
func threadTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(1, &ru) != nil { // RUSAGE_THREAD
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
