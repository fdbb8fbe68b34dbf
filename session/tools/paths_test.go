package tools

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// confinedFixture has, besides regular files, symlinks that lead outside the
// repository (to a file and to a directory), one into .git, one broken, and one
// harmless link inside.
func confinedFixture(t *testing.T) (*fixture, string) {
	f := newFixture(t, map[string]string{"in.txt": "inside\n", "sub/x.txt": "x\n"})
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"secret.txt": "secret\n", "d/s.txt": "s\n"})
	for link, target := range map[string]string{
		"out-file":  filepath.Join(outside, "secret.txt"),
		"out-dir":   filepath.Join(outside, "d"),
		"rel-out":   "../" + filepath.Base(outside) + "/secret.txt",
		"to-git":    ".git/config",
		"broken":    filepath.Join(outside, "missing", "new.txt"),
		"in-link":   "in.txt",
		"sub-alias": "sub",
	} {
		if err := os.Symlink(target, filepath.Join(f.dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	return f, outside
}

func TestConfinementRefusesEscapes(t *testing.T) {
	t.Parallel()
	f, outside := confinedFixture(t)
	abs := filepath.Join(f.dir, "in.txt")
	for _, tc := range []struct {
		path string
		want string
	}{
		{"../x", "path escapes the repository: ../x"},
		{"sub/../../x", "path escapes the repository: sub/../../x"},
		{"/etc/passwd", "path escapes the repository: /etc/passwd"},
		{abs, `absolute paths are not accepted; use "in.txt"`},
		{"out-file", "path escapes the repository: out-file (through a symlink)"},
		{"out-dir/s.txt", "path escapes the repository: out-dir/s.txt (through a symlink)"},
		{"rel-out", "escapes the repository"},
		{".git/config", "inside .git, which is off-limits"},
		{"sub/../.git/HEAD", "off-limits"},
		{"to-git", "leads into .git"},
		{"broken", "broken symlink"},
		{"", "path is empty"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			f.mustFail(ToolReadFile, obj{"path": tc.path}, tc.want)
			f.mustFail(ToolCreateFile, obj{"path": tc.path, "content": "pwned"}, tc.want)
			f.mustFail(ToolEditFile, obj{"path": tc.path, "old_string": "s", "new_string": "pwned"}, tc.want)
		})
	}
	// Writing into a symlinked directory outside must not create anything there.
	f.mustFail(ToolCreateFile, obj{"path": "out-dir/new.txt", "content": "pwned"}, "escapes the repository")
	f.mustFail(ToolListDir, obj{"path": "out-dir"}, "escapes the repository")
	for _, p := range []string{"d/new.txt", "missing/new.txt"} {
		if _, err := os.Stat(filepath.Join(outside, p)); err == nil {
			t.Errorf("%s was created outside the repository", p)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(outside, "secret.txt")); string(b) != "secret\n" {
		t.Errorf("outside file changed: %q", b)
	}
	if len(f.ws.writes) != 0 {
		t.Errorf("workspace saw writes: %v", f.ws.writes)
	}
}

func TestConfinementAllowsLinksInside(t *testing.T) {
	t.Parallel()
	f, _ := confinedFixture(t)
	res := f.mustOK(ToolReadFile, obj{"path": "in-link"})
	if !strings.Contains(res.Output, "inside") {
		t.Errorf("in-link: %q", res.Output)
	}
	// The canonical path is the link's target, so a read through the link allows
	// an edit through the real name and vice versa.
	f.mustOK(ToolEditFile, obj{"path": "in.txt", "old_string": "inside", "new_string": "still inside"})
	f.mustOK(ToolCreateFile, obj{"path": "sub-alias/y.txt", "content": "y\n"})
	if f.read("sub/y.txt") != "y\n" {
		t.Error("write through a symlinked directory inside the repository failed")
	}
	f.mustOK(ToolReadFile, obj{"path": "./sub/../in.txt"})
}
