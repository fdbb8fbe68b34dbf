package gitops

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// umask returns the process's file mode creation mask (Linux: from /proc).
func umask(t *testing.T) fs.FileMode {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "Umask:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			if err != nil {
				t.Fatal(err)
			}
			return fs.FileMode(n)
		}
	}
	t.Skip("no Umask line in /proc/self/status")
	return 0
}

func permOf(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// modeRepo has files with the permissions the agent must not widen.
func modeRepo(t *testing.T) *testRepo {
	r := newTestRepo(t)
	r.write("secret.txt", "s1\ns2\n")
	r.write("tool.sh", "#!/bin/sh\necho hi\n")
	r.write("private.sh", "#!/bin/sh\necho private\n")
	r.commitAll("init")
	for p, m := range map[string]fs.FileMode{"secret.txt": 0o600, "tool.sh": 0o755, "private.sh": 0o700} {
		if err := os.Chmod(filepath.Join(r.dir, p), m); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func TestAgentWriteKeepsPermissions(t *testing.T) {
	ctx := context.Background()
	r := modeRepo(t)
	s := r.start("perm")
	// session/tools passes the file's current permission; gitops must keep
	// the file's own, whatever perm says.
	for p, want := range map[string]fs.FileMode{"secret.txt": 0o600, "tool.sh": 0o755, "private.sh": 0o700} {
		if err := s.WriteFile(ctx, p, []byte("changed\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := permOf(t, filepath.Join(r.dir, p)); got != want {
			t.Errorf("%s: permission %v after the agent's edit, want %v", p, got, want)
		}
	}
	if err := s.WriteFile(ctx, "new.txt", []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := permOf(t, filepath.Join(r.dir, "new.txt")), 0o644&^umask(t); got != want {
		t.Errorf("new file: permission %v, want %v", got, want)
	}
	if err := s.WriteFile(ctx, "new.sh", []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, want := permOf(t, filepath.Join(r.dir, "new.sh")), 0o755&^umask(t); got != want {
		t.Errorf("new executable: permission %v, want %v", got, want)
	}
}

// agentWidens is the agent editing secret.txt and then widening it with a
// command (chmod 644 in run_command).
func agentWidens(t *testing.T, s *Session, r *testRepo) {
	t.Helper()
	ctx := context.Background()
	if err := s.WriteFile(ctx, "secret.txt", []byte("s1\nagent\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.BeforeCommand(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(r.dir, "secret.txt"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AfterCommand(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRejectRestoresPermission(t *testing.T) {
	r := modeRepo(t)
	s := r.start("permreject")
	agentWidens(t, s, r)
	if _, err := s.RejectFile(context.Background(), "secret.txt", ""); err != nil {
		t.Fatal(err)
	}
	if got := r.mustRead("secret.txt"); got != "s1\ns2\n" {
		t.Fatalf("content after reject: %q", got)
	}
	if got := permOf(t, filepath.Join(r.dir, "secret.txt")); got != 0o600 {
		t.Fatalf("permission after reject: %v, want 0600", got)
	}
}

func TestRejectHunkRestoresPermission(t *testing.T) {
	r := modeRepo(t)
	s := r.start("permrejecthunk")
	agentWidens(t, s, r)
	fc := mustProposals(t, s)
	if _, err := s.RejectHunk(context.Background(), fc[0].Hunks[0].ID, ""); err != nil {
		t.Fatal(err)
	}
	if got := permOf(t, filepath.Join(r.dir, "secret.txt")); got != 0o600 {
		t.Fatalf("permission after rejecting the hunk: %v, want 0600", got)
	}
}

func TestUndoAllRestoresPermission(t *testing.T) {
	r := modeRepo(t)
	s := r.start("permundoall")
	agentWidens(t, s, r)
	if _, err := s.UndoAll(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	if got := r.mustRead("secret.txt"); got != "s1\ns2\n" {
		t.Fatalf("content after undo-all: %q", got)
	}
	if got := permOf(t, filepath.Join(r.dir, "secret.txt")); got != 0o600 {
		t.Fatalf("permission after undo-all: %v, want 0600", got)
	}
}

func TestUndoOfRejectKeepsPermission(t *testing.T) {
	ctx := context.Background()
	r := modeRepo(t)
	s := r.start("permundo")
	agentWidens(t, s, r)
	if _, err := s.RejectFile(ctx, "secret.txt", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Undo(ctx, "secret.txt", ""); err != nil {
		t.Fatal(err)
	}
	if got := r.mustRead("secret.txt"); got != "s1\nagent\n" {
		t.Fatalf("content after undoing the reject: %q", got)
	}
	if got := permOf(t, filepath.Join(r.dir, "secret.txt")); got != 0o600 {
		t.Fatalf("permission after undoing the reject: %v, want 0600", got)
	}
}

func TestRecordedPermissionSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	r := modeRepo(t)
	s := r.start("permreopen")
	if err := s.WriteFile(ctx, "private.sh", []byte("#!/bin/sh\necho agent\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Chmod(filepath.Join(r.dir, "private.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, r.dir, "permreopen")
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.RejectFile(ctx, "private.sh", ""); err != nil {
		t.Fatal(err)
	}
	if got := permOf(t, filepath.Join(r.dir, "private.sh")); got != 0o700 {
		t.Fatalf("permission after reject in a reopened session: %v, want 0700", got)
	}
}

// oldPathState is pathState as journals written before permissions were
// recorded hold it.
type oldPathState struct {
	Path                string
	Orig, Base, Agent   Entry
	Indexed             bool
	UserIndex, OurIndex Entry
}

type oldRecord struct {
	Kind  string
	Base  string
	Paths []oldPathState
}

func TestJournalWithoutPermissionsLoads(t *testing.T) {
	var payload bytes.Buffer
	e := Entry{Mode: "100644", OID: strings.Repeat("a", 40)}
	if err := gob.NewEncoder(&payload).Encode(&oldRecord{Kind: "paths", Paths: []oldPathState{{Path: "p", Orig: e, Base: e, Agent: e}}}); err != nil {
		t.Fatal(err)
	}
	frame := make([]byte, 8)
	binary.BigEndian.PutUint32(frame, uint32(payload.Len()))
	binary.BigEndian.PutUint32(frame[4:], crc32.ChecksumIEEE(payload.Bytes()))
	recs, _, err := decodeRecords("old", append(frame, payload.Bytes()...))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || len(recs[0].Paths) != 1 || recs[0].Paths[0].Path != "p" || recs[0].Paths[0].Orig != e {
		t.Fatalf("old record decoded as %+v", recs)
	}
	if recs[0].Paths[0].OrigPerm != 0 {
		t.Fatalf("old record has a permission: %v", recs[0].Paths[0].OrigPerm)
	}
}

func TestWorktreeAcceptKeepsTheUsersPermission(t *testing.T) {
	ctx := context.Background()
	r := modeRepo(t)
	_, m := addWorktree(t, r, "permwt")
	if err := m.WriteFile(ctx, "secret.txt", []byte("s1\nagent\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := m.AcceptFile(ctx, "secret.txt", ""); err != nil {
		t.Fatal(err)
	}
	if got := r.mustRead("secret.txt"); got != "s1\nagent\n" {
		t.Fatalf("the user's file after accept: %q", got)
	}
	if got := permOf(t, filepath.Join(r.dir, "secret.txt")); got != 0o600 {
		t.Fatalf("the user's file has permission %v after accept, want 0600", got)
	}
	if _, err := m.UndoAll(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if got := permOf(t, filepath.Join(r.dir, "secret.txt")); got != 0o600 {
		t.Fatalf("the user's file has permission %v after undo-all, want 0600", got)
	}
}

func TestWriteFileFollowsSymlinkInsideTheRepo(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	r.write("real/keep.txt", "keep\n")
	if err := os.Symlink("real", filepath.Join(r.dir, "link")); err != nil {
		t.Fatal(err)
	}
	r.commitAll("init")
	s := r.start("inlink")
	// session/tools hands gitops resolved paths, but a link that stays inside
	// the working tree is no escape: the Root follows it, as the kernel would.
	if err := s.WriteFile(ctx, "link/new.txt", []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := r.mustRead("real/new.txt"); got != "new\n" {
		t.Fatalf("real/new.txt = %q", got)
	}
}
