package repo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestSymbolsRanksDefinedNamesByMentions: with Universal Ctags, the outline's
// symbols are names the repository defines, most mentioned first, with where
// they are defined, even when the defining file is not in the sample; a name
// defined in many files (main) and words nobody defines are left out, and a
// symlink out of the tree is not read.
func TestSymbolsRanksDefinedNamesByMentions(t *testing.T) {
	if universalCtags(context.Background()) == "" {
		t.Skip("Universal Ctags is not installed")
	}
	defer func(n int, d time.Duration) { symbolSample, symbolTimeout = n, d }(symbolSample, symbolTimeout)
	symbolSample, symbolTimeout = 60, 5*time.Minute
	files := map[string]string{
		"zz/shared/types.go": "package shared\n\ntype Logger struct{}\n\nfunc NewLogger() *Logger { return nil }\n\nfunc rarely() {}\n",
	}
	for i := range symbolSample + 20 {
		body := fmt.Sprintf("package p%d\n\nfunc main() {}\n\nvar l = shared.NewLogger() // *shared.Logger undefinedWord undefinedWord\n", i)
		if i%2 == 0 {
			body += "var x shared.Logger\n"
		}
		files[fmt.Sprintf("a/p%04d/main.go", i)] = body
	}
	dir := newGitRepo(t, files)
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret.go"), []byte("package s\nfunc SecretName() {}\nvar _ = SecretName\nvar _ = SecretName\nvar _ = SecretName\n"), 0o644)
	if err := os.Symlink(filepath.Join(outside, "secret.go"), filepath.Join(dir, "a", "link.go")); err != nil {
		t.Fatal(err)
	}
	r := openRepo(t, dir)
	all, err := r.Files(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	syms, sampled, sources := r.Symbols(context.Background(), all)
	if sampled != symbolSample-1 || sources != len(all) { // the symlink counts as a source, is not read
		t.Errorf("sampled %d of %d source files, want %d of %d", sampled, sources, symbolSample, len(all))
	}
	want := []Symbol{
		{Name: "Logger", Kind: "struct", Path: "zz/shared/types.go"},
		{Name: "NewLogger", Kind: "func", Path: "zz/shared/types.go"},
	}
	got := slices.Clone(syms)
	for i := range got {
		got[i].Refs = 0
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("symbols (-want +got):\n%s", diff)
	}
	if syms[0].Refs < symbolSample*3/2-3 || syms[1].Refs < symbolSample-3 {
		t.Errorf("mentions: %+v", syms)
	}
	f := &Facts{Root: dir, Branch: "main", Symbols: syms, SymbolSample: sampled, SourceFiles: sources}
	if md := f.Markdown(); !strings.Contains(md, "- Logger (struct, zz/shared/types.go): ") || strings.Contains(md, "SecretName") {
		t.Errorf("outline:\n%s", md)
	}
}
