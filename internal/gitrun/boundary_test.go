package gitrun_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// starters are the os/exec functions that start a process, with the index of
// the argument naming the program.
var starters = map[string]int{"Command": 0, "CommandContext": 1}

// gitStarts finds, in one Go file, every os/exec call that starts git by name
// ("git" or a path ending in /git).
func gitStarts(t *testing.T, fset *token.FileSet, file string) []string {
	t.Helper()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	execName := ""
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "os/exec" {
			execName = "exec"
			if imp.Name != nil {
				execName = imp.Name.Name
			}
		}
	}
	if execName == "" {
		return nil
	}
	var found []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		pkg, ok := sel.X.(*ast.Ident)
		i, starts := starters[sel.Sel.Name]
		if !ok || pkg.Name != execName || !starts || len(call.Args) <= i {
			return true
		}
		if lit, ok := call.Args[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if prog, _ := strconv.Unquote(lit.Value); path.Base(prog) == "git" {
				found = append(found, fset.Position(call.Pos()).String())
			}
		}
		return true
	})
	return found
}

// Every git process goes through this package, so that its environment and
// bounds are decided once and a test can see what ran. This walks every
// non-test Go file of the module and fails on an os/exec call that starts git
// anywhere else. internal/gittest and remote/gitlab/gitlabtest are exempt:
// they build the fixture repositories of tests and serve the fake GitLab's
// git (git http-backend), and the test checks that wend never links them.
func TestOnlyTheRunnerStartsGit(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	exempt := map[string]bool{"internal/gitrun": true, "internal/gittest": true, "remote/gitlab/gitlabtest": true}
	deps, err := exec.Command("go", "list", "-deps", "gitlab.com/wend/wend").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(deps)) {
		if rel := strings.TrimPrefix(dep, "gitlab.com/wend/wend/"); rel != "internal/gitrun" && exempt[rel] {
			t.Errorf("wend links %s, which is exempt from this check only because it is test support", dep)
		}
	}
	fset := token.NewFileSet()
	var bad []string
	files := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || exempt[rel]) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		files++
		bad = append(bad, gitStarts(t, fset, p)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("walked only %d Go files under %s; is the module root right?", files, root)
	}
	for _, b := range bad {
		t.Errorf("%s starts git directly; use gitrun.Run", b)
	}
}

// The walk must catch the forms wend used before the runner existed.
func TestBoundaryCheckFindsDirectStarts(t *testing.T) {
	dir := t.TempDir()
	src := `package x

import (
	"context"
	ex "os/exec"
)

func f(ctx context.Context) {
	ex.Command("git", "status")
	ex.CommandContext(ctx, "git", "-C", ".", "diff")
	ex.CommandContext(ctx, "/usr/bin/git", "log")
	ex.Command("go", "test")
}
`
	file := filepath.Join(dir, "x.go")
	writeFile(t, file, src)
	if got := gitStarts(t, token.NewFileSet(), file); len(got) != 3 {
		t.Fatalf("found %d direct starts of git, want 3: %v", len(got), got)
	}
}
