package tools

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/internal/gittest"
)

// gitRiskyShort are the short options that read a file (-O orderfile in diff,
// log and show; -S revs-file in blame) and so must never be allowed there.
var gitRiskyShort = map[string]string{"diff": "O", "log": "O", "show": "O", "blame": "S"}

func TestGitAllowlistsHoldNoRiskyOption(t *testing.T) {
	t.Parallel()
	for name, sub := range gitSubs {
		for _, risky := range gitRiskyLongOpts {
			if _, ok := sub.opts[risky]; ok {
				t.Errorf("git %s allows %s", name, risky)
			}
		}
		if l := gitRiskyShort[name]; l != "" {
			if _, ok := sub.opts["-"+l]; ok {
				t.Errorf("git %s allows -%s", name, l)
			}
		}
	}
}

func TestJudgeGitArgs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"f.go": "package f\n", "sub/g.go": "package sub\n"})
	for _, tc := range []struct {
		args []string
		want gitVerdict
	}{
		{[]string{"status", "-sb"}, gitRead},
		{[]string{"status", "-uno"}, gitRead},
		{[]string{"status", "-sO"}, gitCommand},
		{[]string{"log", "--oneline", "-5"}, gitRead},
		{[]string{"log", "--onel"}, gitCommand}, // an abbreviation, even of an allowed option
		{[]string{"log", "--oneline=x"}, gitCommand},
		{[]string{"log", "--format=%H %s", "--since=2 weeks ago", "--author", "A B"}, gitRead},
		{[]string{"log", "--grep=../x"}, gitRead}, // a value, never a path
		{[]string{"log", "--author", "/etc/passwd"}, gitCommand},
		{[]string{"diff", "-U3", "--stat=80", "-M50", "HEAD~1..HEAD", "--", "sub/g.go"}, gitRead},
		{[]string{"diff", "--relative=sub"}, gitRead},
		{[]string{"diff", "--relative=../x"}, gitCommand},
		{[]string{"diff", "-O/etc/passwd"}, gitCommand},
		{[]string{"diff", "-pO", "x"}, gitCommand},
		{[]string{"diff", "sub/../../x"}, gitCommand},
		{[]string{"diff", "--", "-foo"}, gitRead},
		{[]string{"diff", "--", ".git/config"}, gitCommand},
		{[]string{"diff", "f.go", "/dev/null"}, gitCommand},
		{[]string{"blame", "-L", "/func/,+3", "f.go"}, gitRead},
		{[]string{"blame", "-L", "-S", "f.go"}, gitCommand}, // "-S" is judged as an option, never taken as -L's value
		{[]string{"blame", "-wS", "x", "f.go"}, gitCommand},
		{[]string{"blame", "--cont", "x", "f.go"}, gitCommand},
		{[]string{"show", "HEAD:f.go"}, gitRead},
		{[]string{"branch", "-avv"}, gitRead},
		{[]string{"branch", "-l", "feat*"}, gitRead},
		{[]string{"branch", "--contains", "HEAD"}, gitRead},
		{[]string{"branch", "--contains", "-D", "main"}, gitCommand},
		{[]string{"branch", "topic"}, gitCommand},
		{[]string{"branch", "-dl", "x"}, gitCommand},
		{[]string{"rev-parse", "--abbrev-ref", "HEAD"}, gitRead},
		{[]string{"rev-parse", "--git-path", "config"}, gitCommand},
		{[]string{"describe", "--tags", "--dirty"}, gitCommand},
		{[]string{"--no-pager", "log"}, gitCommand},
		{[]string{"grep", "x"}, gitCommand},
		{[]string{}, gitInvalid},
	} {
		if got, why := f.reg.judgeGit(tc.args); got != tc.want {
			t.Errorf("judgeGit(%q) = %v (%s), want %v", tc.args, got, why, tc.want)
		}
	}
}

// escapes reports whether p, taken as a path relative to root, leaves the
// repository or enters .git: an independent restatement of read_file's
// confinement, so the fuzz target does not trust the code it checks.
func escapes(realRoot, p string) bool {
	if p == "" {
		return false
	}
	if filepath.IsAbs(p) {
		return true
	}
	clean := filepath.Clean(p)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return true
	}
	for _, part := range strings.Split(clean, "/") {
		if part == ".git" {
			return true
		}
	}
	// The deepest existing ancestor, symlinks resolved, must stay inside.
	for cand := filepath.Join(realRoot, clean); ; cand = filepath.Dir(cand) {
		if _, err := os.Lstat(cand); err == nil {
			real, err := filepath.EvalSymlinks(cand)
			if err != nil {
				return true // broken symlink
			}
			rel, err := filepath.Rel(realRoot, real)
			return err != nil || rel == ".." || strings.HasPrefix(rel, "../") ||
				rel == ".git" || strings.HasPrefix(rel, ".git/")
		}
		if cand == realRoot || cand == filepath.Dir(cand) {
			return false
		}
	}
}

// FuzzGitArgs: whatever the arguments, the guard never panics, and when it lets
// a call run without approval, no argument git could take as a path leaves the
// repository, and no option is a forbidden one or an abbreviation of one. The
// input is the argument list joined with NUL bytes.
func FuzzGitArgs(f *testing.F) {
	dir := gittest.NewRepo(f, map[string]string{"f.go": "package f\n", "sub/g.go": "package sub\n"})
	outside := f.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "key.txt"), []byte("secret\n"), 0o600); err != nil {
		f.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
		f.Fatal(err)
	}
	reg, err := New(Config{Root: dir})
	if err != nil {
		f.Fatal(err)
	}
	realRoot := reg.realRoot
	for _, seed := range [][]string{
		{"diff", "/etc/passwd", "/dev/null"}, {"diff", "../x", "/dev/null"}, {"diff", "--", "/etc/passwd", "f.go"},
		{"blame", "--conten=/etc/passwd", "f.go"}, {"blame", "--content=/etc/passwd", "f.go"},
		{"blame", "--contents", "/etc/passwd", "f.go"}, {"blame", "--conten=.git/config", "f.go"},
		{"diff", ".git/config", "/dev/null"}, {"diff", "--no-ind", ".git/config", "f.go"}, {"log", "--outp=/tmp/x"},
		{"diff", "out/key.txt", "f.go"}, {"blame", "out/key.txt"}, {"-C", "/", "diff"}, {"--git-dir=/x", "log"},
		{"diff", "-O/etc/passwd"}, {"blame", "-wS", "/etc/passwd", "f.go"}, {"blame", "-L", "/etc/passwd", "f.go"},
		{"diff", "--relative=../x"}, {"branch", "--contains", "-D", "main"}, {"status", "-sb"},
		{"log", "--oneline", "-5"}, {"diff", "HEAD~1", "--", "f.go"}, {"blame", "-L", "1,5", "f.go"},
		{"show", "HEAD:f.go"}, {"diff", "--stat"}, {"log", "--author", "../../etc"},
	} {
		f.Add(strings.Join(seed, "\x00"))
	}
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		verdict, why := reg.judgeGit(args) // must not panic
		if verdict != gitRead {
			return
		}
		if why != "" {
			t.Errorf("judgeGit(%q) allowed with a reason: %s", args, why)
		}
		name := args[0]
		sub, ok := gitSubs[name]
		if !ok {
			t.Fatalf("judgeGit(%q) allowed subcommand %q", args, name)
		}
		skipNext := false
		for i, a := range args[1:] {
			if skipNext { // the value of an option git certainly takes it for
				skipNext = false
				continue
			}
			if a == "--" {
				if name != "branch" {
					for _, p := range args[i+2:] {
						if escapes(realRoot, p) {
							t.Errorf("judgeGit(%q) allowed path %q after --", args, p)
						}
					}
				}
				return
			}
			if strings.HasPrefix(a, "--") {
				opt, val, hasVal := strings.Cut(a, "=")
				o, exact := sub.opts[opt]
				if !exact {
					t.Errorf("judgeGit(%q) allowed %q, which is not an exact allowed option", args, opt)
				}
				for _, risky := range gitRiskyLongOpts {
					if strings.HasPrefix(risky, opt) && !exact {
						t.Errorf("judgeGit(%q): %q could stand for %s", args, opt, risky)
					}
				}
				if o.path && hasVal && escapes(realRoot, val) {
					t.Errorf("judgeGit(%q) allowed path %q in %s", args, val, opt)
				}
				if o.sep && opt == a {
					skipNext = i+2 < len(args) && !strings.HasPrefix(args[i+2], "-")
				}
				continue
			}
			if len(a) > 1 && a[0] == '-' {
				if l := gitRiskyShort[name]; l != "" {
					// Letters before the first one that takes a value are options.
					for j := 1; j < len(a); j++ {
						if a[j:j+1] == l {
							t.Errorf("judgeGit(%q) allowed -%s in %q", args, l, a)
						}
						if o, ok := sub.opts["-"+a[j:j+1]]; !ok || o.kind != optFlag {
							break
						}
					}
				}
				if o := sub.opts[a]; o.sep && len(a) == 2 {
					skipNext = i+2 < len(args) && !strings.HasPrefix(args[i+2], "-")
				}
				continue
			}
			if name != "branch" && escapes(realRoot, a) {
				t.Errorf("judgeGit(%q) allowed path %q", args, a)
			}
		}
	})
}
