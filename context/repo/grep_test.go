package repo

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// engines runs f for the Go fallback and, when installed, ripgrep.
func engines(t *testing.T, f func(t *testing.T, noRG bool)) {
	t.Run("go", func(t *testing.T) { f(t, true) })
	t.Run("rg", func(t *testing.T) {
		if _, err := exec.LookPath("rg"); err != nil {
			t.Skip("rg is not on PATH; the Go fallback is tested above")
		}
		f(t, false)
	})
}

func grepRepo(t *testing.T) *Repo {
	dir := newGitRepo(t, map[string]string{
		".gitignore":   "ignored/\n",
		"main.go":      "package main\n\nfunc main() {\n\tTODO()\n}\n",
		"pkg/util.go":  "package pkg\n// todo: more\nfunc TODO() {}\n",
		"pkg/util.txt": "TODO in text\n",
		"docs/a:b.md":  "colon TODO path\n",
		".hidden/h.go": "package h // TODO hidden\n",
		"crlf.txt":     "one\r\nTODO two\r\n",
	})
	writeFiles(t, dir, map[string]string{
		"ignored/x.go": "TODO ignored\n",
		"untracked.go": "TODO untracked\n",
	})
	if err := os.WriteFile(filepath.Join(dir, "bin.dat"), []byte("TODO\x00binary"), 0o644); err != nil {
		t.Fatal(err)
	}
	runGit(t, dir, "add", "bin.dat")
	return openRepo(t, dir)
}

func matchStrings(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.String())
	}
	return out
}

func TestGrep(t *testing.T) {
	engines(t, func(t *testing.T, noRG bool) {
		r := grepRepo(t)
		ctx := context.Background()
		for _, tc := range []struct {
			name string
			opts GrepOptions
			want []string
		}{
			{"all known text files", GrepOptions{Pattern: `TODO`}, []string{
				".hidden/h.go:1:package h // TODO hidden",
				"crlf.txt:2:TODO two",
				"docs/a:b.md:1:colon TODO path",
				"main.go:4:\tTODO()",
				"pkg/util.go:3:func TODO() {}",
				"pkg/util.txt:1:TODO in text",
				"untracked.go:1:TODO untracked",
			}},
			{"case insensitive in a directory", GrepOptions{Pattern: `todo`, CaseInsensitive: true, Path: "pkg"}, []string{
				"pkg/util.go:2:// todo: more",
				"pkg/util.go:3:func TODO() {}",
				"pkg/util.txt:1:TODO in text",
			}},
			{"glob by file name", GrepOptions{Pattern: `TODO`, Glob: "*.go", Path: "pkg/"}, []string{
				"pkg/util.go:3:func TODO() {}",
			}},
			{"single file", GrepOptions{Pattern: `func \w+\(\)`, Path: "main.go"}, []string{
				"main.go:3:func main() {",
			}},
			{"no match", GrepOptions{Pattern: `nothing-here`}, nil},
		} {
			tc.opts.NoRipgrep = noRG
			res, err := r.Grep(ctx, tc.opts)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if diff := cmp.Diff(tc.want, matchStrings(res.Matches)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.name, diff)
			}
			if res.Total != len(tc.want) {
				t.Errorf("%s: Total = %d, want %d", tc.name, res.Total, len(tc.want))
			}
			wantEngine := map[bool]string{true: "go", false: "rg"}[noRG]
			if res.Engine != wantEngine {
				t.Errorf("engine = %s, want %s", res.Engine, wantEngine)
			}
		}
	})
}

func TestGrepCapsMatchesAndCountsTheRest(t *testing.T) {
	engines(t, func(t *testing.T, noRG bool) {
		var b strings.Builder
		for i := 0; i < 50; i++ {
			fmt.Fprintf(&b, "hit %d\n", i)
		}
		long := "hit " + strings.Repeat("é", 400) + "\n"
		r := openRepo(t, newGitRepo(t, map[string]string{"a.txt": b.String(), "b.txt": long}))
		res, err := r.Grep(context.Background(), GrepOptions{Pattern: "hit", MaxMatches: 5, MaxLineLen: 20, NoRipgrep: noRG})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Matches) != 5 || res.Total != 51 {
			t.Fatalf("got %d matches, total %d; want 5 and 51", len(res.Matches), res.Total)
		}
		res, _ = r.Grep(context.Background(), GrepOptions{Pattern: "hit", Path: "b.txt", MaxLineLen: 20, NoRipgrep: noRG})
		if len(res.Matches) != 1 || !strings.Contains(res.Matches[0].Text, "more bytes]") || len(res.Matches[0].Text) > 60 {
			t.Errorf("long line not cut: %q", res.Matches)
		}
	})
}

func TestGrepInvalidPattern(t *testing.T) {
	r := openRepo(t, newGitRepo(t, map[string]string{"a.txt": "x\n"}))
	_, err := r.Grep(context.Background(), GrepOptions{Pattern: "a(b", NoRipgrep: true})
	if err == nil || !strings.Contains(err.Error(), "invalid regular expression") {
		t.Fatalf("err = %v", err)
	}
}

// TestGrepSkipsAFIFO: a tracked file replaced by a named pipe is skipped by
// both engines; opening it must not wait for a writer that never comes.
func TestGrepSkipsAFIFO(t *testing.T) {
	dir := newGitRepo(t, map[string]string{"pipe.txt": "needle\n", "plain.txt": "needle\n"})
	p := filepath.Join(dir, "pipe.txt")
	os.Remove(p)
	if err := syscallMkfifo(p); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	r := openRepo(t, dir)
	engines(t, func(t *testing.T, noRG bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		res, err := r.Grep(ctx, GrepOptions{Pattern: "needle", NoRipgrep: noRG})
		if err != nil || res.Total != 1 || res.Matches[0].Path != "plain.txt" {
			t.Fatalf("%+v, %v", res, err)
		}
	})
}
