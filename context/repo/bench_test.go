package repo

import (
	"context"
	"gitlab.com/wend/wend/internal/gittest"
	"os"
	"os/exec"
	"sync"
	"testing"
)

// benchDir holds one generated 20,000-file repository shared by all benchmarks;
// TestMain removes it.
var (
	benchDir  string
	benchOnce sync.Once
)

func benchRepo(b *testing.B) *Repo {
	b.Helper()
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "wend-bench-repo-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = dir
		gittest.Generate(b, dir, 20000)
	})
	return openRepo(b, benchDir)
}

func BenchmarkGrepGo20k(b *testing.B) {
	r := benchRepo(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := r.Grep(ctx, GrepOptions{Pattern: `NEEDLE`, NoRipgrep: true})
		if err != nil || res.Total != 20 {
			b.Fatalf("total %d, err %v", res.Total, err)
		}
	}
}

func BenchmarkGrepRipgrep20k(b *testing.B) {
	if _, err := exec.LookPath("rg"); err != nil {
		b.Skip("rg is not on PATH")
	}
	r := benchRepo(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := r.Grep(ctx, GrepOptions{Pattern: `NEEDLE`})
		if err != nil || res.Total != 20 {
			b.Fatalf("total %d, err %v", res.Total, err)
		}
	}
}

// BenchmarkGlob20kCached is the steady state: the listing is cached.
func BenchmarkGlob20kCached(b *testing.B) {
	r := benchRepo(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		got, err := r.Glob(ctx, "pkg01*/**/file*5.go")
		if err != nil || len(got) == 0 {
			b.Fatalf("%d files, err %v", len(got), err)
		}
	}
}

// BenchmarkGlob20kUncached includes running git ls-files every time.
func BenchmarkGlob20kUncached(b *testing.B) {
	r := benchRepo(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r.Invalidate()
		got, err := r.Glob(ctx, "**/file*5.go")
		if err != nil || len(got) != 2000 {
			b.Fatalf("%d files, err %v", len(got), err)
		}
	}
}
