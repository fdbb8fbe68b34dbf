package gittest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// LargeVersion names GenerateLarge's output. Bump it whenever that output changes
// (paths, contents, ignore rules, history): cached repositories are keyed by it, so
// a stale one is never measured.
const LargeVersion = 2

// LargeCacheEnv names the directory CachedLarge keeps generated repositories in;
// without it they go under the user's cache directory (wend-bigrepo).
const LargeCacheEnv = "WEND_BIGREPO_DIR"

// CachedLarge returns a repository GenerateLarge made for spec and its stats,
// generating it only when no earlier run left one for this LargeVersion and size:
// a 100,000-file repository takes a minute or two to write and commit, which a
// benchmark run should not pay each time. It is generated into a temporary
// sibling and renamed into place once committed, with the stats written last, so
// an interrupted run never leaves a half repository to be reused. Callers must
// leave the work tree as they found it (refs and objects they add are harmless).
func CachedLarge(t testing.TB, spec LargeSpec) (string, LargeStats) {
	t.Helper()
	base := os.Getenv(LargeCacheEnv)
	if base == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			t.Fatalf("no cache directory for the generated repository (set %s): %v", LargeCacheEnv, err)
		}
		base = filepath.Join(c, "wend-bigrepo")
	}
	dir := filepath.Join(base, fmt.Sprintf("v%d-%d", LargeVersion, spec.Listed))
	statsFile := dir + ".json"
	if st, ok := readStats(statsFile); ok {
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			return dir, st
		}
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Remove(statsFile)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(base, filepath.Base(dir)+".tmp-")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	st := GenerateLarge(t, tmp, spec)
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		t.Fatal(err)
	}
	data, _ := json.Marshal(st)
	if err := os.WriteFile(statsFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("generated %d files into %s in %v (kept for later runs)", st.Listed, dir, time.Since(start).Round(time.Millisecond))
	return dir, st
}

func readStats(name string) (LargeStats, bool) {
	var st LargeStats
	data, err := os.ReadFile(name)
	if err != nil || json.Unmarshal(data, &st) != nil || st.Listed == 0 {
		return st, false
	}
	return st, true
}
