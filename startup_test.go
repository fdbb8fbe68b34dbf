package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The startup checks run the real main: TestMain turns this test binary into
// wend when asked, so the init trace is of the same packages wend links (plus
// the testing package's own few), without a second link of the whole tree.
const asWendEnv = "WEND_TEST_RUN_AS_WEND"

func TestMain(m *testing.M) {
	if os.Getenv(asWendEnv) == "1" {
		os.Unsetenv(asWendEnv)
		main() // exits
	}
	os.Exit(m.Run())
}

// initBudget is what a package's initialisation may allocate when any verb
// starts (bytes, as GODEBUG=inittrace=1 reports them: deterministic, unlike
// time). Every verb pays it, so anything heavy belongs behind first use.
// The named packages are the heavy ones left, budgeted at what they cost now so
// they cannot grow unnoticed. (glamour, Chroma and bluemonday used to be here
// at 6.5 MB together: Chroma built its lexer and style registries in package
// variables, bluemonday its CSS tables; ui/markdown and ui/syntax replaced
// them with tables built on first use.)
var initBudget = map[string]int{
	"gitlab.com/gitlab-org/api/client-go/v2": 250_000,
}

const (
	// otherPackageBudget is the most any package not named above may allocate.
	otherPackageBudget = 128 << 10
	// ownBudget bounds the sum over wend's own packages: regexps and tables
	// that only one verb needs belong in a sync.OnceValue.
	ownBudget = 384 << 10
	// totalBudget bounds the whole process's initialisation (about 0.9 MB
	// now; 7.5 MB while glamour and Chroma were linked).
	totalBudget = 1_200_000
)

var initLine = regexp.MustCompile(`^init (\S+) @[0-9.]+ ms, [0-9.]+ ms clock, ([0-9]+) bytes, ([0-9]+) allocs`)

// initTrace runs wend with args under GODEBUG=inittrace=1 and returns the
// bytes each package's init allocated.
func initTrace(t *testing.T, dir string, args ...string) map[string]int {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(isolatedEnv(t), asWendEnv+"=1", "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("wend %v: %v\n%s", args, err, stderr.String())
	}
	got := map[string]int{}
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		if m := initLine.FindStringSubmatch(sc.Text()); m != nil {
			n, _ := strconv.Atoi(m[2])
			got[m[1]] += n
		}
	}
	if len(got) == 0 {
		t.Fatalf("no init trace from wend %v:\n%s", args, stderr.String())
	}
	return got
}

func TestStartupInitialisationStaysWithinBudget(t *testing.T) {
	repo := smallRepo(t)
	for _, args := range [][]string{{"--help"}, {"changes"}} {
		got := initTrace(t, repo, args...)
		total, own := 0, 0
		for pkg, n := range got {
			total += n
			if strings.HasPrefix(pkg, "gitlab.com/wend/wend/") || pkg == "main" {
				own += n
			}
			budget, named := initBudget[pkg]
			if !named {
				budget = otherPackageBudget
			}
			// Map growth depends on the per-process hash seed, so the same
			// init allocates a little more or less from run to run (client-go:
			// 250 KB to 276 KB seen); allow that, not real growth.
			if n > budget+budget/4 {
				t.Errorf("wend %v: package %s allocates %d bytes at init, budget %d: make it lazy (sync.OnceValue) or keep it out of the CLI's imports", args, pkg, n, budget)
			}
		}
		if own > ownBudget {
			t.Errorf("wend %v: wend's own packages allocate %d bytes at init, budget %d", args, own, ownBudget)
		}
		if total > totalBudget+totalBudget/20 {
			t.Errorf("wend %v: initialisation allocates %d bytes in all, budget %d", args, total, totalBudget)
		}
		t.Logf("wend %v: %d packages, %d bytes at init (wend's own %d)", args, len(got), total, own)
	}
}

// isolatedEnv keeps the user's configuration and state out of the child.
func isolatedEnv(tb testing.TB) []string {
	home := tb.TempDir()
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"XDG_STATE_HOME=" + filepath.Join(home, "state"), "GIT_CONFIG_NOSYSTEM=1", "TERM=dumb"}
	for _, k := range []string{"PATH", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// smallRepo is a repository of one commit, for `wend changes`.
func smallRepo(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("hello\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "README"},
		{"-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "one"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = isolatedEnv(tb)
		if out, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// BenchmarkCLIStartup measures what a user waits for: the real binary, built
// once with the plain `go build` README gives, started for a CLI verb. It
// reports wall time per run and the largest resident set seen (maxrss-KiB).
//
//	go test -run '^$' -bench CLIStartup -benchtime 50x .
func BenchmarkCLIStartup(b *testing.B) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		b.Skip("no go command to build wend with")
	}
	bin := filepath.Join(b.TempDir(), "wend")
	build := exec.Command(gobin, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	repo := smallRepo(b)
	env := isolatedEnv(b)
	for _, verb := range [][]string{{"--help"}, {"--version"}, {"changes"}} {
		b.Run(strings.Join(verb, " "), func(b *testing.B) {
			var maxRSS int64
			for b.Loop() {
				cmd := exec.Command(bin, verb...)
				cmd.Dir, cmd.Env = repo, env
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("wend %v: %v\n%s", verb, err, out)
				}
				if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
					maxRSS = max(maxRSS, ru.Maxrss) // KiB on Linux
				}
			}
			b.ReportMetric(float64(maxRSS), "maxrss-KiB")
		})
	}
}
