package repo

import (
	"context"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"gitlab.com/wend/wend/internal/gittest"
)

// TestGeneratedMonorepo runs the listing and both search engines on a small copy
// of the benchmark repository: the listing is exactly what git lists, and the Go
// search returns exactly what ripgrep returns (the fallback must not change what
// the model sees when rg is missing).
func TestGeneratedMonorepo(t *testing.T) {
	dir := t.TempDir()
	st := gittest.GenerateLarge(t, dir, gittest.LargeSpec{Listed: 2000})
	r := openRepo(t, dir)
	ctx := context.Background()

	files, err := r.Files(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSuffix(runGit(t, dir, "ls-files", "-z", "-co", "--exclude-standard"), "\x00"), "\x00")
	if len(files) != st.Listed || !cmp.Equal(files, sortedCopy(want)) {
		t.Fatalf("listed %d files, git lists %d, the generator made %d", len(files), len(want), st.Listed)
	}
	for _, f := range files {
		if strings.HasPrefix(f, "build/") || strings.Contains(f, "node_modules/") || strings.HasSuffix(f, ".o") || strings.HasSuffix(f, ".generated.ts") {
			t.Fatalf("ignored file listed: %s", f)
		}
	}

	f, err := r.Facts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.Instructions = nil
	if tokens := len(f.Markdown()) / 4; tokens > OutlineTokenBudget || f.FileCount != st.Listed {
		t.Errorf("outline of %d files: %d tokens (budget %d)\n%s", f.FileCount, tokens, OutlineTokenBudget, f.Markdown())
	}

	if _, err := exec.LookPath("rg"); err != nil {
		t.Skip("rg is not on PATH: cannot compare the Go search with it")
	}
	for _, tc := range []struct {
		name  string
		opts  GrepOptions
		total int // -1: only compare the engines
	}{
		{"literal", GrepOptions{Pattern: gittest.LargeNeedle}, st.NeedleFiles},
		{"regex", GrepOptions{Pattern: gittest.LargeRegex}, st.RegexFiles},
		{"line anchor", GrepOptions{Pattern: `^func Handle`}, st.RegexFiles},
		{"end anchor", GrepOptions{Pattern: `Request\) \{\}$`}, st.RegexFiles},
		{"case folded", GrepOptions{Pattern: strings.ToLower(gittest.LargeNeedle), CaseInsensitive: true}, st.NeedleFiles},
		{"word classes", GrepOptions{Pattern: `\bhelper12_\d+\b`}, -1},
		{"scoped and globbed", GrepOptions{Pattern: `Handle\w+Request`, Path: "services/svc00", Glob: "*.go"}, -1},
		{"no literal", GrepOptions{Pattern: `[A-Z]{6}_[0-9a-f]{4}`}, st.NeedleFiles},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			o.MaxMatches = 1 << 20
			o.NoRipgrep = true
			goRes, err := r.Grep(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			o.NoRipgrep = false
			rgRes, err := r.Grep(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(matchStrings(rgRes.Matches), matchStrings(goRes.Matches)); diff != "" {
				t.Errorf("Go search differs from rg (-rg +go):\n%s", diff)
			}
			if goRes.Total != rgRes.Total {
				t.Errorf("totals: go %d, rg %d", goRes.Total, rgRes.Total)
			}
			if tc.total >= 0 && goRes.Total != tc.total {
				t.Errorf("total %d, the generator wrote %d", goRes.Total, tc.total)
			}
			if goRes.Total == 0 {
				t.Error("the pattern matched nothing: the comparison proves little")
			}
		})
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func TestSortedUnique(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{nil, nil},
		{[]string{"a", "b"}, []string{"a", "b"}},
		// Untracked first, then the index, a path in both.
		{[]string{"b", "d", "x", "a", "c", "d", "e"}, []string{"a", "b", "c", "d", "e", "x"}},
		{[]string{"c", "a", "b", "a"}, []string{"a", "b", "c"}},
	} {
		if got := sortedUnique(append([]string(nil), tc.in...)); !cmp.Equal(got, tc.want, cmpopts.EquateEmpty()) {
			t.Errorf("sortedUnique(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
