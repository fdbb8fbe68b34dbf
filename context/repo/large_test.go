package repo

import (
	"context"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/internal/gittest"
)

// TestGeneratedMonorepo is BenchmarkLargeRepo's bounded version for CI: on 5,000
// files of the same generated monorepo, the listing is exactly what git lists,
// the Go search returns exactly what ripgrep returns (the fallback must not change
// what the model sees when rg is missing), the picker's index finds what a plain
// scan finds, the baseline snapshot holds exactly the tree `git add -A` would
// write, and the outline stays within its budget and names the shared symbols.
func TestGeneratedMonorepo(t *testing.T) {
	// The symbols' clock bound is for the user's first turn; this test checks
	// what they say, on machines of any load.
	defer func(d time.Duration) { symbolTimeout = d }(symbolTimeout)
	symbolTimeout = 5 * time.Minute
	dir := t.TempDir()
	st := gittest.GenerateLarge(t, dir, gittest.LargeSpec{Listed: 5000})
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

	t.Run("picker", func(t *testing.T) { checkPicker(t, r, files) })
	t.Run("snapshot", func(t *testing.T) { checkSnapshot(t, dir) })

	f, err := r.Facts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.Instructions = nil
	md := f.Markdown()
	if tokens := len(md) / 4; tokens > OutlineTokenBudget || f.FileCount != st.Listed {
		t.Errorf("outline of %d files: %d tokens (budget %d)\n%s", f.FileCount, tokens, OutlineTokenBudget, md)
	}
	for _, want := range []string{"- services/ (", "  - svc00/ (", "`make test` (Makefile)", "`npm run test` (package.json)",
		"`pytest` (pyproject.toml)", "GitLab CI jobs (.gitlab-ci.yml): build, unit-tests", "Go 2"} {
		if !strings.Contains(md, want) {
			t.Errorf("the outline lacks %q:\n%s", want, md)
		}
	}
	if universalCtags(ctx) != "" {
		var names []string
		for _, s := range f.Symbols {
			names = append(names, s.Name)
		}
		if len(names) < len(gittest.LargeSymbols) || !cmp.Equal(sortedCopy(names[:len(gittest.LargeSymbols)]), sortedCopy(gittest.LargeSymbols)) {
			t.Errorf("most referenced symbols %q, want %q first\n%s", names, gittest.LargeSymbols, md)
		}
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
		{"end anchor", GrepOptions{Pattern: ` \*Request\) \{\}$`}, st.RegexFiles},
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

// checkPicker: for queries typed key by key, the index (narrowing its previous
// answer) finds paths that hold the query in order, as many as a plain scan of
// every path finds, and the exact file name first.
func checkPicker(t *testing.T, r *Repo, files []string) {
	ix, err := r.FileIndex(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	target := files[len(files)/2]
	base := target[strings.LastIndexByte(target, '/')+1:]
	for _, query := range []string{"svc01m4file", base, "SHARED/types"} {
		for k := 1; k <= len(query); k++ {
			q := query[:k]
			got := ix.Match(q, len(files))
			lq := strings.ToLower(q)
			want := 0
			for _, p := range files {
				if subsequence([]byte(strings.ToLower(p)), []byte(lq)) {
					want++
				}
			}
			if len(got) != want {
				t.Fatalf("Match(%q) found %d paths, a scan finds %d", q, len(got), want)
			}
		}
	}
	if got := ix.Match(base, 1); len(got) != 1 || got[0] != target {
		t.Errorf("Match(%q) = %q, want %s first", base, got, target)
	}
}

// checkSnapshot: the session's baseline is the tree of the whole work tree,
// tracked files and untracked-not-ignored ones, as `git add -A` into a scratch
// index writes it; the real index is left alone.
func checkSnapshot(t *testing.T, dir string) {
	ctx := context.Background()
	before := runGit(t, dir, "status", "--porcelain")
	s, err := gitops.Start(ctx, dir, "snapcheck")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cmd := exec.Command("sh", "-c", `GIT_INDEX_FILE="$(git rev-parse --git-dir)/scratch-index" && export GIT_INDEX_FILE && git read-tree HEAD && git add -A && git write-tree && rm -f "$GIT_INDEX_FILE"`)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), gittest.Env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if want := strings.TrimSpace(string(out)); s.BaselineTree() != want {
		t.Errorf("baseline tree %s, git add -A writes %s", s.BaselineTree(), want)
	}
	if after := runGit(t, dir, "status", "--porcelain"); after != before {
		t.Errorf("the snapshot changed git status:\n%s\nto\n%s", before, after)
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
