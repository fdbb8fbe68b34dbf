package sandbox

import (
	"os"
	"path/filepath"
	"strings"
)

// CacheDirs are the per-user build and package caches a sandboxed command may
// write, so `go test` keeps its compiled packages between commands and a
// module, crate or package fetched once is found the next time. Only caches:
// never a config or credential directory, and not toolchains (~/.rustup,
// ~/go/bin), which hold programs that run outside the sandbox as they are.
// Callers keep only those that exist.
//
// A cache is still shared with the user's own builds, so a hostile command
// could leave a poisoned entry there; the limit this buys is that nothing
// else in the home (shell profiles, ~/.config, keys) can be changed.
func CacheDirs(home string) []string {
	var out []string
	add := func(p string) {
		if p != "" && filepath.IsAbs(p) {
			out = append(out, filepath.Clean(p))
		}
	}
	// The XDG cache holds go-build, pip, pre-built wheels, golangci-lint, ...
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		add(d)
	} else if home != "" {
		add(filepath.Join(home, ".cache"))
	}
	// Go's caches when moved away from their defaults. GOCACHE's default is
	// under the XDG cache above; GOMODCACHE's is GOPATH's first entry's pkg/mod.
	add(os.Getenv("GOCACHE"))
	switch mod, gopath := os.Getenv("GOMODCACHE"), os.Getenv("GOPATH"); {
	case mod != "":
		add(mod)
	case gopath != "":
		first, _, _ := strings.Cut(gopath, string(os.PathListSeparator))
		add(filepath.Join(first, "pkg", "mod"))
	case home != "":
		add(filepath.Join(home, "go", "pkg", "mod"))
	}
	if home != "" {
		for _, rel := range []string{".npm", ".cargo/registry", ".cargo/git", ".m2/repository", ".gradle/caches"} {
			add(filepath.Join(home, rel))
		}
	}
	return out
}

// repositoryConfigs are the files in the repository root that steer wend
// itself and must stay read-only inside the sandbox: the agent changes them
// only through an edit the user approves by name (session/tools/protect.go).
// Only existing files can be bound read-only; a .wend.toml the command
// creates is an untracked proposal the user reviews, and an untrusted
// repository config is ignored for every key that matters (cli/config).
func repositoryConfigs(root string) []string {
	var out []string
	for _, name := range []string{".wend.toml"} {
		p := filepath.Join(root, name)
		// Stat, not Lstat: a bind mount over a symlink covers its target.
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	return out
}

// underAny reports whether path is one of dirs or inside one.
func underAny(path string, dirs []string) bool {
	for _, d := range dirs {
		if rel, err := filepath.Rel(d, path); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// extraWritable are the existing cache directories and the user's Writable
// ("~/" allowed), resolved, without any inside a denied path: the init does
// not hide a denied directory that holds a writable one (that is how a
// repository under a denied directory stays usable), so a writable
// ~/.ssh/x would otherwise expose the keys beside it.
func (s *Sandbox) extraWritable(home string, deny []string) []string {
	var out []string
	caches := CacheDirs(home)
	// The XDG cache (caches[0]) is where Go, pip and most tools build; on a
	// fresh home it may not exist yet, and only existing directories can be
	// bound, so create it as the tools themselves would (0700).
	if len(caches) > 0 && home != "" {
		if _, err := os.Stat(caches[0]); os.IsNotExist(err) {
			os.MkdirAll(caches[0], 0o700)
		}
	}
	realHome, _ := filepath.EvalSymlinks(home)
	for i, w := range append(caches, s.Writable...) {
		r, err := filepath.EvalSymlinks(expandHome(w, home))
		if err != nil || !filepath.IsAbs(r) || underAny(r, deny) || containsString(out, r) {
			continue
		}
		// A cache variable set to the home or above it (GOCACHE=$HOME) would
		// open the shell profiles; only sandbox_writable may say that.
		if i < len(caches) && realHome != "" && underAny(realHome, []string{r}) {
			continue
		}
		if fi, err := os.Stat(r); err == nil && fi.IsDir() {
			out = append(out, r)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func expandHome(p, home string) string {
	if strings.HasPrefix(p, "~/") && home != "" {
		return filepath.Join(home, p[2:])
	}
	return p
}
