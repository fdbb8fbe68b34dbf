package tools

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestEditFileReplacesExactlyOnceAfterARead(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"main.go": "package main\n\nfunc main() {\n\tprintln(\"hi\")\n}\n"})
	f.mustFail(ToolEditFile, obj{"path": "main.go", "old_string": "hi", "new_string": "hello"},
		"you have not read main.go yet", "read_file")

	f.mustOK(ToolReadFile, obj{"path": "main.go"})
	res := f.mustOK(ToolEditFile, obj{"path": "main.go", "old_string": "println(\"hi\")", "new_string": "println(\"hello\")\n\tprintln(\"bye\")"})
	if got := f.read("main.go"); got != "package main\n\nfunc main() {\n\tprintln(\"hello\")\n\tprintln(\"bye\")\n}\n" {
		t.Errorf("file after edit:\n%s", got)
	}
	if !reflect.DeepEqual(res.Changed, []string{"main.go"}) || !reflect.DeepEqual(f.ws.writes, []string{"main.go"}) {
		t.Errorf("Changed %v, workspace writes %v", res.Changed, f.ws.writes)
	}
	if res.Summary != "edit main.go: -1 +2 lines" || !strings.Contains(res.Output, "at line 4") {
		t.Errorf("summary %q output %q", res.Summary, res.Output)
	}
	// The agent's own write counts as seen: a second edit needs no new read.
	f.mustOK(ToolEditFile, obj{"path": "main.go", "old_string": "bye", "new_string": "ciao"})
}

func TestEditFileRefusesAFileChangedOnDisk(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"main.go": "a\nb\n"})
	f.mustOK(ToolReadFile, obj{"path": "main.go"})
	writeFiles(t, f.dir, map[string]string{"main.go": "a\nb\nuser's line\n"})

	f.mustFail(ToolEditFile, obj{"path": "main.go", "old_string": "b", "new_string": "B"},
		"main.go changed on disk since you read it", "read it again")
	if got := f.read("main.go"); got != "a\nb\nuser's line\n" {
		t.Fatalf("user's change was overwritten: %q", got)
	}
	f.mustFail(ToolCreateFile, obj{"path": "main.go", "content": "x"}, "changed on disk since you read it")

	f.mustOK(ToolReadFile, obj{"path": "main.go"})
	f.mustOK(ToolEditFile, obj{"path": "main.go", "old_string": "b\n", "new_string": "B\n"})
	if got := f.read("main.go"); got != "a\nB\nuser's line\n" {
		t.Errorf("after re-read and edit: %q", got)
	}
}

func TestEditFileMatchCounts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"x.go": "x := 1\ny := 2\nx := 1\n\tindented()\n"})
	f.mustOK(ToolReadFile, obj{"path": "x.go"})

	f.mustFail(ToolEditFile, obj{"path": "x.go", "old_string": "z := 3", "new_string": "z := 4"},
		"was not found in x.go", "exactly")
	res := f.mustFail(ToolEditFile, obj{"path": "x.go", "old_string": "indented()\n  ", "new_string": "y()"})
	if !strings.Contains(res.Output, "different whitespace") {
		t.Errorf("near miss gives no whitespace hint: %s", res.Output)
	}
	f.mustFail(ToolEditFile, obj{"path": "x.go", "old_string": "x := 1", "new_string": "x := 9"},
		"found 2 times", "lines 1, 3", "more surrounding lines", "replace_all")
	f.mustFail(ToolEditFile, obj{"path": "x.go", "old_string": "", "new_string": "a"}, "old_string is empty")
	f.mustFail(ToolEditFile, obj{"path": "x.go", "old_string": "y := 2", "new_string": "y := 2"}, "identical")
	if got := f.read("x.go"); got != "x := 1\ny := 2\nx := 1\n\tindented()\n" {
		t.Fatalf("a failed edit changed the file: %q", got)
	}

	res = f.mustOK(ToolEditFile, obj{"path": "x.go", "old_string": "x := 1", "new_string": "x := 9", "replace_all": true})
	if got := f.read("x.go"); got != "x := 9\ny := 2\nx := 9\n\tindented()\n" {
		t.Errorf("replace_all: %q", got)
	}
	if !strings.Contains(res.Output, "2 occurrences") {
		t.Errorf("replace_all output: %s", res.Output)
	}
}

func TestEditFileKeepsMode(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"run.sh": "echo a\n"})
	p := filepath.Join(f.dir, "run.sh")
	if err := os.Chmod(p, 0o755); err != nil {
		t.Fatal(err)
	}
	f.mustOK(ToolReadFile, obj{"path": "run.sh"})
	f.mustOK(ToolEditFile, obj{"path": "run.sh", "old_string": "a", "new_string": "b"})
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o755 {
		t.Errorf("mode became %v", fi.Mode().Perm())
	}
}

func TestCreateFile(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"old.txt": "old\n"})
	res := f.mustOK(ToolCreateFile, obj{"path": "new/deep/file.go", "content": "package deep\n\nvar X = 1\n"})
	if got := f.read("new/deep/file.go"); got != "package deep\n\nvar X = 1\n" {
		t.Errorf("content %q", got)
	}
	if res.Summary != "created new/deep/file.go: 3 lines" || !reflect.DeepEqual(res.Changed, []string{"new/deep/file.go"}) {
		t.Errorf("summary %q changed %v", res.Summary, res.Changed)
	}
	// The new file shows up in listings at once (the cache was invalidated).
	if out := f.mustOK(ToolFindFiles, obj{"pattern": "new/**"}).Output; out != "new/deep/file.go\n" {
		t.Errorf("find_files after create: %q", out)
	}

	f.mustFail(ToolCreateFile, obj{"path": "old.txt", "content": "x"}, "old.txt exists", "you have not read old.txt")
	f.mustOK(ToolReadFile, obj{"path": "old.txt"})
	res = f.mustOK(ToolCreateFile, obj{"path": "old.txt", "content": "replaced"})
	if f.read("old.txt") != "replaced" || !strings.HasPrefix(res.Output, "Overwrote old.txt") {
		t.Errorf("overwrite: %q, %q", f.read("old.txt"), res.Output)
	}
	f.mustFail(ToolCreateFile, obj{"path": "new", "content": "x"}, "is a directory")
}

func TestMarkReadAllowsEditingWithoutRead(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"a.txt": "one\n"})
	if err := f.reg.MarkRead("a.txt", []byte("one\n")); err != nil {
		t.Fatal(err)
	}
	f.mustOK(ToolEditFile, obj{"path": "a.txt", "old_string": "one", "new_string": "two"})
	if err := f.reg.MarkRead("../x", nil); err == nil {
		t.Error("MarkRead accepted an escaping path")
	}
}

func TestEditFileMatchesCRLFFilesWithBareNewlines(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"win.txt": "one\r\ntwo\r\nthree\r\n"})
	res := f.mustOK(ToolReadFile, obj{"path": "win.txt"})
	if strings.Contains(res.Output, "\r") {
		t.Errorf("read_file shows carriage returns: %q", res.Output)
	}
	f.mustOK(ToolEditFile, obj{"path": "win.txt", "old_string": "one\ntwo", "new_string": "one\n1.5\ntwo"})
	if got := f.read("win.txt"); got != "one\r\n1.5\r\ntwo\r\nthree\r\n" {
		t.Errorf("line endings not kept: %q", got)
	}
}
