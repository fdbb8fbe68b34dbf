package gitops

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The benchmarks need a large repository, which takes a minute or more to
// generate, so they skip unless GITOPS_BENCH_FILES is set:
//
//	GITOPS_BENCH_FILES=100000 go test ./gitops -run '^$' -bench . -benchtime 10x
//
// The repository is kept in GITOPS_BENCH_DIR (default: a directory under
// os.TempDir() named for the file count) and reused by later runs.
func benchRepo(b *testing.B) string {
	b.Helper()
	n := envInt("GITOPS_BENCH_FILES", 0)
	if n == 0 {
		b.Skip("set GITOPS_BENCH_FILES=100000 to generate the benchmark repository")
	}
	dir := os.Getenv("GITOPS_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "gitops-bench-"+strconv.Itoa(n))
	}
	done := filepath.Join(dir, ".git", "gitops-bench-ready")
	if _, err := os.Stat(done); err != nil {
		b.Logf("generating %d files in %s", n, dir)
		os.RemoveAll(dir)
		for i := range n {
			p := filepath.Join(dir, fmt.Sprintf("d%04d", i/100), fmt.Sprintf("f%03d.txt", i%100))
			if i%100 == 0 {
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					b.Fatal(err)
				}
			}
			if err := os.WriteFile(p, []byte(fmt.Sprintf("file %d\n%s", i, strings.Repeat("some line of text\n", 20))), 0o644); err != nil {
				b.Fatal(err)
			}
		}
		benchGit(b, dir, "init", "-q")
		benchGit(b, dir, "add", "-A")
		benchGit(b, dir, "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "-m", "init")
		if err := os.WriteFile(done, nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	// Start from the committed state; leave the user a few changes of their own.
	benchGit(b, dir, "reset", "-q", "--hard")
	os.RemoveAll(filepath.Join(dir, "bench"))
	os.RemoveAll(filepath.Join(dir, ".git", "wend"))
	os.RemoveAll(filepath.Join(dir, ".git", "refs", "wend"))
	os.WriteFile(filepath.Join(dir, "d0000", "f001.txt"), []byte("user edit\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "untracked.txt"), []byte("user file\n"), 0o644)
	// Let the files age past the index's timestamp and refresh it, as in a
	// repository the user has had for more than a second.
	time.Sleep(1100 * time.Millisecond)
	benchGit(b, dir, "update-index", "-q", "--refresh")
	return dir
}

func benchGit(b *testing.B, dir string, args ...string) {
	b.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// BenchmarkSnapshot compares, side by side on one tree, `git status` with
// the baseline snapshot (Start), the snapshot around an agent command, and
// listing proposals.
func BenchmarkSnapshot(b *testing.B) {
	dir := benchRepo(b)
	b.Run("git-status", func(b *testing.B) {
		for b.Loop() {
			if _, err := (ExecRunner{}).Run(bg, Git("status", "--porcelain", "-z").InDir(dir)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("snapshot", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			s, err := Start(bg, dir, "snap"+strconv.Itoa(i))
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			s.Close()
			os.RemoveAll(s.dir)
			b.StartTimer()
		}
	})
	s, err := Start(bg, dir, "listing")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := range 20 {
		p := fmt.Sprintf("d%04d/f%03d.txt", i*37, i)
		data, _ := os.ReadFile(filepath.Join(dir, p))
		if err := s.WriteFile(bg, p, append(data, "agent line\n"...), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("command", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			if err := s.BeforeCommand(bg); err != nil {
				b.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, "d0500", "f050.txt"), []byte("formatted "+strconv.Itoa(i)+"\n"), 0o644)
			if _, err := s.AfterCommand(bg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("proposals", func(b *testing.B) {
		for b.Loop() {
			ps, err := s.Proposals(bg)
			if err != nil || len(ps) != 21 {
				b.Fatalf("%d proposals, %v", len(ps), err)
			}
		}
	})
}

// BenchmarkDecision measures one accept and one reject of a hunk in the large
// repository (the agent's write that precedes each is not timed).
func BenchmarkDecision(b *testing.B) {
	dir := benchRepo(b)
	s, err := Start(bg, dir, "decide")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	orig, _ := os.ReadFile(filepath.Join(dir, "d0001", "f001.txt"))
	i := 0
	prepare := func(b *testing.B) string {
		b.StopTimer()
		defer b.StartTimer()
		i++
		p := fmt.Sprintf("d%04d/f%03d.txt", 1+i%900, i%100)
		if err := s.WriteFile(bg, p, append([]byte("agent "+strconv.Itoa(i)+"\n"), orig...), 0o644); err != nil {
			b.Fatal(err)
		}
		ps, err := s.Proposals(bg)
		if err != nil {
			b.Fatal(err)
		}
		for _, fc := range ps {
			if fc.Path == p {
				return fc.Hunks[0].ID
			}
		}
		b.Fatalf("no proposal for %s", p)
		return ""
	}
	b.Run("accept-hunk", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.AcceptHunk(bg, prepare(b), ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	// As if the user's git had rewritten the index since the last decision:
	// the index is read (and its checksum verified) again.
	b.Run("accept-hunk-reread", func(b *testing.B) {
		for b.Loop() {
			id := prepare(b)
			s.ixCache = nil
			if _, err := s.AcceptHunk(bg, id, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reject-hunk", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.RejectHunk(bg, prepare(b), ""); err != nil {
				b.Fatal(err)
			}
		}
	})
}
