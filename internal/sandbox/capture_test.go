//go:build linux

package sandbox

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

// TestCaptureRecordsOnlyTheCommandsWrites: the command's writes land in the
// capture, not in the live tree; the live tree is what the command reads;
// .git stays the real one.
func TestCaptureRecordsOnlyTheCommandsWrites(t *testing.T) {
	exe, _ := os.Executable()
	sb := &Sandbox{InitPath: exe}
	if err := sb.Available(); err != nil {
		t.Skip(err)
	}
	root := t.TempDir()
	for p, c := range map[string]string{
		"keep.txt": "keep\n", "edit.txt": "edit\n", "del.txt": "del\n", "mode.sh": "echo\n",
		"old/x.txt": "x\n", "repl/a.txt": "a\n", "repl/b.txt": "b\n", ".git/HEAD": "ref: refs/heads/main\n",
	} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := `set -e
cat keep.txt > /dev/null
echo more >> edit.txt
rm del.txt
chmod +x mode.sh
echo new > new.txt
ln -s keep.txt link
mv old renamed
rm -rf repl && mkdir repl && echo b2 > repl/b.txt
echo gitwrite > .git/written
`
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	capt := &Capture{}
	defer capt.Close()
	cleanup, err := sb.Start(cmd, Options{Root: root, Capture: capt})
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	cleanup()
	if !capt.Active() {
		t.Fatal("the capture is not active on this kernel")
	}
	// The live tree is untouched, except .git, which is the real one.
	for p, want := range map[string]string{"edit.txt": "edit\n", "del.txt": "del\n", "old/x.txt": "x\n", "repl/a.txt": "a\n", ".git/written": "gitwrite\n"} {
		if b, err := os.ReadFile(filepath.Join(root, p)); err != nil || string(b) != want {
			t.Errorf("live %s = %q, %v; want %q", p, b, err, want)
		}
	}
	for _, p := range []string{"new.txt", "link", "renamed"} {
		if _, err := os.Lstat(filepath.Join(root, p)); err == nil {
			t.Errorf("live %s exists: the command's write reached the tree", p)
		}
	}
	chs, err := capt.Changes()
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Path                string
		Delete, Dir, Opaque bool
		Mode                fs.FileMode
	}
	var got []row
	for _, c := range chs {
		got = append(got, row{c.Path, c.Delete, c.Dir, c.Opaque, c.Mode})
	}
	want := []row{
		{Path: "del.txt", Delete: true},
		{Path: "edit.txt", Mode: 0o644},
		{Path: "link", Mode: fs.ModeSymlink | 0o777},
		{Path: "mode.sh", Mode: 0o755},
		{Path: "new.txt", Mode: 0o644},
		{Path: "old", Delete: true},
		{Path: "renamed", Dir: true},
		{Path: "renamed/x.txt", Mode: 0o644},
		{Path: "repl", Dir: true, Opaque: true},
		{Path: "repl/b.txt", Mode: 0o644},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("captured changes:\n got %+v\nwant %+v", got, want)
	}
}

// BenchmarkCommandCaptured is BenchmarkCommand's sandboxed case with the
// repository mounted as a capturing overlay (plus reading the empty capture).
func BenchmarkCommandCaptured(b *testing.B) {
	exe, _ := os.Executable()
	root := b.TempDir()
	if err := os.Mkdir(filepath.Join(root, ".git"), 0o755); err != nil {
		b.Fatal(err)
	}
	sb := &Sandbox{InitPath: exe}
	for b.Loop() {
		cmd := exec.Command("/bin/sh", "-c", "true")
		cmd.Dir = root
		capt := &Capture{}
		cleanup, err := sb.Start(cmd, Options{Root: root, Capture: capt})
		if err != nil {
			b.Skip(err)
		}
		if err := cmd.Wait(); err != nil {
			b.Fatal(err)
		}
		cleanup()
		if !capt.Active() {
			b.Skip("no capture here")
		}
		if _, err := capt.Changes(); err != nil {
			b.Fatal(err)
		}
		capt.Close()
	}
}
