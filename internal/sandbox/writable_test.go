//go:build linux

package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Build caches are writable, so `go test` in the sandbox keeps its compiled
// packages and a module download lands where the next command finds it; the
// home's config and credentials stay read-only or hidden.
func TestBuildCachesAreWritableButNotTheRestOfHome(t *testing.T) {
	sb, home := testSandbox(t)
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("GOCACHE", "")
	t.Setenv("GOMODCACHE", "")
	t.Setenv("GOPATH", "")
	root := newRoot(t)
	for _, d := range []string{".cache/go-build", "go/pkg/mod", ".npm", ".cargo/registry", ".ssh", ".config"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(home, ".profile"), "# profile\n")
	script := `for d in .cache/go-build go/pkg/mod .npm .cargo/registry; do echo x > ~/$d/entry && echo "wrote $d"; done
echo evil >> ~/.profile && echo wrote-profile; echo k > ~/.ssh/authorized_keys && echo wrote-ssh; echo c > ~/.config/x && echo wrote-config`

	out, _ := run(t, sb, root, script, Options{})
	for _, d := range []string{".cache/go-build", "go/pkg/mod", ".npm", ".cargo/registry"} {
		if !strings.Contains(out, "wrote "+d+"\n") {
			t.Errorf("the build cache ~/%s is not writable in the sandbox:\n%s", d, out)
		}
	}
	for _, bad := range []string{"wrote-profile", "wrote-ssh", "wrote-config"} {
		if strings.Contains(out, bad) {
			t.Errorf("the sandboxed command could %s:\n%s", bad, out)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(home, ".profile")); string(b) != "# profile\n" {
		t.Errorf("~/.profile changed: %q", b)
	}
	if _, err := os.Stat(filepath.Join(home, ".ssh/authorized_keys")); err == nil {
		t.Error("the sandboxed command wrote ~/.ssh/authorized_keys")
	}
	if got := sb.Limits(); !strings.Contains(got, "build caches") {
		t.Errorf("Limits() = %q, does not say build caches are writable", got)
	}
}

// On a fresh home with no ~/.cache yet, `go test` in the sandbox still gets a
// build cache: the XDG cache directory is created (0700) before it is bound,
// where skipping it would fail every Go build with "failed to initialize build
// cache".
func TestMissingXDGCacheIsCreatedWritable(t *testing.T) {
	sb, home := testSandbox(t)
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("GOCACHE", "")
	root := newRoot(t)
	os.RemoveAll(filepath.Join(home, ".cache"))
	out, _ := run(t, sb, root, `mkdir -p ~/.cache/go-build && echo x > ~/.cache/go-build/entry && echo wrote`, Options{})
	if !strings.Contains(out, "wrote") {
		t.Fatalf("a missing ~/.cache was not made writable:\n%s", out)
	}
	fi, err := os.Stat(filepath.Join(home, ".cache"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("~/.cache: %v %v", fi, err)
	}
}

// The caches follow the variables that move them.
func TestCacheDirsFollowTheEnvironment(t *testing.T) {
	home := t.TempDir()
	xdg, gocache, gomod := t.TempDir(), t.TempDir(), t.TempDir()
	t.Setenv("XDG_CACHE_HOME", xdg)
	t.Setenv("GOCACHE", gocache)
	t.Setenv("GOMODCACHE", gomod)
	got := strings.Join(CacheDirs(home), "\n")
	for _, want := range []string{xdg, gocache, gomod, filepath.Join(home, ".npm")} {
		if !strings.Contains(got, want+"\n") && !strings.HasSuffix(got, want) {
			t.Errorf("CacheDirs() lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, filepath.Join(home, ".cache")) {
		t.Errorf("with XDG_CACHE_HOME set, ~/.cache is not the cache:\n%s", got)
	}
	t.Setenv("GOMODCACHE", "")
	t.Setenv("GOPATH", "/gp1:/gp2")
	if got := CacheDirs(home); !containsString(got, "/gp1/pkg/mod") {
		t.Errorf("GOMODCACHE defaults to the first GOPATH entry's pkg/mod: %v", got)
	}
}

// A writable path inside a denied one must not unhide it: the old code
// skipped hiding any denied directory that contained a writable path (meant
// for a repository under a denied directory), so sandbox_writable =
// ["~/.ssh/x"] exposed the keys beside it.
func TestWritablePathInsideADeniedOneKeepsItHidden(t *testing.T) {
	sb, home := testSandbox(t)
	root := newRoot(t)
	writeFile(t, filepath.Join(home, ".ssh/id_ed25519"), "SSH-KEY-SECRET")
	if err := os.MkdirAll(filepath.Join(home, ".ssh/sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	sb.Writable = []string{"~/.ssh/sub"}
	out, _ := run(t, sb, root, `cat ~/.ssh/id_ed25519; echo x > ~/.ssh/sub/y && echo wrote-inside-ssh`, Options{})
	if strings.Contains(out, "SSH-KEY-SECRET") || strings.Contains(out, "wrote-inside-ssh") {
		t.Errorf("a writable path inside ~/.ssh opened it:\n%s", out)
	}
}

// The repository's .wend.toml steers wend (trust, approvals, where keys go);
// the agent may change it only through an edit the user approves by name, so
// a command cannot rewrite it.
func TestRepositoryConfigIsReadOnly(t *testing.T) {
	sb, _ := testSandbox(t)
	root := newRoot(t)
	writeFile(t, filepath.Join(root, ".wend.toml"), "model = \"m\"\n")
	script := `echo 'approval = "full-auto"' > .wend.toml && echo overwrote; rm -f .wend.toml && echo removed; mv .wend.toml moved.toml && echo moved; echo ok > other.txt && echo repo-ok`

	out, _ := run(t, sb, root, script, Options{})
	for _, bad := range []string{"overwrote", "removed", "moved\n"} {
		if strings.Contains(out, bad) {
			t.Errorf("the sandboxed command %s .wend.toml:\n%s", bad, out)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(root, ".wend.toml")); string(b) != "model = \"m\"\n" {
		t.Errorf(".wend.toml changed: %q", b)
	}
	if !strings.Contains(out, "repo-ok") {
		t.Errorf("the rest of the repository must stay writable:\n%s", out)
	}
}

// A cache variable pointing at the home itself does not open the home.
func TestCacheVariableAtHomeDoesNotOpenIt(t *testing.T) {
	sb, home := testSandbox(t)
	t.Setenv("GOCACHE", home)
	root := newRoot(t)
	writeFile(t, filepath.Join(home, ".profile"), "# profile\n")
	out, _ := run(t, sb, root, `echo evil >> ~/.profile && echo wrote-profile`, Options{})
	if strings.Contains(out, "wrote-profile") {
		t.Errorf("GOCACHE=$HOME made the home writable:\n%s", out)
	}
}
