package diffview

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/styles"
)

// bigDiff is one Go file with n changed lines in hunks of 20 (10 out, 10 in, with
// context), the shape of a large refactor.
func bigDiff(n int) []session.FileChange {
	f := session.FileChange{Path: "internal/store/store.go", Kind: session.ChangeModified, Language: "go"}
	line := 1
	for len(f.Hunks)*24 < n {
		h := session.Hunk{ID: fmt.Sprint("h", len(f.Hunks)), OldStart: line, NewStart: line, OldLines: 14, NewLines: 14, State: session.HunkProposed}
		h.Lines = append(h.Lines, " func (s *Store) Get(ctx context.Context, id string) (*Item, error) {", "\tif id == \"\" {")
		for i := 0; i < 10; i++ {
			h.Lines = append(h.Lines, fmt.Sprintf("-\t\treturn nil, fmt.Errorf(\"store: get %%q: %%w\", id, errNotFound%d)", i))
		}
		for i := 0; i < 10; i++ {
			h.Lines = append(h.Lines, fmt.Sprintf("+\t\treturn nil, fmt.Errorf(\"store: get item %%q: %%w\", id, ErrNotFound%d)", i))
		}
		h.Lines = append(h.Lines, "\t}", " \treturn s.items[id], nil")
		f.Hunks = append(f.Hunks, h)
		f.Added += 10
		f.Deleted += 10
		line += 40
	}
	return []session.FileChange{f}
}

// BenchmarkFirstFrame20k indexes a 20,000-line diff and draws the first frame
// at 120x40.
func BenchmarkFirstFrame20k(b *testing.B) {
	files := bigDiff(20000)
	st := styles.New(true, false)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		m := New(st)
		m.SetSize(120, 40)
		m.SetFiles(files)
		_ = m.View()
	}
}

// BenchmarkScrollStep20k moves the cursor one row and draws the frame.
func BenchmarkScrollStep20k(b *testing.B) {
	m := New(styles.New(true, false))
	m.SetSize(120, 40)
	m.SetFiles(bigDiff(20000))
	_ = m.View()
	b.ReportAllocs()
	defer reportCPU(b)()
	dir := 1
	for b.Loop() {
		m.Move(dir)
		if m.cursor >= len(m.doc.Rows)-1 || m.cursor == 0 {
			dir = -dir
		}
		_ = m.View()
	}
}

// BenchmarkPageStep20k scrolls a page (every row new) and draws the frame.
func BenchmarkPageStep20k(b *testing.B) {
	m := New(styles.New(true, false))
	m.SetSize(120, 40)
	m.SetFiles(bigDiff(20000))
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		m.Scroll(30)
		if m.offset >= len(m.doc.Rows)-40 {
			m.offset, m.cursor = 0, 0
		}
		_ = m.View()
	}
}

// reportCPU adds the process CPU time per op: on a loaded machine wall time
// mostly measures waiting for a core.
func reportCPU(b *testing.B) func() {
	c0 := cpuTime()
	return func() { b.ReportMetric(float64((cpuTime()-c0).Microseconds())/1000/float64(b.N), "cpu-ms/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
