// Package gittest makes real git repositories for tests: commits are reproducible
// and independent of the user's git configuration.
package gittest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Env makes commits reproducible and ignores the user's and the system's config.
var Env = []string{
	"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
	"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
	"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
}

// Run runs git in dir and returns its combined output; a failure fails the test.
func Run(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), Env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// WriteFiles writes files (slash-separated paths relative to dir), creating
// directories as needed.
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// NewRepo creates a repository on branch main with files in one commit (an empty
// commit when there are none).
func NewRepo(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	Run(t, dir, "init", "-q", "-b", "main")
	WriteFiles(t, dir, files)
	Run(t, dir, "add", "-A")
	Run(t, dir, "commit", "-q", "--allow-empty", "-m", "initial commit")
	return dir
}

// Generate fills dir with a repository of n small Go files spread over nested
// directories, all staged; every 1000th file contains the word NEEDLE. It is the
// shared input of the search and listing benchmarks.
func Generate(t testing.TB, dir string, n int) {
	t.Helper()
	Run(t, dir, "init", "-q", "-b", "main")
	for i := 0; i < n; i++ {
		p := filepath.Join(dir, fmt.Sprintf("pkg%03d/sub%d/file%05d.go", i/100, i%7, i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf("package p\n\n// File %d.\nfunc F%d() int {\n\treturn %d\n}\n", i, i, i)
		if i%1000 == 0 {
			body += "// NEEDLE here\n"
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	Run(t, dir, "add", "-A")
}
