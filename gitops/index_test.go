package gitops

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInProcessIndexIsValidForGit(t *testing.T) {
	r := newTestRepo(t)
	r.write("a.txt", "a\n")
	r.write("dir/b.txt", "b\n")
	r.write("dir/sub/c.txt", "c\n")
	r.write("gone.txt", "g\n")
	r.commitAll("init")
	r.git("update-index", "--skip-worktree", "dir/b.txt") // an extended (v3) entry
	r.git("write-tree")                                   // a fully valid cache tree
	rp, err := discover(bg, ExecRunner{}, r.dir, "x")
	if err != nil {
		t.Fatal(err)
	}
	blob, _ := rp.writeBlobs([]byte("new\n"))
	set := map[string]Entry{
		"a.txt":           {Mode: "100755", OID: blob[0]},
		"dir/sub/c.txt":   {Mode: "100644", OID: blob[0]},
		"dir/new file.go": {Mode: "100644", OID: blob[0]},
		"gone.txt":        {},
		"zz.txt":          {Mode: "100644", OID: blob[0]},
	}
	if _, err := rp.updateIndexInProcess(rp.index, nil, set, nil); err != nil {
		t.Fatal(err)
	}

	got := r.git("ls-files", "-s")
	want := "100755 " + blob[0] + " 0\ta.txt\n" +
		"100644 " + strings.TrimSpace(r.git("rev-parse", "HEAD:dir/b.txt")) + " 0\tdir/b.txt\n" +
		"100644 " + blob[0] + " 0\tdir/new file.go\n" +
		"100644 " + blob[0] + " 0\tdir/sub/c.txt\n" +
		"100644 " + blob[0] + " 0\tzz.txt\n"
	if got != want {
		t.Fatalf("ls-files:\n%s\nwant:\n%s", got, want)
	}
	// The cache tree was invalidated above the changed paths: write-tree
	// must produce exactly the index.
	tree := strings.TrimSpace(r.git("write-tree"))
	var fromTree []string
	for _, l := range strings.Split(strings.TrimSpace(r.git("ls-tree", "-r", tree)), "\n") {
		meta, path, _ := strings.Cut(l, "\t")
		f := strings.Fields(meta)
		fromTree = append(fromTree, f[0]+" "+f[2]+" 0\t"+path)
	}
	if strings.Join(fromTree, "\n")+"\n" != want {
		t.Fatalf("write-tree after the update:\n%s", strings.Join(fromTree, "\n"))
	}
	if v := r.git("ls-files", "-v", "dir/b.txt"); v[0] != 'S' { // skip-worktree kept
		t.Fatalf("flags lost: %q", v)
	}
	// A file where the index has a directory is left to git.
	if _, err := rp.updateIndexInProcess(rp.index, nil, map[string]Entry{"dir": {Mode: "100644", OID: blob[0]}}, nil); !errors.Is(err, errIndexFormat) {
		t.Fatalf("D/F conflict: %v", err)
	}
}

func TestInProcessIndexSmudgesRacyEntries(t *testing.T) {
	r := newTestRepo(t)
	r.write("a.txt", "a\n")
	r.write("b.txt", "b\n")
	r.commitAll("init")
	rp, _ := discover(bg, ExecRunner{}, r.dir, "x")
	ix, err := rp.readIndexFile(rp.index)
	if err != nil {
		t.Fatal(err)
	}
	ix.mtime = 0 // every entry is now as new as the index: racily clean
	out, err := ix.render(map[string]Entry{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		off := ix.entries[i].off
		if size := binary.BigEndian.Uint32(out[off+36:]); size != 0 {
			t.Fatalf("entry %d keeps size %d", i, size)
		}
	}
	os.WriteFile(rp.index, out, 0o644)
	if st := r.git("status", "--porcelain"); st != "" {
		t.Fatalf("git sees changes after smudging: %q", st)
	}
}

func TestIndexLockedAndUnsupportedFormats(t *testing.T) {
	r := newTestRepo(t)
	orig := lines(20, "v")
	r.write("a.txt", orig)
	r.commitAll("init")
	r.git("update-index", "--index-version", "4") // handled by git, not in-process
	s := r.start("v4")
	s.WriteFile(bg, "a.txt", []byte(replaceLine(orig, 2, "agent")), 0o644)
	ps, _ := s.Proposals(bg)
	if _, err := s.AcceptHunk(bg, ps[0].Hunks[0].ID, ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.staged("a.txt"); got != replaceLine(orig, 2, "agent") {
		t.Fatalf("v4 index: %q", got)
	}
	r.git("update-index", "--index-version", "2")
	s.WriteFile(bg, "a.txt", []byte(replaceLine(replaceLine(orig, 2, "agent"), 15, "again")), 0o644)
	ps, _ = s.Proposals(bg)
	lock := filepath.Join(r.dir, ".git", "index.lock")
	os.WriteFile(lock, nil, 0o644)
	before := r.git("ls-files", "-s")
	if _, err := s.AcceptHunk(bg, ps[0].Hunks[0].ID, ""); !errors.Is(err, ErrIndexLocked) {
		t.Fatalf("with index.lock: %v", err)
	}
	os.Remove(lock)
	if r.git("ls-files", "-s") != before {
		t.Fatal("a locked index changed")
	}
	if _, err := s.AcceptHunk(bg, ps[0].Hunks[0].ID, ""); err != nil {
		t.Fatal(err)
	}
}
