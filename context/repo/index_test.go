package repo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"gitlab.com/wend/wend/internal/gittest"
)

// TestFileIndexNeverWaitsForGit: once the picker's index exists, a key is
// answered from it even when the listing has expired and git cannot run at all;
// the refresh happens behind it. The old FileIndex ran `git ls-files` inside the
// keystroke whenever the 2 s TTL had passed.
func TestFileIndexNeverWaitsForGit(t *testing.T) {
	dir := newGitRepo(t, map[string]string{"cmd/main.go": "package main\n", "README.md": "x\n"})
	r := openRepo(t, dir)
	ctx := context.Background()
	if _, err := r.Index(ctx, nil); err != nil {
		t.Fatal(err)
	}
	r.SetTTL(0) // every listing is stale from now on
	t.Setenv("PATH", t.TempDir())
	for range 3 {
		ix, err := r.FileIndex(ctx)
		if err != nil {
			t.Fatalf("a key had to list the files again: %v", err)
		}
		if got := ix.Match("main", 8); !slices.Equal(got, []string{"cmd/main.go"}) {
			t.Fatalf("Match(main) = %q", got)
		}
	}
}

// TestFileIndexRefreshesBehindTheKeys: a file created while the user types shows
// up in a later key's answer, and concurrent keys, listings and invalidations are
// race-free (run with -race).
func TestFileIndexRefreshesBehindTheKeys(t *testing.T) {
	dir := newGitRepo(t, map[string]string{"a.go": "package a\n"})
	r := openRepo(t, dir)
	r.SetTTL(0)
	ctx := context.Background()
	if _, err := r.FileIndex(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				switch w {
				case 0:
					r.Invalidate()
				case 1:
					r.Files(ctx)
				default:
					if ix, err := r.FileIndex(ctx); err == nil {
						ix.Match("zz", 8)
					}
				}
			}
		}()
	}
	writeFiles(t, dir, map[string]string{"late/zz_new.go": "package late\n"})
	deadline := time.Now().Add(10 * time.Second)
	for {
		ix, err := r.FileIndex(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := ix.Match("zznew", 8); slices.Equal(got, []string{"late/zz_new.go"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the new file never reached the picker's index")
		}
		time.Sleep(5 * time.Millisecond) // polling a background refresh, with a deadline
	}
	close(stop)
	wg.Wait()
}

// TestIndexReportsProgress: the listing reports how many paths git has printed,
// never more than it lists, rising to the whole count.
func TestIndexReportsProgress(t *testing.T) {
	dir := t.TempDir()
	gittest.Run(t, dir, "init", "-q", "-b", "main")
	files := map[string]string{}
	for i := range 3000 {
		files[fmt.Sprintf("d%02d/f%04d-%s.txt", i%37, i, "a-long-enough-name-to-need-several-reads")] = "x\n"
	}
	writeFiles(t, dir, files)
	os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("ignored/\n"), 0o644)
	writeFiles(t, dir, map[string]string{"ignored/x.txt": "x\n"})
	r := openRepo(t, dir)
	var seen []int
	ix, err := r.Index(context.Background(), func(n int) { seen = append(seen, n) })
	if err != nil {
		t.Fatal(err)
	}
	if ix.Len() != 3001 || len(seen) == 0 || seen[len(seen)-1] != 3001 || !slices.IsSorted(seen) {
		t.Fatalf("indexed %d paths; progress %v", ix.Len(), seen)
	}
	// The index is the one the picker then uses, without listing again.
	again, err := r.FileIndex(context.Background())
	if err != nil || again != ix {
		t.Fatalf("FileIndex after Index: %p vs %p, %v", again, ix, err)
	}
}
