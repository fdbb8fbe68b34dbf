package tools

import (
	"context"
	"encoding/json"
	"gitlab.com/wend/wend/internal/gittest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// benchDir is one generated 20,000-file repository shared by the benchmarks;
// TestMain removes it.
var (
	benchDir  string
	benchOnce sync.Once
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

func benchRegistry(b *testing.B, noRG bool) *Registry {
	b.Helper()
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "wend-bench-tools-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = dir
		gittest.Generate(b, dir, 20000)
	})
	reg, err := New(Config{Root: benchDir, NoRipgrep: noRG})
	if err != nil {
		b.Fatal(err)
	}
	return reg
}

func benchCall(b *testing.B, reg *Registry, name string, args any, wantIn string) {
	raw, _ := json.Marshal(args)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res := reg.Execute(ctx, Call{Name: name, Args: raw})
		if res.IsError || !strings.Contains(res.Output, wantIn) {
			b.Fatalf("%s: %s", name, res.Output)
		}
	}
}

func BenchmarkGrepTool20kGo(b *testing.B) {
	benchCall(b, benchRegistry(b, true), ToolGrep, obj{"pattern": "NEEDLE", "glob": "*.go"}, "pkg190/sub2/file19000.go:7:// NEEDLE here")
}

func BenchmarkGrepTool20kRipgrep(b *testing.B) {
	if _, err := exec.LookPath("rg"); err != nil {
		b.Skip("rg is not on PATH")
	}
	benchCall(b, benchRegistry(b, false), ToolGrep, obj{"pattern": "NEEDLE", "glob": "*.go"}, "pkg190/sub2/file19000.go:7:// NEEDLE here")
}

func BenchmarkFindFilesTool20k(b *testing.B) {
	benchCall(b, benchRegistry(b, true), ToolFindFiles, obj{"pattern": "pkg1*/**/file*7.go"}, "pkg100/sub")
}
