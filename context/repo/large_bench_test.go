package repo

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sahilm/fuzzy"

	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/internal/gittest"
)

// BenchmarkLargeRepo measures wend on a generated monorepo (100,000 listed files by
// default; WEND_BENCH_FILES changes it, -short makes it 10,000) against the command
// a user would compare it with, in the same run, alternating the two so a busy
// machine slows both alike. Each sub-benchmark reports the medians (wend-ms,
// ref-ms) and their ratio (x-ref). Run:
//
//	go test ./context/repo -run '^$' -bench LargeRepo -benchtime 7x
//
// The repository is generated once per run into a temporary directory (TestMain
// removes it). Benchmarks only run with -bench, so this costs CI nothing.
func BenchmarkLargeRepo(b *testing.B) {
	dir, st := largeRepo(b)
	ctx := context.Background()
	r := openRepo(b, dir)

	b.Run("list", func(b *testing.B) {
		versus(b, func() {
			r.Invalidate()
			files, err := r.Files(ctx)
			if err != nil || len(files) != st.Listed {
				b.Fatalf("listed %d of %d: %v", len(files), st.Listed, err)
			}
		}, func() { mustRun(b, dir, "git", "ls-files", "-z", "-co", "--exclude-standard") })
	})
	for _, tc := range []struct {
		name, pattern string
		want          int
	}{
		{"grep-literal", gittest.LargeNeedle, st.NeedleFiles},
		{"grep-regex", gittest.LargeRegex, st.RegexFiles},
	} {
		rgArgs := []string{"--no-config", "--no-heading", "--with-filename", "--line-number", "--null", "--color", "never",
			"--hidden", "--glob", "!.git", "--no-messages", "-e", tc.pattern}
		check := func(res GrepResult, err error) {
			if err != nil || res.Total != tc.want {
				b.Fatalf("%s: %d matches, want %d: %v", tc.name, res.Total, tc.want, err)
			}
		}
		b.Run(tc.name+"/rg", func(b *testing.B) {
			if _, err := exec.LookPath("rg"); err != nil {
				b.Skip("rg is not on PATH")
			}
			versus(b, func() { check(r.Grep(ctx, GrepOptions{Pattern: tc.pattern})) },
				func() { mustRun(b, dir, "rg", rgArgs...) })
		})
		b.Run(tc.name+"/go", func(b *testing.B) {
			if _, err := exec.LookPath("rg"); err != nil {
				b.Skip("rg is not on PATH: nothing to compare the Go search with")
			}
			// The listing is taken afresh each time, as a search after an edit would.
			versus(b, func() {
				r.Invalidate()
				check(r.Grep(ctx, GrepOptions{Pattern: tc.pattern, NoRipgrep: true}))
			}, func() { mustRun(b, dir, "rg", rgArgs...) })
		})
	}
	b.Run("snapshot", func(b *testing.B) {
		n := 0
		versus(b, func() {
			n++
			s, err := gitops.Start(ctx, dir, "bench"+strconv.Itoa(n)+strconv.FormatInt(time.Now().UnixNano(), 36))
			if err != nil {
				b.Fatal(err)
			}
			s.Close()
		}, func() { mustRun(b, dir, "git", "status", "--porcelain") })
	})
	b.Run("outline", func(b *testing.B) {
		var md string
		for b.Loop() {
			r.Invalidate()
			f, err := r.Facts(ctx)
			if err != nil {
				b.Fatal(err)
			}
			md = f.Markdown()
		}
		b.ReportMetric(float64(len(md)/4), "tokens")
	})
	b.Run("index-memory", func(b *testing.B) {
		var files []string
		var ix *FileIndex
		var before, after runtime.MemStats
		for b.Loop() {
			r.Invalidate()
			runtime.GC()
			runtime.ReadMemStats(&before)
			files, _ = r.Files(ctx)
			ix = NewFileIndex(files)
			runtime.GC()
			runtime.ReadMemStats(&after)
		}
		runtime.KeepAlive(ix)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
	})
	// The picker: a query typed one key at a time; the metric is the slowest key.
	files, err := r.Files(ctx)
	if err != nil {
		b.Fatal(err)
	}
	query := "svc03ordm4file"
	b.Run("picker", func(b *testing.B) {
		typeQuery(b, files, query)
	})
	// What the picker did before FileIndex (sahilm/fuzzy over every path per key).
	b.Run("picker-sahilm", func(b *testing.B) {
		var worst time.Duration
		for b.Loop() {
			for k := 1; k <= len(query); k++ {
				start := time.Now()
				fuzzy.Find(query[:k], files)
				worst = max(worst, time.Since(start))
			}
		}
		b.ReportMetric(ms(worst), "worst-key-ms")
	})
}

// versus runs wend's operation and the reference alternately and reports their
// medians and the ratio of the medians.
func versus(b *testing.B, wend, ref func()) {
	var w, r []time.Duration
	for b.Loop() {
		start := time.Now()
		ref()
		r = append(r, time.Since(start))
		start = time.Now()
		wend()
		w = append(w, time.Since(start))
	}
	mw, mr := median(w), median(r)
	b.ReportMetric(ms(mw), "wend-ms")
	b.ReportMetric(ms(mr), "ref-ms")
	b.ReportMetric(float64(mw)/float64(mr), "x-ref")
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mustRun(b *testing.B, dir, name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if _, err := cmd.Output(); err != nil {
		b.Fatalf("%s %v: %v", name, args, err)
	}
}

var (
	largeOnce  sync.Once
	largeDir   string
	largeStats gittest.LargeStats
)

// largeRepo generates the benchmark repository once per run.
func largeRepo(b *testing.B) (string, gittest.LargeStats) {
	b.Helper()
	largeOnce.Do(func() {
		n := 100000
		if testing.Short() {
			n = 10000
		}
		if v, err := strconv.Atoi(os.Getenv("WEND_BENCH_FILES")); err == nil && v > 0 {
			n = v
		}
		dir, err := os.MkdirTemp("", fmt.Sprintf("wend-large-%d-", n))
		if err != nil {
			b.Fatal(err)
		}
		largeDir = dir
		start := time.Now()
		largeStats = gittest.GenerateLarge(b, dir, gittest.LargeSpec{Listed: n})
		b.Logf("generated %d files (%+v) in %v", n, largeStats, time.Since(start).Round(time.Millisecond))
	})
	if largeDir == "" {
		b.Fatal("the large repository could not be generated")
	}
	return largeDir, largeStats
}
