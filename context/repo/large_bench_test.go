package repo

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/sahilm/fuzzy"

	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/internal/gittest"
)

// BenchmarkLargeRepo measures wend on a generated monorepo (100,000 listed files by
// default; WEND_BIGREPO_FILES changes it) against the command a user would compare
// it with, in the same run, alternating the two so a busy machine slows both
// alike. Each sub-benchmark reports the medians (wend-ms, ref-ms) and their ratio
// (x-ref). Run:
//
//	WEND_BIGREPO=1 go test ./context/repo -run '^$' -bench LargeRepo -benchtime 7x
//
// The repository is generated once and kept between runs (see largeRepo); CI
// runs TestGeneratedMonorepo, the same comparisons on 5,000 files, instead.
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
		var ids []string
		versus(b, func() {
			n++
			id := "bench" + strconv.Itoa(n) + strconv.FormatInt(time.Now().UnixNano(), 36)
			s, err := gitops.Start(ctx, dir, id)
			if err != nil {
				b.Fatal(err)
			}
			s.Close()
			ids = append(ids, id)
		}, func() { mustRun(b, dir, "git", "status", "--porcelain") })
		// The repository is kept for later runs: leave no sessions in it.
		for _, id := range ids {
			if _, err := gitops.Prune(ctx, dir, id); err != nil {
				b.Fatal(err)
			}
			os.RemoveAll(filepath.Join(dir, ".git", "wend", id))
		}
	})
	// The outline the first turn gets. Its symbols step is bounded by a clock
	// (symbolTimeout), which a loaded machine can run out of on 100,000 files:
	// here it may take what it needs, so the size measured is the full outline.
	b.Run("outline", func(b *testing.B) {
		defer func(d time.Duration) { symbolTimeout = d }(symbolTimeout)
		symbolTimeout = 10 * time.Minute
		var md string
		var syms int
		var cpu []time.Duration
		for b.Loop() {
			r.Invalidate()
			c0 := cpuAll()
			f, err := r.Facts(ctx)
			if err != nil {
				b.Fatal(err)
			}
			cpu = append(cpu, cpuAll()-c0)
			md, syms = f.Markdown(), len(f.Symbols)
		}
		b.ReportMetric(float64(len(md)), "bytes")
		b.ReportMetric(float64(len(md)/4), "tokens")
		b.ReportMetric(float64(syms), "symbols")
		b.ReportMetric(ms(median(cpu)), "cpu-ms")
		if out := os.Getenv("WEND_OUTLINE_OUT"); out != "" {
			os.WriteFile(out, []byte(md), 0o644)
		}
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
	// The picker as the UI asks it (cli's repoFiles: Repo.FileIndex, then Match)
	// with the listing stale at every key, the worst case: the TTL passed or an
	// edit invalidated it while the user typed.
	b.Run("picker-port", func(b *testing.B) {
		r := openRepo(b, dir)
		if _, err := r.Index(ctx, nil); err != nil {
			b.Fatal(err)
		}
		r.SetTTL(0)
		var worst time.Duration
		for b.Loop() {
			for k := 1; k <= len(query); k++ {
				start := time.Now()
				ix, err := r.FileIndex(ctx)
				if err != nil {
					b.Fatal(err)
				}
				ix.Match(query[:k], 8)
				worst = max(worst, time.Since(start))
			}
		}
		b.ReportMetric(ms(worst), "worst-key-ms")
	})
	// What the UI starts behind the first frame: listing with progress, then the
	// picker's index; the first `@` waits for nothing once it is done.
	b.Run("index", func(b *testing.B) {
		versus(b, func() {
			r := openRepo(b, dir)
			ix, err := r.Index(ctx, func(int) {})
			if err != nil || ix.Len() != st.Listed {
				b.Fatalf("indexed %d of %d: %v", ix.Len(), st.Listed, err)
			}
		}, func() { mustRun(b, dir, "git", "ls-files", "-z", "-co", "--exclude-standard") })
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
// medians and the ratio of the medians, for the clock (wend-ms, ref-ms, x-ref)
// and for CPU time, the process's own plus its children's (wend-cpu-ms,
// ref-cpu-ms, x-ref-cpu): on a loaded machine the clock mostly measures the wait
// for a core, the CPU time what each side costs.
func versus(b *testing.B, wend, ref func()) {
	var w, r, wc, rc []time.Duration
	for b.Loop() {
		c0, start := cpuAll(), time.Now()
		ref()
		r, rc = append(r, time.Since(start)), append(rc, cpuAll()-c0)
		c0, start = cpuAll(), time.Now()
		wend()
		w, wc = append(w, time.Since(start)), append(wc, cpuAll()-c0)
	}
	mw, mr := median(w), median(r)
	b.ReportMetric(ms(mw), "wend-ms")
	b.ReportMetric(ms(mr), "ref-ms")
	b.ReportMetric(float64(mw)/float64(mr), "x-ref")
	cw, cr := median(wc), median(rc)
	b.ReportMetric(ms(cw), "wend-cpu-ms")
	b.ReportMetric(ms(cr), "ref-cpu-ms")
	b.ReportMetric(float64(cw)/float64(cr), "x-ref-cpu")
}

// cpuAll is the CPU time of this process and of its waited-for children.
func cpuAll() time.Duration {
	var self, kids syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	return time.Duration(self.Utime.Nano() + self.Stime.Nano() + kids.Utime.Nano() + kids.Stime.Nano())
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

// largeRepo returns the benchmark repository: 100,000 listed files (WEND_BIGREPO_FILES
// changes it), generated once and kept between runs (gittest.CachedLarge). It
// runs only with WEND_BIGREPO=1: generating it the first time takes minutes.
func largeRepo(b *testing.B) (string, gittest.LargeStats) {
	b.Helper()
	if os.Getenv("WEND_BIGREPO") == "" {
		b.Skip("set WEND_BIGREPO=1 to measure on the generated 100,000-file repository (kept in $WEND_BIGREPO_DIR or the user cache)")
	}
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("WEND_BIGREPO_FILES")); err == nil && v > 0 {
		n = v
	}
	return gittest.CachedLarge(b, gittest.LargeSpec{Listed: n})
}
