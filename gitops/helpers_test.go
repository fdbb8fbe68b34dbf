package gitops

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testRepo is a throwaway repository driven by the real git binary.
type testRepo struct {
	t   testing.TB
	dir string
}

func newTestRepo(t testing.TB) *testRepo {
	t.Helper()
	r := &testRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	// One spawn fewer per setting: spawns dominate these tests' time.
	f, err := os.OpenFile(filepath.Join(r.dir, ".git", "config"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("[user]\n\tname = Test\n\temail = test@example.com\n[commit]\n\tgpgsign = false\n"); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	out, err := r.gitErr(args...)
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (r *testRepo) gitErr(args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "GIT_LITERAL_PATHSPECS=1")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (r *testRepo) write(path, content string) {
	r.t.Helper()
	full := filepath.Join(r.dir, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRepo) read(path string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(r.dir, path))
	if err != nil {
		return "", false
	}
	return string(b), true
}

func (r *testRepo) mustRead(path string) string {
	r.t.Helper()
	s, ok := r.read(path)
	if !ok {
		r.t.Fatalf("%q does not exist", path)
	}
	return s
}

// staged returns the index content of path ("" and false when not staged).
func (r *testRepo) staged(path string) (string, bool) {
	out, err := r.gitErr("cat-file", "blob", ":"+path)
	if err != nil {
		return "", false
	}
	return out, true
}

func (r *testRepo) commitAll(msg string) {
	r.t.Helper()
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", msg)
}

func (r *testRepo) start(id string) *Session {
	r.t.Helper()
	s, err := Start(context.Background(), r.dir, id)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { s.Close() })
	return s
}

func lines(n int, prefix string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString(prefix)
		b.WriteString(strings.Repeat("x", i%3))
		b.WriteString(" ")
		b.WriteString(itoa(i))
		b.WriteString("\n")
	}
	return b.String()
}

func itoa(i int) string {
	return strings.TrimSpace(strings.Repeat(" ", 0) + func() string { return fmtInt(i) }())
}

func fmtInt(i int) string {
	if i == 0 {
		return "0"
	}
	var d []byte
	for ; i > 0; i /= 10 {
		d = append([]byte{byte('0' + i%10)}, d...)
	}
	return string(d)
}

// replaceLine replaces 1-based line n of s.
func replaceLine(s string, n int, with string) string {
	ls := strings.SplitAfter(s, "\n")
	ls[n-1] = with + "\n"
	return strings.Join(ls, "")
}
