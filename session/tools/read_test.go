package tools

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFileNumbersLinesAndPages(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	f := newFixture(t, map[string]string{"a.txt": "alpha\n\tbeta\r\ngamma", "big.txt": b.String(), "empty.txt": ""})

	res := f.mustOK(ToolReadFile, obj{"path": "a.txt"})
	if want := "     1\talpha\n     2\t\tbeta\n     3\tgamma\n"; res.Output != want {
		t.Errorf("output = %q, want %q", res.Output, want)
	}
	if res.Summary != "read a.txt: lines 1-3 of 3" {
		t.Errorf("summary = %q", res.Summary)
	}

	res = f.mustOK(ToolReadFile, obj{"path": "big.txt", "offset": 10, "limit": 5})
	if !strings.HasPrefix(res.Output, "    10\tline 10\n") || !strings.Contains(res.Output, "    14\tline 14\n") ||
		strings.Contains(res.Output, "line 15\n") {
		t.Errorf("paged output wrong:\n%s", res.Output)
	}
	if !strings.Contains(res.Output, "Showing lines 10-14 of 30. Call read_file with offset 15") {
		t.Errorf("no paging hint:\n%s", res.Output)
	}

	res = f.mustOK(ToolReadFile, obj{"path": "empty.txt"})
	if !strings.Contains(res.Output, "empty") {
		t.Errorf("empty file: %q", res.Output)
	}
	f.mustFail(ToolReadFile, obj{"path": "big.txt", "offset": 31}, "past the end", "30 lines")
	f.mustFail(ToolReadFile, obj{"path": "nope.txt"}, "does not exist")
	f.mustFail(ToolReadFile, obj{"path": "."}, "is a directory; use list_dir")
}

func TestReadFileCapsOutputAndLongLines(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := 1; i <= 500; i++ {
		fmt.Fprintf(&b, "%s %d\n", strings.Repeat("x", 50), i)
	}
	long := strings.Repeat("é", 3000) + "\n"
	f := newFixture(t, map[string]string{"many.txt": b.String(), "long.txt": long}, func(c *Config) { c.MaxOutputBytes = 3000 })

	res := f.mustOK(ToolReadFile, obj{"path": "many.txt"})
	if len(res.Output) > 3000 {
		t.Errorf("output is %d bytes, cap 3000", len(res.Output))
	}
	if !strings.Contains(res.Output, "of 500. Call read_file with offset ") {
		t.Errorf("capped read does not say how to continue:\n%s", res.Output[len(res.Output)-200:])
	}
	res = f.mustOK(ToolReadFile, obj{"path": "long.txt"})
	if !strings.Contains(res.Output, "[line cut: 4000 more bytes]") {
		t.Errorf("long line not cut: %d bytes, tail %q", len(res.Output), res.Output[len(res.Output)-60:])
	}
}

func TestReadFileRefusesBinary(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	if err := os.WriteFile(filepath.Join(f.dir, "img.bin"), []byte("PNG\x00\x01\x02data"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.mustFail(ToolReadFile, obj{"path": "img.bin"}, "binary file", "read_file only reads text")
}

func TestFindFilesWithDoubleStar(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{
		"main.go": "", "cmd/app/main.go": "", "cmd/app/main_test.go": "", "docs/x.md": "", ".gitignore": "gen/\n",
	})
	writeFiles(t, f.dir, map[string]string{"gen/z.go": "", "new/untracked.go": ""})

	res := f.mustOK(ToolFindFiles, obj{"pattern": "cmd/**/*.go"})
	if res.Output != "cmd/app/main.go\ncmd/app/main_test.go\n" {
		t.Errorf("cmd/**/*.go:\n%s", res.Output)
	}
	res = f.mustOK(ToolFindFiles, obj{"pattern": "**/*.go"})
	if res.Output != "cmd/app/main.go\ncmd/app/main_test.go\nmain.go\nnew/untracked.go\n" {
		t.Errorf("**/*.go (ignored gen/ must be absent, untracked present):\n%s", res.Output)
	}
	if res.Summary != "find_files **/*.go: 4 files" {
		t.Errorf("summary = %q", res.Summary)
	}
	res = f.mustOK(ToolFindFiles, obj{"pattern": "*.rs"})
	if !strings.HasPrefix(res.Output, "No files match") {
		t.Errorf("no-match output: %q", res.Output)
	}
	f.mustFail(ToolFindFiles, obj{"pattern": "[oops"}, "invalid glob")
}

func TestFindFilesCapsOutput(t *testing.T) {
	t.Parallel()
	files := map[string]string{}
	for i := 0; i < 300; i++ {
		files[fmt.Sprintf("d/file%03d.txt", i)] = ""
	}
	f := newFixture(t, files, func(c *Config) { c.MaxOutputBytes = 1000 })
	res := f.mustOK(ToolFindFiles, obj{"pattern": "**"})
	if len(res.Output) > 1000 || !strings.Contains(res.Output, "more not shown") {
		t.Errorf("%d bytes, tail %q", len(res.Output), res.Output[len(res.Output)-80:])
	}
	shown := strings.Count(res.Output, ".txt\n")
	if !strings.Contains(res.Output, fmt.Sprintf("[… %d files more not shown", 300-shown)) {
		t.Errorf("wrong count of the rest (%d shown): %q", shown, res.Output[len(res.Output)-80:])
	}
}

func TestGrepTool(t *testing.T) {
	t.Parallel()
	for _, noRG := range []bool{true, false} {
		name := map[bool]string{true: "go", false: "rg"}[noRG]
		t.Run(name, func(t *testing.T) {
			if _, err := exec.LookPath("rg"); err != nil && !noRG {
				t.Skip("rg is not on PATH; the Go fallback is tested in the other subtest")
			}
			f := newFixture(t, map[string]string{
				"a.go": "package a\n// TODO: x\n", "sub/b.go": "package sub\n// todo y\n", "sub/c.txt": "TODO z\n",
			}, func(c *Config) { c.NoRipgrep = noRG })
			res := f.mustOK(ToolGrep, obj{"pattern": "TODO"})
			if res.Output != "a.go:2:// TODO: x\nsub/c.txt:1:TODO z\n" {
				t.Errorf("grep TODO:\n%s", res.Output)
			}
			res = f.mustOK(ToolGrep, obj{"pattern": "todo", "case_insensitive": true, "path": "sub", "glob": "*.go"})
			if res.Output != "sub/b.go:2:// todo y\n" {
				t.Errorf("scoped grep:\n%s", res.Output)
			}
			res = f.mustOK(ToolGrep, obj{"pattern": "absent"})
			if !strings.HasPrefix(res.Output, "No matches") {
				t.Errorf("no-match output %q", res.Output)
			}
			f.mustFail(ToolGrep, obj{"pattern": "(unclosed"}, "invalid regular expression")
			f.mustFail(ToolGrep, obj{"pattern": "x", "path": "../"}, "escapes the repository")
		})
	}
}

func TestGrepToolCapsWithCountOfTheRest(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&b, "match %d\n", i)
	}
	f := newFixture(t, map[string]string{"m.txt": b.String()}, func(c *Config) { c.MaxOutputBytes = 600; c.NoRipgrep = true })
	res := f.mustOK(ToolGrep, obj{"pattern": "match"})
	shown := strings.Count(res.Output, "m.txt:")
	if shown == 0 || shown == 100 || !strings.Contains(res.Output, fmt.Sprintf("[… %d matches more not shown", 100-shown)) {
		t.Errorf("%d shown:\n%s", shown, res.Output)
	}
	if res.Summary != "grep match: 100 matches" {
		t.Errorf("summary %q", res.Summary)
	}
}

func TestListDirHidesIgnoredAndGit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{
		".gitignore": "*.log\nbuild/\n", "main.go": "package main\n", "pkg/a.go": "", "pkg/b.go": "",
	})
	writeFiles(t, f.dir, map[string]string{"debug.log": "x", "build/out": "x", "fresh.txt": "hello"})
	if err := os.Mkdir(filepath.Join(f.dir, "emptydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("main.go", filepath.Join(f.dir, "link.go")); err != nil {
		t.Fatal(err)
	}
	res := f.mustOK(ToolListDir, obj{"path": "."})
	// Directories first, then everything else by name; debug.log, build/ and .git hidden.
	want := ". (repository root): 2 directories, 4 files; 2 entries ignored by git not shown\n" +
		"dir      emptydir/ (0 files)\n" +
		"dir      pkg/ (2 files)\n" +
		"file     .gitignore (13 bytes)\n" +
		"file     fresh.txt (5 bytes)\n" +
		"symlink  link.go -> main.go\n" +
		"file     main.go (13 bytes)\n"
	if res.Output != want {
		t.Errorf("list_dir .:\n%s\nwant:\n%s", res.Output, want)
	}
	res = f.mustOK(ToolListDir, obj{"path": "pkg"})
	if !strings.Contains(res.Output, "file     a.go (0 bytes)\nfile     b.go (0 bytes)\n") {
		t.Errorf("list_dir pkg:\n%s", res.Output)
	}
	f.mustFail(ToolListDir, obj{"path": "main.go"}, "not a directory")
	f.mustFail(ToolListDir, obj{"path": ".git"}, "off-limits")
}
