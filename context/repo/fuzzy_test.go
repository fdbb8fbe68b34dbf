package repo

import (
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/wend/wend/internal/gittest"
)

func TestFileIndexRanking(t *testing.T) {
	ix := NewFileIndex([]string{
		"README.md",
		"cmd/wend/main.go",
		"docs/architecture.md",
		"internal/main_test.go",
		"session/agent/loop.go",
		"ui/complete.go",
		"ui/model.go",
	})
	for _, tc := range []struct {
		q    string
		want []string
	}{
		// Whole in the file name first, shorter first; then scattered.
		{"main", []string{"cmd/wend/main.go", "internal/main_test.go"}},
		{"MAIN", []string{"cmd/wend/main.go", "internal/main_test.go"}},
		{"uicom", []string{"ui/complete.go"}},
		{"agent", []string{"session/agent/loop.go"}},
		{"arch", []string{"docs/architecture.md"}},
		{"zzz", []string{}},
		{"", []string{"README.md", "cmd/wend/main.go", "docs/architecture.md"}},
	} {
		got := ix.Match(tc.q, 3)
		if !cmp.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("Match(%q) = %q, want %q", tc.q, got, tc.want)
		}
	}
}

// TestFileIndexNarrowingIsExact types, deletes and retypes: the incremental answer
// must equal a fresh index's answer at every step.
func TestFileIndexNarrowingIsExact(t *testing.T) {
	paths := gittest.LargePaths(5000)
	sortStringsInPlace(paths)
	ix := NewFileIndex(paths)
	for _, q := range []string{"s", "sv", "svc", "svc0", "svc", "svm", "svm4", "svm4f", "svm4fi", "", "m4", "m4.ts"} {
		got := ix.Match(q, 20)
		want := NewFileIndex(paths).Match(q, 20)
		if !cmp.Equal(got, want) {
			t.Fatalf("after typing to %q: got %q, want %q", q, got, want)
		}
	}
}

func sortStringsInPlace(s []string) { sortedUnique(s) }

// BenchmarkFileIndexKeystroke types a query into a 100,000-path picker, one key at
// a time; worst-key-ms is the slowest key (the first, which scans everything).
func BenchmarkFileIndexKeystroke(b *testing.B) {
	paths := gittest.LargePaths(100000)
	query := "svc03ordm4file"
	typeQuery(b, paths, query)
}

// typeQuery types query into a fresh index of paths one key at a time and reports
// the slowest key by the clock and by the process's CPU time: on a machine shared
// with other work the clock also counts time spent waiting for a core, the CPU
// time does not (it sums every thread, so it bounds the unloaded time from above).
func typeQuery(b *testing.B, paths []string, query string) {
	var worst, worstCPU, total time.Duration
	keys := 0
	for b.Loop() {
		ix := NewFileIndex(paths)
		for k := 1; k <= len(query); k++ {
			cpu0 := cpuTime()
			start := time.Now()
			ix.Match(query[:k], 8)
			d := time.Since(start)
			worstCPU = max(worstCPU, cpuTime()-cpu0)
			worst, total, keys = max(worst, d), total+d, keys+1
		}
	}
	b.ReportMetric(ms(worst), "worst-key-ms")
	b.ReportMetric(ms(worstCPU), "worst-key-cpu-ms")
	b.ReportMetric(ms(total)/float64(keys), "mean-key-ms")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
