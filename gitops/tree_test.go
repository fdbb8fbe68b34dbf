package gitops

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIndexTreeMatchesGitWriteTree(t *testing.T) {
	r := newTestRepo(t)
	rp, err := discover(bg, ExecRunner{}, r.dir, "x")
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string) {
		t.Helper()
		got, err := rp.writeIndexTree(rp.index)
		if errors.Is(err, errIndexFormat) {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if want := strings.TrimSpace(r.git("write-tree")); got != want {
			t.Fatalf("%s: tree %s, git says %s\n%s", what, got, want, r.git("ls-tree", "-r", "-t", got))
		}
	}
	check("no index")
	for _, p := range []string{"a-b", "a/b", "a.c", "a0", "a/b-c/d", "a/b/c", "z/y/x/w", "sp ace/ü", "nl\nx"} {
		r.write(p+"/f.txt", p+"\n")
		r.write(p+".txt", p+"\n")
	}
	os.Symlink("a0", filepath.Join(r.dir, "link"))
	r.write("run.sh", "#!/bin/sh\n")
	os.Chmod(filepath.Join(r.dir, "run.sh"), 0o755)
	r.git("add", "-A")
	check("fresh index, no cache tree")
	r.commitAll("init")
	check("valid cache tree")
	r.write("z/y/x/w/f.txt", "changed\n")
	r.write("a/b/new.txt", "new\n")
	r.git("add", "-A")
	check("partly invalid cache tree")
	r.write("ita.txt", "later\n")
	r.write("only-ita/x.txt", "later\n")
	r.git("add", "-N", "ita.txt", "only-ita/x.txt")
	check("intent-to-add entries")
	blob := strings.TrimSpace(r.git("rev-parse", "HEAD"))
	r.git("update-index", "--add", "--cacheinfo", "160000,"+blob+",sub/module")
	check("gitlink")
	os.Remove(filepath.Join(r.dir, "a.c.txt"))
	r.git("add", "-A")
	check("removal")
}
